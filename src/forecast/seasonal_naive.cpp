#include "forecast/seasonal_naive.hpp"

#include <algorithm>
#include <cmath>

namespace cloudopt {

namespace {
constexpr std::size_t kMinPoints = 3;
}

SeasonalNaiveForecaster::SeasonalNaiveForecaster(UnixSeconds season_seconds, int max_seasons_for_errors)
    : season_seconds_(season_seconds), max_seasons_for_errors_(max_seasons_for_errors) {}

Result<Forecast> SeasonalNaiveForecaster::Predict(const RegularSeries& history, int horizon_steps) const {
    const std::vector<double>& y = history.values;
    const std::size_t n = y.size();
    if (horizon_steps < 1) return MakeError(ErrorCode::kInvalidArgument, "horizon must be at least 1 step");
    if (history.step <= 0) return MakeError(ErrorCode::kInvalidArgument, "history step must be positive");
    if (n < kMinPoints)
        return MakeError(ErrorCode::kUnprocessable, "seasonal naive needs at least 3 points of history, has " +
                                                        std::to_string(n));
    const auto season = static_cast<std::size_t>(std::max<UnixSeconds>(1, season_seconds_ / history.step));
    const bool seasonal = n >= 2 * season;

    Forecast forecast;
    forecast.model = seasonal ? "seasonal_naive" : "naive";
    forecast.step = history.step;
    forecast.generated_at = history.end();

    // Errors of the same rule applied in the past: lag `season` for seasonal, lag h for naive.
    auto errors_at_lag = [&](std::size_t lag) {
        std::vector<double> errors;
        const std::size_t window = seasonal ? season * static_cast<std::size_t>(max_seasons_for_errors_) : n;
        const std::size_t first = std::max(lag, n > window ? n - window : std::size_t{0});
        for (std::size_t t = first; t < n; ++t) errors.push_back(y[t] - y[t - lag]);
        return errors;
    };
    auto wape_accuracy = [&](const std::vector<double>& errors) {
        double abs_err = 0.0, abs_actual = 0.0;
        for (std::size_t i = 0; i < errors.size(); ++i) {
            abs_err += std::abs(errors[i]);
            abs_actual += std::abs(y[n - errors.size() + i]);
        }
        return abs_actual > 0.0 ? std::max(0.0, 1.0 - abs_err / abs_actual) : 0.0;
    };

    std::vector<double> seasonal_errors;
    if (seasonal) {
        seasonal_errors = errors_at_lag(season);
        forecast.accuracy = wape_accuracy(seasonal_errors);
    } else {
        forecast.accuracy = wape_accuracy(errors_at_lag(1));
    }
    for (int h = 1; h <= horizon_steps; ++h) {
        ForecastPoint p;
        p.ts = history.end() + history.step * (h - 1);
        std::vector<double> errors;
        if (seasonal) {
            p.p50 = y[n - season + static_cast<std::size_t>(h - 1) % season];
            errors = seasonal_errors;
        } else {
            p.p50 = y[n - 1];
            const auto lag = std::min<std::size_t>(static_cast<std::size_t>(h), n - 1);
            errors = errors_at_lag(lag);
        }
        // Load is never negative; an upper band never sits under the median.
        p.p50 = std::max(0.0, p.p50);
        p.p90 = std::max(p.p50, p.p50 + Quantile(errors, 0.90));
        p.p95 = std::max(p.p90, p.p50 + Quantile(errors, 0.95));
        p.p99 = std::max(p.p95, p.p50 + Quantile(errors, 0.99));
        forecast.points.push_back(p);
    }
    return forecast;
}

}  // namespace cloudopt
