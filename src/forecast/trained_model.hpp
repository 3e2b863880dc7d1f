#pragma once
// Trained forecasting models, as the service and `cloudopt train` use them: the model options ("auto" and what it
// weighs), training a model on a whole series with split-conformal bands calibrated on its last part, forecasting
// with it (the bands tracked, the weights re-weighed: band_tracker.hpp, combination_weights.hpp), and the shared
// fleet network. The rolling-origin backtest that scores them is backtest.hpp.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/forecast.hpp"
#include "core/sample.hpp"
#include "forecast/combination_weights.hpp"
#include "forecast/lstm_options.hpp"
#include "forecast/phase_bands.hpp"
#include "forecast/point_model.hpp"

namespace cloudopt {

struct LstmFleet;  // lstm_model.hpp

// "lstm_fleet" networks for a set of series (TrainFleetForBacktest): one trained on what each series' calibration
// sees (its points before the calibration window), one on its whole training part.
struct FleetNetworks {
    std::shared_ptr<const LstmFleet> calibration, full;
    double seconds = 0.0;  // training both
    explicit operator bool() const { return calibration && full; }
};

// Settings of the models that have any, and what "auto" may use.
struct ModelOptions {
    LstmOptions lstm;
    // The LSTM trains for every series it is a candidate for, so "auto" weighs it only when asked to.
    bool auto_includes_lstm = false;
    // "auto" weighs the linear autoregression beside the other statistical models. Its fit costs several times
    // theirs together (8 days at H = 12: auto takes 7 times as long with it), which matters only where auto is
    // refitted for every forecast: the service's untrained fallback (AutoForecaster) leaves it out.
    bool auto_includes_linear = true;
    // With auto_includes_lstm, "auto" also weighs the fleet network when there is one.
    FleetNetworks fleet;
    // With a fleet network, "auto" weighs it instead of training an LSTM for the series: half the training, and
    // on the VM datasets the fleet network forecast as well or better (docs/FORECASTING.md).
    bool fleet_replaces_lstm = false;
    // With a fleet network (and not replacing), the series' own LSTM starts from the fleet's weights and is trained
    // on the series at a lower rate ("lstm_tuned") instead of from PyTorch's initialization ("lstm"): the fleet knows
    // shapes one series has too few windows to learn (docs/FORECASTING.md).
    bool tune_fleet = true;
    // Let the calibration choose bands by the phase of the hour or day where they beat one offset per step
    // (phase_bands.hpp).
    bool phase_bands = true;
    // "auto" keeps every model it weighed in its combination, and its weights follow the models' errors since
    // training (combination_weights.hpp). Off: the weights fitted at training stay, and a model without weight
    // is dropped.
    bool reweigh = true;
};

// The model setup the service trains each resource with: auto with the LSTM (train_epochs > 0; 0: statistical models
// only), its shape, bands by phase, re-weighing (loop.train_epochs, loop.lstm_*, loop.phase_bands, loop.reweigh).
// `cloudopt simulate` and the dashboard's simulation forecast with it too, so they describe what the service does.
ModelOptions ServiceModelOptions(int train_epochs, const LstmShapeSettings& shape, bool phase_bands, bool reweigh);

// The share of a series' points (its last ones) that TrainModel calibrates the bands on, and the share of the
// training part the backtest calibrates on.
inline constexpr double kCalibrationFraction = 0.25;

inline constexpr const char* kKnownModels =
    "lstm, lstm_fleet, lstm_tuned, holt_winters, linear, seasonal_naive, naive, auto";

struct FleetSeries {
    std::span<const double> values;  // the whole series; each network sees only the part its stage may
    UnixSeconds start = 0;
    long long step = 300;
};
// The fleet networks (lstm_fleet) for TrainModel and ForecastSeries, which calibrate on the last CalibrationPoints of a
// whole series: one trained on what each series' calibration sees, one on the whole series.
Result<FleetNetworks> TrainFleetForModels(std::span<const FleetSeries> series, int horizon,
                                          const ModelOptions& options);
// How many of a series' last points TrainModel calibrates on.
std::size_t CalibrationPoints(std::size_t points);

// Upper bands per forecast step from a fitted model's errors over origins [first_origin, values.size()).
struct Calibration {
    std::vector<double> q90;  // per step h-1: add to the point forecast
    std::vector<double> q95;
    std::vector<double> q99;
    std::vector<double> mae;  // per step: mean |actual - forecast|, the scale BandTracker moves the bands by
    double accuracy = 0.0;    // 1 - WAPE over the calibration forecasts
    // When active, offsets per step and group (the phase of the time forecast, or the forecast's level), in place
    // of q90 / q95 / q99 (phase_bands.hpp).
    PhaseBands phase;

    // What to add to step k's point forecast `median`, for the step that starts at `ts`.
    double Offset90(std::size_t k, UnixSeconds ts, double median) const {
        return phase.active() ? phase.q90[k * phase.groups() + phase.GroupOf(ts, median)] : q90[k];
    }
    double Offset95(std::size_t k, UnixSeconds ts, double median) const {
        return phase.active() ? phase.q95[k * phase.groups() + phase.GroupOf(ts, median)] : q95[k];
    }
    double Offset99(std::size_t k, UnixSeconds ts, double median) const {
        return phase.active() ? phase.q99[k * phase.groups() + phase.GroupOf(ts, median)] : q99[k];
    }
    // Step k's forecast point for the step that starts at `ts`, around the point forecast `median`: load is never
    // negative and a band never sits under a lower one.
    ForecastPoint Point(std::size_t k, UnixSeconds ts, double median) const {
        ForecastPoint p;
        p.ts = ts;
        p.p50 = std::max(0.0, median);
        p.p90 = std::max(p.p50, median + Offset90(k, ts, median));
        p.p95 = std::max(p.p90, median + Offset95(k, ts, median));
        p.p99 = std::max(p.p95, median + Offset99(k, ts, median));
        return p;
    }
};

// How often actuals fell at or under each band: the empirical coverage the backtest reports and the service keeps
// since training. Counted against the bands in force when each actual came.
// p99.9 has no band: it is the planner's extrapolation from the band's tail (QuantileLevel::kP999), so its coverage
// says how honest that extrapolation is. `tail_ratios` keeps, for each actual above p99, how many times the
// p95-p99 spacing it went past p99 (infinite where the band has no tail): an actual is covered by a tail factor f
// when its ratio is at most f, so one run tells what any factor would have covered (docs/COSTS.md).
struct BandCoverage {
    std::size_t p90 = 0, p95 = 0, p99 = 0, p999 = 0, total = 0;
    std::vector<double> tail_ratios;

    void Add(const Calibration& bands, std::size_t k, UnixSeconds ts, double forecast, double actual) {
        p90 += actual <= forecast + bands.Offset90(k, ts, forecast);
        p95 += actual <= forecast + bands.Offset95(k, ts, forecast);
        p99 += actual <= forecast + bands.Offset99(k, ts, forecast);
        const ForecastPoint point = bands.Point(k, ts, forecast);  // as the planner reads it
        p999 += actual <= PointQuantile(point, QuantileLevel::kP999);
        if (actual > point.p99)
            tail_ratios.push_back(point.p99 > point.p95 ? (actual - point.p99) / (point.p99 - point.p95)
                                                        : std::numeric_limits<double>::infinity());
        ++total;
    }
    // The share covered; `none` before any actual.
    double Share(std::size_t covered, double none) const {
        return total ? static_cast<double>(covered) / static_cast<double>(total) : none;
    }
};
// Values flagged in `missing` (RegularSeries::missing; empty: none) are not scored. `start` and `step` place the
// values in time, for bands that depend on the phase of the hour or day (chosen only where they help).
Calibration Calibrate(const PointModel& model, std::span<const double> values, std::size_t first_origin, int horizon,
                      std::span<const std::uint8_t> missing = {}, UnixSeconds start = 0, UnixSeconds step = 0);

// Models by name: kKnownModels.
bool IsKnownModel(const std::string& name);
// Fits `model` on the whole series and forecasts the next `horizon` steps with calibrated p90/p95 bands; the
// accuracy is that of the calibration window. "auto" picks the base model that did best there.
Result<Forecast> ForecastSeries(const std::string& model, const RegularSeries& series, int horizon,
                                const ModelOptions& options = {});

// A model fitted on a whole series with its calibrated bands: what `cloudopt train` saves (model_file.hpp).
struct TrainedModel {
    std::string model;                    // as asked: "auto", "lstm", ...
    std::string base;                     // what auto settled on: a model name or "combination"
    std::vector<std::string> parts;       // for "combination"
    std::vector<double> weights;          // for "combination", one per part
    std::string chosen;                   // a readable description of base, parts and weights
    std::vector<std::string> candidates;  // the models weighed (for "auto"); not kept in the model file
    SeriesContext context;
    Calibration bands;  // per step 1..horizon
    std::unique_ptr<PointModel> point;
    bool reweigh = true;  // ModelOptions::reweigh when trained or loaded

    // Whether its weights follow its parts' errors since training (combination_weights.hpp).
    bool Reweighs() const { return reweigh && model == "auto" && base == "combination" && parts.size() >= 2; }
};
Result<TrainedModel> TrainModel(const std::string& model, const RegularSeries& series, int horizon,
                                const ModelOptions& options = {});
// The next `horizon` steps after `series` (its most recent history) with the trained bands, or with `bands` (the
// tracked ones, band_tracker.hpp) when given, and for a model that re-weighs, with `weights` when given (those
// re-weighing has in force, Tracked::weights).
Result<Forecast> ForecastWith(const TrainedModel& trained, const RegularSeries& series, int horizon,
                              const Calibration* bands = nullptr, std::span<const double> weights = {});
// The forecasts of a fitted combination (`model`, trained with weights `prior`) from origins [first,
// values.size()], its weights re-weighed on its parts' forecasts since origin `fresh`, the first value it was not
// trained on (fresh <= first; combination_weights.hpp). `start` is the time of values[0]. Empty forecasts when
// `model` is not a combination.
Reweighed ForecastReweighed(const PointModel& model, std::span<const double> prior, UnixSeconds start,
                            std::span<const double> values, std::span<const std::uint8_t> missing, std::size_t first,
                            std::size_t fresh, int horizon, long long step_seconds);
// "combination(lstm=0.60,naive=0.40)": the parts with weight.
std::string DescribeCombination(const std::vector<std::string>& parts, const std::vector<double>& weights);
// An unfitted model of the given base ("combination" with parts and weights), for loading saved state.
std::unique_ptr<PointModel> MakePointModel(const std::string& base, const std::vector<std::string>& parts,
                                           const std::vector<double>& weights, const ModelOptions& options);
}  // namespace cloudopt
