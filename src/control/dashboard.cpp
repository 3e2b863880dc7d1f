#include "control/dashboard.hpp"

#include <algorithm>
#include <cmath>

#include "allocate/capacity_planner.hpp"
#include "control/fresh_sample.hpp"

namespace cloudopt {

namespace {
constexpr UnixSeconds kWeek = 7 * 86400;
constexpr UnixSeconds kDay = 86400;
constexpr UnixSeconds kPeakStep = 300;

// Utilization per bucket from the demand and ready-instance buckets of the same grid (both sorted by ts).
std::vector<Sample> UtilizationOf(const std::vector<Sample>& demand, const std::vector<Sample>& ready,
                                  double capacity_per_instance) {
    std::vector<Sample> out;
    std::size_t j = 0;
    for (const Sample& d : demand) {
        while (j < ready.size() && ready[j].ts < d.ts) ++j;
        if (j == ready.size()) break;
        if (ready[j].ts != d.ts || ready[j].value <= 0 || capacity_per_instance <= 0) continue;
        out.push_back({d.ts, std::min(1.0, d.value / (ready[j].value * capacity_per_instance))});
    }
    return out;
}
}  // namespace

Result<DashboardStats> ComputeDashboardStats(Store& store, ControlLoop& loop, UnixSeconds now) {
    auto resources = store.ListResources();
    if (!resources) return resources.error();
    DashboardStats stats;
    stats.now = now;
    double utilization_sum = 0.0;
    int utilization_count = 0;
    for (const Resource& r : *resources) {
        ResourceStats rs;
        rs.resource = r;
        ++stats.resources_by_mode[ModeName(r.mode)];
        if (auto state = loop.Describe(r)) {
            rs.desired = state->desired;
            rs.ready = state->ready;
        } else {
            rs.alerts.push_back(r.name + ": provider unreachable: " + state.error().message);
        }
        rs.cost_per_hour = loop.HourlyCost(r, rs.desired);

        // Peak of 5-minute means, as static sizing would see it on a dashboard.
        auto week = store.QueryDownsampled({r.id, r.load_metric}, now - kWeek, now + 1, kPeakStep, Aggregation::kAvg);
        if (week && !week->empty()) {
            double peak = 0.0;
            for (const Sample& s : *week) peak = std::max(peak, s.value);
            rs.static_instances = std::clamp(InstancesFor(peak, r.capacity_per_instance, r.target_high), r.min_capacity,
                                             std::max(r.min_capacity, r.max_capacity));
        } else {
            rs.static_instances = rs.desired;
        }
        rs.static_cost_per_hour = loop.HourlyCost(r, rs.static_instances);

        const UnixSeconds max_age = loop.options().stale_after_seconds;
        if (auto load = FreshSample(store, {r.id, r.load_metric}, now, max_age)) {
            rs.load = load->value;
        } else {
            rs.alerts.push_back(r.name + ": no fresh '" + r.load_metric + "' samples (stale metric source)");
        }
        if (auto util = FreshSample(store, {r.id, "cpu_utilization"}, now, max_age)) {
            rs.utilization = util->value;
        } else if (rs.load && rs.ready > 0) {
            rs.utilization = std::min(1.0, *rs.load / (rs.ready * r.capacity_per_instance));
        }
        if (rs.utilization) {
            utilization_sum += *rs.utilization;
            ++utilization_count;
            if (*rs.utilization > r.target_high) {
                rs.band = "above";
                ++stats.above_band;
                rs.alerts.push_back(r.name + ": utilization " + std::to_string(std::lround(*rs.utilization * 100)) +
                                    "% is above the " + std::to_string(std::lround(r.target_high * 100)) + "% band");
            } else if (*rs.utilization < r.target_low) {
                rs.band = "below";
                ++stats.below_band;
            } else {
                rs.band = "in";
                ++stats.in_band;
            }
        }
        if (auto problem = loop.ForecastProblem(r.id))
            rs.alerts.push_back(r.name + ": no forecast (" + *problem +
                                "); sized from the measured load alone, or held where there is none");
        stats.cost_per_hour += rs.cost_per_hour;
        stats.static_cost_per_hour += rs.static_cost_per_hour;
        for (const std::string& a : rs.alerts) stats.alerts.push_back(a);
        stats.per_resource.push_back(std::move(rs));
    }
    // Failed actions of the last hour are alerts too.
    ActionQuery last_hour;
    last_hour.since = now - 3600;
    if (auto failed = store.ListActions(last_hour)) {
        for (const AllocationAction& a : *failed) {
            if (a.status == ActionStatus::kFailed)
                stats.alerts.push_back("action " + std::to_string(a.id) + " failed: " + a.error);
        }
    }
    stats.resources = static_cast<int>(resources->size());
    stats.saving_per_hour = stats.static_cost_per_hour - stats.cost_per_hour;
    stats.saving_fraction = stats.static_cost_per_hour > 0 ? stats.saving_per_hour / stats.static_cost_per_hour : 0.0;
    if (utilization_count > 0) stats.mean_utilization = utilization_sum / utilization_count;
    auto actions = store.CountActions(now - kDay);
    if (!actions) return actions.error();
    stats.actions_24h = *actions;
    auto open = store.ListRecommendations(std::string("open"));
    if (!open) return open.error();
    stats.open_recommendations = static_cast<std::int64_t>(open->size());
    return stats;
}

Result<std::vector<ResourceHistory>> ComputeHistory(Store& store, std::optional<ResourceId> only, UnixSeconds from,
                                                    UnixSeconds to, UnixSeconds step) {
    std::vector<Resource> resources;
    if (only) {
        auto r = store.GetResource(*only);
        if (!r) return r.error();
        resources.push_back(*r);
    } else {
        auto all = store.ListResources();
        if (!all) return all.error();
        resources = std::move(*all);
    }
    std::vector<ResourceHistory> out;
    for (const Resource& r : resources) {
        ResourceHistory h;
        h.resource = r;
        auto demand = store.QueryDownsampled({r.id, r.load_metric}, from, to, step, Aggregation::kAvg);
        auto capacity = store.QueryDownsampled({r.id, "capacity"}, from, to, step, Aggregation::kMin);
        auto cost = store.QueryDownsampled({r.id, "cost_per_hour"}, from, to, step, Aggregation::kAvg);
        if (!demand) return demand.error();
        if (!capacity) return capacity.error();
        if (!cost) return cost.error();
        h.demand = std::move(*demand);
        h.capacity = std::move(*capacity);
        h.cost_per_hour = std::move(*cost);
        h.utilization = UtilizationOf(h.demand, h.capacity, r.capacity_per_instance);
        out.push_back(std::move(h));
    }
    return out;
}

}  // namespace cloudopt
