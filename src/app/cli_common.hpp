#pragma once
// What the subcommands share: the exit code for bad input and the rounding of numbers they print as JSON.

#include <cmath>

namespace cloudopt {

// Exit code for bad input or a bad flag (the message on stderr names the problem).
inline constexpr int kUsageError = 2;

// `v` rounded to `digits` decimals, so JSON output stays readable and diffable.
inline double RoundTo(double v, int digits = 4) {
    const double scale = std::pow(10.0, digits);
    return std::round(v * scale) / scale;
}

}  // namespace cloudopt
