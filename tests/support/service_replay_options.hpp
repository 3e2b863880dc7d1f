#pragma once
// The service replay's settings taken from a running loop (forecast grid, horizon, history, staleness, engine), so a
// test replays recorded load exactly as that loop decided on it.

#include "control/control_loop.hpp"
#include "simulate/service_replay.hpp"

namespace cloudopt::testing {

inline ServiceReplayOptions ReplayOptionsOf(const ControlLoop& loop) {
    ServiceReplayOptions o;
    o.engine = loop.options().engine;
    o.forecast = loop.ForecastOptions();
    o.horizon_steps = loop.options().horizon_steps;
    o.history_seconds = loop.options().history_seconds;
    o.stale_after_seconds = loop.options().stale_after_seconds;
    return o;
}

}  // namespace cloudopt::testing
