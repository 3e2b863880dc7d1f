#pragma once
// The budget cap (issue 32 item 3, core/budget.hpp, docs/COSTS.md "Budgets"): while a capping budget's p50
// projection is over it, a resource's planned capacity is held to its share of what the budget has left per hour.
// The default mode (soft) never goes below what the measured load needs now (the planner's reactive floor, at the
// top of the utilization band) nor, without a measurement, below what runs (never scale in blind). Hard mode binds
// below that too and says how much of the measured load it leaves unmet. When budgets of both modes cap a resource,
// each applies apart and the lower holds: the soft one down to the measured need, the hard one below it. A cap with
// no projection of its own (BudgetCapLimit::unprojected) holds the measured need. min_capacity stays a hard limit.
// Pure functions; called by the engine (allocate/scaling_engine.cpp) after the planner and before the cloud group's
// own limits.

#include <optional>

#include "core/budget.hpp"
#include "core/plan.hpp"

namespace cloudopt {

// Lowers `decision.desired` to the caps when one binds, setting bound_by "budget_cap" and saying so in the reason
// ("budget cap: ...") and the explanation; leaves it alone otherwise. `running` is what runs now.
void ApplyBudgetCap(const BudgetCaps& caps, const Resource& resource, std::optional<double> current_load, int running,
                    PlanDecision& decision);
// One budget's cap alone (in the slot of its mode).
void ApplyBudgetCap(const BudgetCapLimit& cap, const Resource& resource, std::optional<double> current_load,
                    int running, PlanDecision& decision);

}  // namespace cloudopt
