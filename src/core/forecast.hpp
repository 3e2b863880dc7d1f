#pragma once
// A forecast of one series' load with quantile bands, and the interface every model sits behind.

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/sample.hpp"
#include "core/time.hpp"

namespace cloudopt {

struct ForecastPoint {
    UnixSeconds ts = 0;  // start of the step this point forecasts
    double p50 = 0.0;
    double p90 = 0.0;
    double p95 = 0.0;
    double p99 = 0.0;
    bool operator==(const ForecastPoint&) const = default;
};

struct Forecast {
    std::string model;
    UnixSeconds generated_at = 0;
    UnixSeconds step = 0;
    // 1 - WAPE of this model on the series' own recent history (a backtest); NaN when not measured.
    double accuracy = std::numeric_limits<double>::quiet_NaN();
    std::vector<ForecastPoint> points;
};

// Quantile levels the planner can ask for.
enum class QuantileLevel { kP50, kP90, kP95, kP99 };
double PointQuantile(const ForecastPoint& point, QuantileLevel level);
const char* QuantileLevelName(QuantileLevel level);
// "p50", "p90", "p95", "p99"; nothing for any other name.
std::optional<QuantileLevel> ParseQuantileLevel(std::string_view name);

// Forecasts the next `horizon_steps` steps after the end of `history`. Implementations are pure and
// thread-safe (const); a model that cannot forecast (too little history) returns kUnprocessable saying how
// much it needs.
class Forecaster {
public:
    virtual ~Forecaster() = default;
    virtual Result<Forecast> Predict(const RegularSeries& history, int horizon_steps) const = 0;
};

}  // namespace cloudopt
