#pragma once
// The policy comparison for the service's own resources (simulate/service_comparison.hpp) over the last day, as
// GET /api/dashboard/stats and GET /api/resources/recommendations show it.

#include <nlohmann/json.hpp>

#include "api/routes.hpp"

namespace cloudopt::api::detail {

inline constexpr UnixSeconds kComparisonWindow = 86400;
inline constexpr UnixSeconds kComparisonStep = 300;

// {"window_s":..,"step_s":..,"policies":{"static":{"cost":..,"unmet":..},...},"resources":{"<id>":{...}}}: costs
// in USD summed over resources, unmet the mean over the resources that had enough load to replay.
nlohmann::json PolicyComparison(ApiContext& ctx, UnixSeconds now);

}  // namespace cloudopt::api::detail
