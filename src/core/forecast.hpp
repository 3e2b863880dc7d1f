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
// kP999 (p99.9) has no band of its own: forecasts carry p50-p99, and a calibrated p99.9 needs ten times the errors
// a p99 does. It is extrapolated from the band's tail, p99 + (p99 - p95) x ln(10) / ln(5): the spacing of an
// exponential tail (each tenfold rarer quantile as far again as the last, scaled by the log of the odds), which is
// wider than a normal tail's (x 1.12) and so errs toward capacity. docs/COSTS.md measures what it buys in the sweep.
enum class QuantileLevel { kP50, kP90, kP95, kP99, kP999 };
double PointQuantile(const ForecastPoint& point, QuantileLevel level);
const char* QuantileLevelName(QuantileLevel level);
// "p50", "p90", "p95", "p99", "p99.9"; nothing for any other name.
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
