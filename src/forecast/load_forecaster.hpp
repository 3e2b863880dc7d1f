#pragma once
// How the service forecasts one resource's load at a moment: with the resource's trained model when it has one
// that fits the question (same grid, long enough horizon), its bands tracked and auto's weights re-weighed on the
// load since training (band_tracker.hpp, combination_weights.hpp), else with the untrained forecaster. A caller
// asks for a forecast; the tracking, re-weighing and calibration stay inside. The live loop and the replay of
// recorded load (simulate/service_replay.hpp) both ask here, so they forecast alike.
//
// Stateless: the same history, model and moment give the same forecast, after a restart too. Thread-safe as long
// as the models and the fallback forecaster are (they are read only).

#include <optional>

#include "core/error.hpp"
#include "core/forecast.hpp"
#include "core/sample.hpp"
#include "forecast/band_tracker.hpp"
#include "forecast/trained_model.hpp"

namespace cloudopt {

struct LoadForecastOptions {
    UnixSeconds step = 300;  // the grid the models see the load on
    // The trained bands are tracked over the model's forecasts of this much recent history since training; 0: the
    // bands as calibrated (the last day still scores the model).
    UnixSeconds band_tracking_seconds = 86400;
    bool reweigh = true;  // auto's weights follow its models' errors since training
};

// A resource's trained model and when it was trained; not owned.
struct TrainedModelRef {
    const TrainedModel* model = nullptr;
    UnixSeconds trained_at = 0;
};

struct LoadForecast {
    Forecast forecast;
    // Set when the trained model answered: how it has forecast since training (the loop's model health).
    std::optional<LiveScore> live;
};

// The forecast of the `horizon` steps after `history` (complete steps only, ending at now's step), made at `now`.
Result<LoadForecast> ForecastLoad(const RegularSeries& history, UnixSeconds now, int horizon, TrainedModelRef trained,
                                  const Forecaster& fallback, const LoadForecastOptions& options);

}  // namespace cloudopt
