#pragma once
// How "auto" weighs the models it combines: once at training, on the forecasts of its validation window, and
// again between trainings, on the forecasts each model has made since training.
//
// A series can change character after training: a daily job stops, a VM turns bursty. The weights fitted on the
// validation window then favour a model that no longer fits, until the next training. Re-weighing follows the
// models' own recent errors instead: every few hours, the weights are fitted again on the latest forecasts whose
// actuals are known. Only forecasts made since training count (values the models never fitted), so a flexible
// model's small in-sample errors cannot win it the weight. Re-weighing needs a day of such forecasts first.
//
// It is a function of the trained models and the history alone, so the backtest, the simulator and the service
// (which replays the forecasts since training on every forecast, as it does for the bands) compute the same
// weights from the same data.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace cloudopt {

// Convex weights on a grid of 1/20 that minimize the absolute error of the combined forecasts from origins
// [first, values.size()), over the steps whose actuals are in `values` and measured (`missing`, as
// RegularSeries::missing; empty: all). forecasts[i] holds model i's forecasts laid out as
// PointModel::ForecastFromOrigins writes them from `first`. Ties keep the first split found; one model gets 1.
std::vector<double> FitCombinationWeights(std::span<const double> values, std::span<const std::uint8_t> missing,
                                          std::size_t first, int horizon,
                                          std::span<const std::span<const double>> forecasts);

// When the weights are fitted again, in origins (steps of the series).
struct ReweighSchedule {
    std::size_t warmup = 0;  // origins since training before the first re-weighing
    std::size_t every = 1;   // origins between re-weighings
    std::size_t window = 1;  // origins whose forecasts a re-weighing fits on: the latest ones
};
// A day of warmup, then every four hours on the last three days (at least a few steps each).
ReweighSchedule DefaultReweighSchedule(long long step_seconds);

// The first origin whose forecasts CombineReweighed needs to combine from `first` on, for models trained on the
// values before `fresh` (fresh <= first).
std::size_t ReweighFrom(std::size_t first, std::size_t fresh, const ReweighSchedule& schedule);

struct Reweighed {
    std::vector<double> forecasts;  // combined, from origins [first, values.size()], ForecastFromOrigins layout
    std::vector<double> weights;    // in force at the last origin (values.size()): the next forecast's
    std::size_t refits = 0;         // re-weighings that happened up to then (0: the prior weights)
};
// Combines the parts' forecasts from origins [first, values.size()]: at origin t, with `prior` until
// schedule.warmup origins have passed since `fresh`, then with the weights fitted at the latest re-weighing
// point fresh + warmup + j * every <= t, on the forecasts from origins in the window before that point whose
// actuals were known by then. parts[i] holds part i's forecasts from origins [from, values.size()] with
// from = ReweighFrom(first, fresh, schedule).
Reweighed CombineReweighed(std::span<const double> values, std::span<const std::uint8_t> missing,
                           std::span<const std::span<const double>> parts, std::size_t from, std::size_t first,
                           std::size_t fresh, int horizon, std::span<const double> prior,
                           const ReweighSchedule& schedule);

}  // namespace cloudopt
