#pragma once
// Rolling-origin backtest with split-conformal bands, as `cloudopt backtest` reports it (docs/FORECASTING.md):
// fit on the first (1 - test_fraction) of a series, then forecast steps 1..H from every origin in the rest, each
// from the true history up to that origin. Accuracy = 1 - WAPE over all those forecasts. The p90/p95/p99 bands
// are the point forecast plus the 90th/95th/99th percentile of each step's errors on a calibration window at the
// end of the training part (never the test part), and coverage is the share of test actuals at or under the band.

#include <algorithm>
#include <cstdint>
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

struct BacktestOptions {
    int horizon = 12;
    double test_fraction = 0.2;
    double calibration_fraction = 0.25;  // of the training part
    bool track_bands = true;             // move the bands after each known actual (band_tracker.hpp), as served
    UnixSeconds start = 0;               // time of the first value (calendar features)
    long long step_seconds = 300;        // sampling interval (season detection, calendar features)
    ModelOptions models;
};

inline constexpr const char* kKnownModels =
    "lstm, lstm_fleet, lstm_tuned, holt_winters, linear, seasonal_naive, naive, auto";

// How Backtest splits a series of `points` points: the training part, and the calibration window at its end.
struct BacktestSplit {
    std::size_t train = 0, calibration = 0;
};
BacktestSplit SplitForBacktest(std::size_t points, const BacktestOptions& options);

struct FleetSeries {
    std::span<const double> values;  // the whole series; each network sees only the part its stage may
    UnixSeconds start = 0;
    long long step = 300;
};
// The fleet networks that Backtest's "lstm_fleet" (and "auto") use for these series, trained with
// options.models.lstm at options.horizon.
Result<FleetNetworks> TrainFleetForBacktest(std::span<const FleetSeries> series, const BacktestOptions& options);
// The same for TrainModel and ForecastSeries, which calibrate on the last CalibrationPoints of a whole series.
Result<FleetNetworks> TrainFleetForModels(std::span<const FleetSeries> series, int horizon,
                                          const ModelOptions& options);
// How many of a series' last points TrainModel calibrates on.
std::size_t CalibrationPoints(std::size_t points);

struct ModelScore {
    std::string model;
    std::string chosen;  // for "auto": the model it picked
    double accuracy = 0.0;
    double coverage_p90 = 0.0;
    double coverage_p95 = 0.0;
    double coverage_p99 = 0.0;
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
struct BandCoverage {
    std::size_t p90 = 0, p95 = 0, p99 = 0, total = 0;

    void Add(const Calibration& bands, std::size_t k, UnixSeconds ts, double forecast, double actual) {
        p90 += actual <= forecast + bands.Offset90(k, ts, forecast);
        p95 += actual <= forecast + bands.Offset95(k, ts, forecast);
        p99 += actual <= forecast + bands.Offset99(k, ts, forecast);
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
    std::string model;   // as asked: "auto", "lstm", ...
    std::string base;    // what auto settled on: a model name or "combination"
    std::vector<std::string> parts;  // for "combination"
    std::vector<double> weights;     // for "combination", one per part
    std::string chosen;  // a readable description of base, parts and weights
    std::vector<std::string> candidates;  // the models weighed (for "auto"); not kept in the model file
    SeriesContext context;
    Calibration bands;   // per step 1..horizon
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
// Values flagged in `missing` (RegularSeries::missing; empty: none) are never scored: not in accuracy, coverage,
// the calibration of the bands, their tracking, or auto's choice.
Result<ModelScore> Backtest(const std::string& model, std::span<const double> values, const BacktestOptions& options,
                            std::span<const std::uint8_t> missing = {});

}  // namespace cloudopt
