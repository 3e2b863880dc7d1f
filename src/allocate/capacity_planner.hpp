#pragma once
// cloudopt's planner: the service's control loop and the simulator's predictive policy both call it.
//
// Capacity = the forecast quantile (the resource's risk setting, p95 by default) at its peak over the next boot
// delay + tick, divided by capacity per instance x the middle of the utilization band. Then, in order:
// - reactive floor: never below what the measured load needs now at the top of the band;
// - scale-in waits out the stabilization window: not below the highest recommendation made within the last
//   window, nor below what the forecast needs within the next one, and never without a fresh measurement;
// - no flapping: at most one change of direction per window (a scale-out is never held back: it protects the
//   service; it is the second reversal, a scale-in, that waits);
// - max_step, min_capacity and max_capacity are hard limits.
// With a catalog it prices the change and finds the cheapest instance mix among the resource's allowed types
// that carries the same vCPU and memory (see instance_mix.hpp). Every decision says which rule bound it.

#include "core/plan.hpp"

namespace cloudopt {

class CapacityPlanner final : public Planner {
  public:
    PlanDecision Plan(const PlanInput& input) const override;
};

// The most instances any count here means: far above every group's maximum (100,000), far below INT_MAX, so sums
// and differences of counts cannot overflow.
inline constexpr int kMaxInstanceCount = 1'000'000'000;

// ceil(load / (capacity_per_instance * utilization)), with a small tolerance so 12.0000001 stays 12; 0 for a
// load that is not positive (or NaN), kMaxInstanceCount for one beyond it (1e300, or a capacity of 0).
int InstancesFor(double load, double capacity_per_instance, double utilization);

// The quantile a resource's risk setting names, or `fallback` when it names none.
QuantileLevel RiskQuantile(const Resource& resource, QuantileLevel fallback);

}  // namespace cloudopt
