#pragma once
// Replays the load a running service recorded for one resource, tick by tick, through the same forecast
// (forecast/load_forecaster.hpp) and decision engine (allocate/scaling_engine.hpp) the service's loop runs, on the
// simulated cloud's model of capacity (instances serve a boot delay after launch). It answers "what would cloudopt
// have decided here, with these settings?", and, run with the settings the service ran with, it makes the decision
// the live loop made at every tick: the check that simulation describes the service (docs/ALLOCATION.md).
//
// Each tick at time t sees what the loop sees: the history of complete forecast steps before t (the mean of the
// recorded samples in each step, gaps held), and the newest sample within the staleness limit as the current load.
// The resource is replayed in auto mode: every change the engine lets through is applied.

#include <vector>

#include "allocate/scaling_engine.hpp"
#include "core/error.hpp"
#include "core/forecast.hpp"
#include "core/resource.hpp"
#include "core/sample.hpp"
#include "forecast/load_forecaster.hpp"

namespace cloudopt {

struct ServiceReplayOptions {
    EngineOptions engine;                     // the loop's (tick, quantile, stabilization, flap guard, ...)
    LoadForecastOptions forecast;             // the loop's grid, band tracking, re-weighing
    int horizon_steps = 12;                   // loop.horizon_steps
    UnixSeconds history_seconds = 8 * 86400;  // loop.history_days
    UnixSeconds stale_after_seconds = 600;    // a load sample older than this is not "current"
};

// One tick's decision.
struct ReplayedTick {
    UnixSeconds ts = 0;
    int current = 0;  // the desired capacity before the tick
    int desired = 0;  // what the engine planned
    Verdict verdict = Verdict::kKeep;
    std::string bound_by;
    int ready = 0;      // instances serving at the tick
    double load = 0.0;  // the current load it saw (NaN when none was fresh)
    // The decision's sentence (SummarizeDecision), kept only for the ticks whose change was applied.
    std::string summary;
};

struct ServiceReplay {
    std::vector<ReplayedTick> ticks;
    int changes = 0;              // applied changes
    int flaps = 0;                // of which undid the previous one within 30 minutes (core/action.hpp IsFlap)
    double instance_hours = 0.0;  // billed while replayed (per second, 60 s minimum per launch)
    int starved_ticks = 0;        // ticks whose current load exceeded ready capacity
};

// Replays ticks from `from` to `to` (inclusive) every engine.tick_seconds, starting from `initial_capacity`
// instances, all ready. `load` is the resource's recorded load metric, sorted by time (history before `from`
// included: the forecasts read it). kInvalidArgument for bad settings, kUnprocessable without load.
Result<ServiceReplay> ReplayRecordedLoad(const Resource& resource, const std::vector<Sample>& load,
                                         int initial_capacity, UnixSeconds from, UnixSeconds to,
                                         TrainedModelRef trained, const Forecaster& fallback,
                                         const ServiceReplayOptions& options);

}  // namespace cloudopt
