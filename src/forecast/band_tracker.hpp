#pragma once
// Keeps a model's calibrated bands honest while the series drifts. Split conformal (backtest.hpp) sets each band
// offset from errors on a window before the forecasts; when the series changes afterwards (a busier week, a new
// burst pattern) a fixed offset covers less or more than it says. Quantile tracking (Angelopoulos, Candès and
// Tibshirani, "Conformal PID control for time series prediction", 2023) moves each offset after every actual that
// becomes known: up by rate x level when the actual was above the band, down by rate x (1 - level) when it was
// not. The offset stops moving only where the band covers `level` of actuals, so over any long stretch the share
// covered approaches the level whatever the drift, and the offset follows the series' recent error.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "core/sample.hpp"
#include "forecast/trained_model.hpp"

namespace cloudopt {

class BandTracker {
public:
    // Starts from the calibrated offsets. Each update moves by `rate` times the step's error scale: the larger of
    // its calibration mean absolute error and a running mean of its recent absolute errors, so that a model that
    // was exact on calibration still adapts when the load turns noisy, and adapts about as fast as the errors grew.
    // Bands by phase or by level (phase_bands.hpp) keep their shape: every group of a step moves by the same amount,
    // the one the offset of the group that was observed called for, so the tracking corrects their level, not their
    // form.
    BandTracker(const Calibration& calibrated, double rate = kDefaultRate);

    // The actual of horizon step `step` (0-based) of one forecast, for the time `ts`, is now known: error = actual -
    // point forecast (`forecast`, which bands by level are looked up by).
    void Observe(std::size_t step, double error, UnixSeconds ts = 0, double forecast = 0.0);
    // Value `index` of the series, `actual`, for the time `ts`, has just become known: observes the error of every
    // forecast of it, one per horizon step, among `forecasts` laid out as PointModel::ForecastFromOrigins writes
    // them (origin t, step k at (t - first_origin) * H + k, H = the number of bands).
    void ObserveArrival(std::size_t index, UnixSeconds ts, double actual, std::span<const double> forecasts,
                        std::size_t first_origin);

    // The tracked offsets without phases (what bands without phases use).
    const std::vector<double>& q90() const { return bands_.q90; }
    const std::vector<double>& q95() const { return bands_.q95; }
    const std::vector<double>& q99() const { return bands_.q99; }
    // The tracked bands to forecast with: Offset90 / Offset95 / Offset99 (accuracy and scale as calibrated).
    const Calibration& Bands() const { return bands_; }

    static constexpr double kDefaultRate = 0.1;

private:
    // The offsets of one level: the plain ones and those by group.
    struct Level {
        double value;
        std::vector<double> Calibration::*plain;
        std::vector<double> PhaseBands::*by_phase;
    };
    static const Level kLevels[3];
    // Adds `delta` to step k's offsets at `level`: the plain one and every phase's.
    void Shift(std::size_t k, const Level& level, double delta);

    double rate_;
    Calibration bands_;
    std::vector<double> floor_scale_, recent_scale_;
};

// How well a trained model has forecast since it was trained: 1 - WAPE over its forecasts (steps 1..H) of every
// value of the tracked window that is known, the measure its validation accuracy uses. The service compares the
// two to retrain a model whose error drifted (control/model_health.hpp).
struct LiveScore {
    double accuracy = std::numeric_limits<double>::quiet_NaN();  // NaN before any actual is known
    std::size_t actuals = 0;                                     // values scored (filled gaps are not)
    // The same forecasts made by repeating the last known value (naive): how hard the window was to forecast.
    double naive_accuracy = std::numeric_limits<double>::quiet_NaN();
    // The share of those forecasts' actuals at or under the p90 / p95 / p99 band in force when each actual came
    // (TrackTrainedModel): the bands' empirical coverage since training, out of sample. NaN before any is known.
    double coverage_p90 = std::numeric_limits<double>::quiet_NaN();
    double coverage_p95 = std::numeric_limits<double>::quiet_NaN();
    double coverage_p99 = std::numeric_limits<double>::quiet_NaN();
};

// Scores the forecasts from origins [first, end) of the values they forecast in [first, end): the LiveScore of
// those forecasts. `forecasts` are laid out as PointModel::ForecastFromOrigins writes them from `forecasts_origin`
// (origin t, step k at (t - forecasts_origin) * horizon + k; forecasts_origin <= first). Values flagged in
// `missing` (RegularSeries::missing; empty: none) are not scored.
LiveScore ScoreForecasts(std::span<const double> values, std::span<const std::uint8_t> missing,
                         std::span<const double> forecasts, std::size_t forecasts_origin, std::size_t first,
                         std::size_t end, std::size_t horizon);

// What the service forecasts with: the trained bands tracked over the forecasts the model would have made from
// each of the last `steps` origins of `history`, in the order their actuals arrived, and how those forecasts
// scored (accuracy, and the coverage of the bands as they stood when each actual came). Stateless, so a restart or a retrained model gives the same bands from the same history; 0 steps gives
// the trained bands and no score. `rate` 0 scores without moving the bands.
//
// `since_training` is how many of the history's last steps came after the model was trained. When the model
// re-weighs (TrainedModel::Reweighs), the forecasts tracked are the re-weighed ones, and `weights` are those in
// force for the next forecast (combination_weights.hpp); 0 keeps the trained weights.
struct Tracked {
    Calibration bands;
    LiveScore live;
    std::vector<double> weights;  // empty: the trained weights
    std::size_t reweighings = 0;
};
Tracked TrackTrainedModel(const TrainedModel& trained, const RegularSeries& history, std::size_t steps,
                          double rate = BandTracker::kDefaultRate, std::size_t since_training = 0);

}  // namespace cloudopt
