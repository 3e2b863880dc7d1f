#include "core/forecast.hpp"

namespace cloudopt {

double PointQuantile(const ForecastPoint& point, QuantileLevel level) {
    switch (level) {
        case QuantileLevel::kP50: return point.p50;
        case QuantileLevel::kP90: return point.p90;
        case QuantileLevel::kP95: return point.p95;
        case QuantileLevel::kP99: return point.p99;
    }
    return point.p95;
}

const char* QuantileLevelName(QuantileLevel level) {
    switch (level) {
        case QuantileLevel::kP50: return "p50";
        case QuantileLevel::kP90: return "p90";
        case QuantileLevel::kP95: return "p95";
        case QuantileLevel::kP99: return "p99";
    }
    return "p95";
}

std::optional<QuantileLevel> ParseQuantileLevel(std::string_view name) {
    for (QuantileLevel q : {QuantileLevel::kP50, QuantileLevel::kP90, QuantileLevel::kP95, QuantileLevel::kP99})
        if (name == QuantileLevelName(q)) return q;
    return std::nullopt;
}

}  // namespace cloudopt
