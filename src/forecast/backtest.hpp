#pragma once
// Rolling-origin backtest with split-conformal bands, as `cloudopt backtest` reports it (docs/FORECASTING.md):
// fit on the first (1 - test_fraction) of a series, then forecast steps 1..H from every origin in the rest, each
// from the true history up to that origin. Accuracy = 1 - WAPE over all those forecasts. The p90/p95/p99 bands
// are the point forecast plus the 90th/95th/99th percentile of each step's errors on a calibration window at the
// end of the training part (never the test part), and coverage is the share of test actuals at or under the band.

#include <span>
#include <string>

#include "core/error.hpp"
#include "forecast/trained_model.hpp"

namespace cloudopt {

struct BacktestOptions {
    int horizon = 12;
    double test_fraction = 0.2;
    double calibration_fraction = kCalibrationFraction;  // of the training part
    bool track_bands = true;       // move the bands after each known actual (band_tracker.hpp), as served
    UnixSeconds start = 0;         // time of the first value (calendar features)
    long long step_seconds = 300;  // sampling interval (season detection, calendar features)
    ModelOptions models;
};

// How Backtest splits a series of `points` points: the training part, and the calibration window at its end.
struct BacktestSplit {
    std::size_t train = 0, calibration = 0;
};
BacktestSplit SplitForBacktest(std::size_t points, const BacktestOptions& options);

// The fleet networks that Backtest's "lstm_fleet" (and "auto") use for these series, trained with
// options.models.lstm at options.horizon.
Result<FleetNetworks> TrainFleetForBacktest(std::span<const FleetSeries> series, const BacktestOptions& options);
struct ModelScore {
    std::string model;
    std::string chosen;  // for "auto": the model it picked
    double accuracy = 0.0;
    double coverage_p90 = 0.0;
    double coverage_p95 = 0.0;
    double coverage_p99 = 0.0;
    // p99.9 is extrapolated from the band's tail (QuantileLevel::kP999); its tail ratios (BandCoverage) tell what
    // another factor would have covered.
    double coverage_p999 = 0.0;
    std::vector<double> tail_ratios;
    // The same with the calibrated offsets held fixed (no tracking): what split conformal alone reaches.
    double split_coverage_p90 = 0.0;
    double split_coverage_p95 = 0.0;
    double split_coverage_p99 = 0.0;
    // How far the tracked p95 band sits above the point forecast, relative to the load (sum of offsets over sum of
    // |actual|): what the coverage costs. Bands by phase may be wider on average and still cost a service less,
    // since they cover each phase, bursting ones too (docs/FORECASTING.md).
    double band_width_p95 = 0.0;
    std::string phase_bands = "none";  // what the bands' offsets depend on (PhaseBands::Describe)
    // For auto: how often its weights were fitted again on the held-out forecasts (combination_weights.hpp), and
    // the combination in force at the end (empty when never).
    std::size_t reweighings = 0;
    std::string chosen_at_end;
    double seconds = 0.0;
    std::size_t forecasts = 0;
};

// Values flagged in `missing` (RegularSeries::missing; empty: none) are never scored: not in accuracy, coverage,
// the calibration of the bands, their tracking, or auto's choice.
Result<ModelScore> Backtest(const std::string& model, std::span<const double> values, const BacktestOptions& options,
                            std::span<const std::uint8_t> missing = {});

}  // namespace cloudopt
