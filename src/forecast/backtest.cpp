#include "forecast/backtest.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "forecast/band_tracker.hpp"
#include "forecast/model_choice.hpp"
#include "forecast/point_model.hpp"

namespace cloudopt {

BacktestSplit SplitForBacktest(std::size_t points, const BacktestOptions& o) {
    BacktestSplit split;
    split.train = static_cast<std::size_t>(std::floor(static_cast<double>(points) * (1 - o.test_fraction)));
    split.calibration = static_cast<std::size_t>(std::floor(static_cast<double>(split.train) * o.calibration_fraction));
    return split;
}

Result<FleetNetworks> TrainFleetForBacktest(std::span<const FleetSeries> series, const BacktestOptions& o) {
    if (!(o.test_fraction > 0 && o.test_fraction < 1))
        return MakeError(ErrorCode::kInvalidArgument, "test fraction must be in (0, 1)");
    return TrainFleetPair(
        series, o.horizon, o.models.lstm,
        [&](std::size_t n) {
            const BacktestSplit split = SplitForBacktest(n, o);
            return split.train - split.calibration;
        },
        [&](std::size_t n) { return SplitForBacktest(n, o).train; });
}

Result<ModelScore> Backtest(const std::string& model_name, std::span<const double> values, const BacktestOptions& o,
                            std::span<const std::uint8_t> missing) {
    const auto started = std::chrono::steady_clock::now();
    if (!IsKnownModel(model_name))
        return MakeError(ErrorCode::kInvalidArgument,
                         "unknown model '" + model_name + "'; known: " + std::string(kKnownModels));
    if (o.horizon < 1) return MakeError(ErrorCode::kInvalidArgument, "horizon must be at least 1");
    if (!(o.test_fraction > 0 && o.test_fraction < 1))
        return MakeError(ErrorCode::kInvalidArgument, "test fraction must be in (0, 1)");
    const std::size_t n = values.size();
    const auto [n_train, n_cal] = SplitForBacktest(n, o);
    const auto h = static_cast<std::size_t>(o.horizon);
    if (n_train < 3 || n_cal < h + 2 || n_train >= n)
        return MakeError(
            ErrorCode::kUnprocessable,
            "series of " + std::to_string(n) + " points is too short for horizon " + std::to_string(o.horizon));
    const std::span<const double> train = values.first(n_train);
    const SeriesContext context{DetectSeason(train, o.step_seconds), o.start, o.step_seconds, o.horizon};

    ModelScore score;
    score.model = model_name;
    // Choice and bands from the last part of the training data, then the model refitted on all of it.
    const std::span<const std::uint8_t> train_missing = missing.first(std::min(missing.size(), n_train));
    auto chosen = ChooseAndCalibrate(model_name, train, train_missing, context, n_cal, o.models);
    if (!chosen) return chosen.error();
    score.chosen = chosen->choice.Describe();
    auto model = chosen->choice.Make(o.models);
    if (Status s = model->Fit(train, context); !s) return s.error();

    std::vector<double> forecasts;
    const Calibration& bands = chosen->bands;

    // Test: every origin in the held-out part, from the true history up to it. As served, auto's weights follow
    // its parts' errors on the held-out values as they become known.
    if (model_name == "auto" && o.models.reweigh && chosen->choice.name == "combination") {
        Reweighed reweighed = ForecastReweighed(*model, chosen->choice.weights, o.start, values, missing, n_train,
                                                n_train, o.horizon, o.step_seconds);
        forecasts = std::move(reweighed.forecasts);
        score.reweighings = reweighed.refits;
        if (reweighed.refits > 0) score.chosen_at_end = DescribeCombination(chosen->choice.parts, reweighed.weights);
    }
    if (forecasts.empty()) model->ForecastFromOrigins(values, n_train, o.horizon, forecasts);
    // Bands as the service serves them: the calibrated offsets tracked online (band_tracker.hpp). At origin t the
    // tracker has seen every error whose actual is in the history, values[0, t).
    BandTracker tracker(bands);
    auto time_of = [&](std::size_t i) { return o.start + static_cast<UnixSeconds>(i) * o.step_seconds; };
    ErrorSums sums;
    BandCoverage tracked_coverage, split_coverage;
    double width95 = 0.0;
    for (std::size_t t = n_train; t < n; ++t) {
        if (o.track_bands && t > n_train && Measured(missing, t - 1))
            tracker.ObserveArrival(t - 1, time_of(t - 1), values[t - 1], forecasts, n_train);
        const Calibration& tracked = tracker.Bands();
        for (std::size_t k = 0; k < h && t + k < n; ++k) {
            if (!Measured(missing, t + k)) continue;
            const double f = forecasts[(t - n_train) * h + k];
            const double actual = values[t + k];
            const UnixSeconds ts = time_of(t + k);
            sums.abs_error += std::abs(f - actual);
            sums.abs_actual += std::abs(actual);
            tracked_coverage.Add(tracked, k, ts, f, actual);
            split_coverage.Add(bands, k, ts, f, actual);
            width95 += std::max(0.0, tracked.Offset95(k, ts, f));
        }
    }
    score.band_width_p95 = sums.abs_actual > 0 ? width95 / sums.abs_actual : 0.0;
    score.phase_bands = bands.phase.Describe();
    score.accuracy = sums.abs_actual > 0 ? 1.0 - sums.abs_error / sums.abs_actual : 0.0;
    score.coverage_p90 = tracked_coverage.Share(tracked_coverage.p90, 0.0);
    score.coverage_p95 = tracked_coverage.Share(tracked_coverage.p95, 0.0);
    score.coverage_p99 = tracked_coverage.Share(tracked_coverage.p99, 0.0);
    score.coverage_p999 = tracked_coverage.Share(tracked_coverage.p999, 0.0);
    score.tail_ratios = std::move(tracked_coverage.tail_ratios);
    score.split_coverage_p90 = split_coverage.Share(split_coverage.p90, 0.0);
    score.split_coverage_p95 = split_coverage.Share(split_coverage.p95, 0.0);
    score.split_coverage_p99 = split_coverage.Share(split_coverage.p99, 0.0);
    score.forecasts = tracked_coverage.total;
    score.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return score;
}

}  // namespace cloudopt
