#pragma once
// The simplest real planner: enough instances that the forecast quantile, looked ahead over the boot delay,
// runs at the middle of the utilization band; never below what the measured load needs now (reactive floor);
// scale-in held by the stabilization floor, and never done without a fresh load measurement; min/max as hard
// limits. The optimizer issue replaces it with the
// cost-optimal planner behind the same interface.

#include "core/plan.hpp"

namespace cloudopt {

class TargetUtilizationPlanner final : public Planner {
public:
    PlanDecision Plan(const PlanInput& input) const override;
};

// ceil(load / (capacity_per_instance * utilization)), with a small tolerance so 12.0000001 stays 12.
int InstancesFor(double load, double capacity_per_instance, double utilization);

}  // namespace cloudopt
