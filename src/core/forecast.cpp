#include "core/forecast.hpp"

#include <algorithm>
#include <cmath>

namespace cloudopt {

namespace {

// See QuantileLevel::kP999: an exponential tail's spacing from p95 to p99 carried on to p99.9, never below p99.
double ExtrapolatedP999(const ForecastPoint& point) {
    const double kTailRatio = std::log(10.0) / std::log(5.0);  // (ln 1000 - ln 100) / (ln 100 - ln 20)
    return point.p99 + std::max(0.0, point.p99 - point.p95) * kTailRatio;
}

}  // namespace

double PointQuantile(const ForecastPoint& point, QuantileLevel level) {
    switch (level) {
        case QuantileLevel::kP50:
            return point.p50;
        case QuantileLevel::kP90:
            return point.p90;
        case QuantileLevel::kP95:
            return point.p95;
        case QuantileLevel::kP99:
            return point.p99;
        case QuantileLevel::kP999:
            return ExtrapolatedP999(point);
    }
    return point.p95;
}

const char* QuantileLevelName(QuantileLevel level) {
    switch (level) {
        case QuantileLevel::kP50:
            return "p50";
        case QuantileLevel::kP90:
            return "p90";
        case QuantileLevel::kP95:
            return "p95";
        case QuantileLevel::kP99:
            return "p99";
        case QuantileLevel::kP999:
            return "p99.9";
    }
    return "p95";
}

std::optional<QuantileLevel> ParseQuantileLevel(std::string_view name) {
    for (QuantileLevel q :
         {QuantileLevel::kP50, QuantileLevel::kP90, QuantileLevel::kP95, QuantileLevel::kP99, QuantileLevel::kP999})
        if (name == QuantileLevelName(q)) return q;
    return std::nullopt;
}

}  // namespace cloudopt
