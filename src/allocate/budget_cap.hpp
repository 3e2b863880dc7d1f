#pragma once
// The budget cap (issue 32 item 3, core/budget.hpp, docs/COSTS.md "Budgets"): while a capping budget's p50
// projection is over it, a resource's planned capacity is held to its share of what the budget has left per hour.
// The default mode (soft) never goes below what the measured load needs now (the planner's reactive floor, at the
// top of the utilization band) nor, without a measurement, below what runs (never scale in blind). Hard mode binds
// below that too and says how much of the measured load it leaves unmet. min_capacity stays a hard limit in both.
// Pure function; called by the engine (allocate/scaling_engine.cpp) after the planner and before the cloud group's
// own limits.

#include <optional>

#include "core/budget.hpp"
#include "core/plan.hpp"

namespace cloudopt {

// Lowers `decision.desired` to the cap when the cap binds, setting bound_by "budget_cap" and saying so in the
// reason ("budget cap: ...") and the explanation; leaves it alone otherwise.
void ApplyBudgetCap(const BudgetCapLimit& cap, const Resource& resource, std::optional<double> current_load,
                    int running, PlanDecision& decision);

}  // namespace cloudopt
