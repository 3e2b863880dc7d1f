#pragma once
// What the ExternalScaler serves for a resource, computed from the board (pure; no I/O).
//
// KEDA's HPA runs an external metric of type AverageValue: replicas = ceil(value / target), where both numbers went
// through KEDA as milli-quantities (int64(x * 1000), truncated). cloudopt serves target = the load one replica
// carries at the resource's target utilization, and value = the load its plan sized for (the forecast quantile over
// boot delay + tick, or the reactive floor's load), moved into the interval whose ceil is the planned count, so the
// HPA lands exactly on the count the engine applied, whichever rule (stabilization, max step, min/max) bound it.
// The HPA's tolerance (docs/KEDA.md) is the one thing that can still keep it from moving.

#include <cstdint>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/forecast.hpp"
#include "keda/plan_board.hpp"

namespace cloudopt::keda {

// How KEDA turns a metric or target into a quantity's milli-units.
std::int64_t KedaMilli(double value);

// The load one replica carries at the target utilization: capacity_per_instance x the middle of the band.
double TargetPerReplica(const Resource& resource);

// The value nearest `load` whose milli-units m satisfy (replicas - 1) * M < m <= replicas * M, with M the target's
// milli-units: KEDA's HPA then computes exactly `replicas`. 0 for 0 replicas. M must be at least 1.
double ValueLandingOn(int replicas, double target, double load);

struct ServedMetric {
    int replicas = 0;      // what ceil(value / target) gives
    double value = 0.0;    // GetMetrics
    double target = 0.0;   // GetMetricSpec
    double load = 0.0;     // the planned load behind `value`, before it was fitted to `replicas`
    std::string quantile;  // the forecast band served: "p95"
    bool active = false;   // the forecast needs a replica (IsActive)
};

// The metric for `entry` at `now`. With no quantile or the plan's own, the count the loop applied; with another
// band, that band's peak over the plan's lead time, never below the reactive floor, within min/max (the loop's
// stabilization and flap rules then do not apply: KEDA's own behavior does). Errors, never a silent zero:
// kUnprocessable when the resource is not in auto mode or its target rounds to 0 milli-units; kUnavailable when no
// pass has planned it yet, the last plan is older than `max_plan_age`, the forecast failed, or the load is stale.
Result<ServedMetric> ServeMetric(const BoardEntry& entry, std::optional<QuantileLevel> quantile, UnixSeconds now,
                                 UnixSeconds max_plan_age);

}  // namespace cloudopt::keda
