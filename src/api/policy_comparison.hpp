#pragma once
// The policy comparison for the service's own resources (simulate/service_comparison.hpp) over the last day, week
// and month, and "saved against static" computed from it: the one definition every card, table and API field uses
// (docs/SAVINGS.md, "Saved against static: one definition").

#include <nlohmann/json.hpp>
#include <string>

#include "api/routes.hpp"

namespace cloudopt::api::detail {

// A window the comparison is replayed over. All replay the 5-minute grid the loop forecasts on: the reactive
// (Kubernetes HPA) baseline grows its scale-up limit per 15 s of a step and is not meant for coarser steps. A
// window's result is reused for `reuse_s` of the service's clock (a month's figure moves little within an hour),
// so the replay runs once per step of the day, not once per request.
struct ComparisonWindow {
    const char* key;  // "day", "week", "month"
    UnixSeconds seconds;
    UnixSeconds step;
    UnixSeconds reuse_s;
};
inline constexpr ComparisonWindow kComparisonWindows[] = {
    {"day", 86400, 300, 300},
    {"week", 7 * 86400, 300, 900},
    {"month", 30 * 86400, 300, 3600},
};
inline constexpr ComparisonWindow kDayWindow = kComparisonWindows[0];

// {"window_s":..,"step_s":..,"policies":{"static":{"cost":..,"unmet":..},...},"resources":{"<id>":{...}}}: costs
// in USD summed over resources, unmet the mean over the resources that had enough load to replay.
nlohmann::json PolicyComparison(ApiContext& ctx, UnixSeconds now, const ComparisonWindow& window = kDayWindow);

// Saved against static over one window, from that window's comparison: {"window_s", "step_s", "static_cost",
// "actual_cost", "saved", "resources"} with saved = static_cost - actual_cost over the resources the comparison
// replayed; "saved" is null (with "reason") when none could be replayed yet.
nlohmann::json SavedAgainstStatic(const nlohmann::json& comparison);

// {"day": SavedAgainstStatic(..), "week": .., "month": ..}; `day` is the comparison of the day window when the caller
// already has it (so both come from one replay).
nlohmann::json SavedPerWindow(ApiContext& ctx, UnixSeconds now, const nlohmann::json& day);

// What applying every open recommendation would change: {"per_hour": sum of (hourly cost before - after),
// "open_recommendations": n}. Never part of "saved".
nlohmann::json CouldSave(const std::vector<Recommendation>& open);

}  // namespace cloudopt::api::detail
