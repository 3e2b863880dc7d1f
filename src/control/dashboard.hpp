#pragma once
// What GET /api/dashboard/stats and /history show: cost now against static allocation, utilization against
// the band, counts and alerts. Computed from the store and the providers on each call.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "control/control_loop.hpp"

namespace cloudopt {

struct ResourceStats {
    Resource resource;
    int desired = 0;
    int ready = 0;
    double cost_per_hour = 0.0;
    // Static allocation: enough instances for the peak load of the past week at the top of the band, always.
    int static_instances = 0;
    double static_cost_per_hour = 0.0;
    std::optional<double> load;
    std::optional<double> utilization;
    std::string band = "unknown";  // below | in | above | unknown
    std::vector<std::string> alerts;
};

struct DashboardStats {
    UnixSeconds now = 0;
    double cost_per_hour = 0.0;
    double static_cost_per_hour = 0.0;
    double saving_per_hour = 0.0;
    double saving_fraction = 0.0;  // saving / static cost
    std::optional<double> mean_utilization;
    double target_low = 0.70;
    double target_high = 0.80;
    int in_band = 0, below_band = 0, above_band = 0;
    std::map<std::string, int> resources_by_mode;
    int resources = 0;
    std::int64_t actions_24h = 0;
    std::int64_t open_recommendations = 0;
    std::vector<std::string> alerts;
    std::vector<ResourceStats> per_resource;
};

Result<DashboardStats> ComputeDashboardStats(Store& store, ControlLoop& loop, UnixSeconds now);

struct ResourceHistory {
    Resource resource;
    std::vector<Sample> demand;    // the load metric
    std::vector<Sample> capacity;  // ready instances
    std::vector<Sample> cost_per_hour;
    // Load over what was ready (demand / (ready x capacity per instance)) per bucket where both are known, capped
    // at 1: the figure the dashboard draws against the band. A bucket with no ready instance has none.
    std::vector<Sample> utilization;
};

// Demand, capacity and cost of each resource (or one) over [from, to), downsampled to `step`.
Result<std::vector<ResourceHistory>> ComputeHistory(Store& store, std::optional<ResourceId> only, UnixSeconds from,
                                                    UnixSeconds to, UnixSeconds step);

}  // namespace cloudopt
