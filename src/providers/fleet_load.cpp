#include "providers/fleet_load.hpp"

namespace cloudopt::providers {

void FleetLoad::Add(UnixSeconds t, double utilization) {
    Sum& s = at_[t];
    s.total += utilization;
    ++s.instances;
}

std::vector<MetricReading> FleetLoad::Readings(const Resource& resource) const {
    std::vector<MetricReading> out;
    out.reserve(2 * at_.size());
    for (const auto& [t, s] : at_) {
        out.push_back({"cpu_utilization", {t, s.total / s.instances}});
        out.push_back({resource.load_metric, {t, s.total * resource.capacity_per_instance}});
    }
    return out;
}

}  // namespace cloudopt::providers
