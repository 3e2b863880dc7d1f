#pragma once
// What the subcommands share: the exit code for bad input, the rounding of numbers they print as JSON, and where
// their log goes.

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cmath>

namespace cloudopt {

// Exit code for bad input or a bad flag (the message on stderr names the problem).
inline constexpr int kUsageError = 2;

// `v` rounded to `digits` decimals, so JSON output stays readable and diffable.
inline double RoundTo(double v, int digits = 4) {
    const double scale = std::pow(10.0, digits);
    return std::round(v * scale) / scale;
}

// Stdout carries what scripts capture (JSON, a token: TOKEN=$(cloudopt token create ...)); the log goes to stderr.
inline void SendLogToStderr() {
    if (!spdlog::get("cloudopt-cli")) spdlog::set_default_logger(spdlog::stderr_color_mt("cloudopt-cli"));
}

}  // namespace cloudopt
