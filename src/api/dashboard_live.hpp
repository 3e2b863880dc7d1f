#pragma once
// What the dashboard's charts need beyond the stored series (docs/DASHBOARD.md): the cost of what ran against
// static over any range, with "saved against static" by the one definition (docs/SAVINGS.md); the next capacity
// changes the stored forecasts plan; and the delta each live event carries, so a page extends its charts instead
// of reloading them. Functions of the store and loop behind `ctx`; thread-safe as far as those are. Defined in
// routes_dashboard.cpp.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "api/routes.hpp"

namespace cloudopt::api::detail {

// Cost per hour of what ran and of the static policy over [from, to), replayed on the 5-minute grid exactly as
// the comparison behind `saved` (api/policy_comparison.hpp): {"from","to","step","static_cost","actual_cost",
// "saved","resources":[{id,name,static_cost,actual_cost,saved | error}],"series":[[ts, ran/h, static/h], ...]}.
// The series' points are means over buckets of whole 5-minute steps (at most `max_points` of them), so the area
// between its lines is `saved`. With `from` = now - 86400 and `to` = now it is saved.day of /api/dashboard/stats.
nlohmann::json SavingsSeries(ApiContext& ctx, UnixSeconds from, UnixSeconds to, std::size_t max_points);

// The capacity the stored forecast plans at each step, by the planner's sizing rule (routes_predictions.cpp):
// {"quantile","target_utilization","steps":[{ts, instances}]}.
nlohmann::json PlannedCapacity(const Resource& r, const Forecast& f, QuantileLevel fallback);

// Per resource, the first step ahead of now at which the stored forecast plans another instance count than what
// is ready now: {"changes":[{resource_id, resource, ts, from, to, quantile, forecast_generated_at}]}, soonest first.
nlohmann::json NextPlannedChanges(ApiContext& ctx, UnixSeconds now);

// What one event stream has already told its reader. Owned by one stream, used from one thread at a time.
struct LiveCursor {
    std::int64_t last_action_id = -1;  // -1: not started; the first event sends none (the page has just loaded)
    std::string alerts_seen;           // a digest of the alerts' ids and states
    std::string recommendations_seen;  // a digest of the open recommendations
};

// The data of one "pass" event: {"passes","now","resources":[{id, ts, demand, ready, cost_per_hour, utilization}],
// "actions":[new actions, oldest first], "alerts_changed", "recommendations_changed",
// "forecasts":{"<id>": generated_at}}; one line of JSON.
std::string LiveEventData(ApiContext& ctx, LiveCursor& cursor, std::int64_t passes, UnixSeconds now);

}  // namespace cloudopt::api::detail
