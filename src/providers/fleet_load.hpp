#pragma once
// From per-instance CPU utilization to the load cloudopt forecasts. Clouds report utilization per VM; at each
// timestamp, the fleet's load is the sum over its instances of utilization x the capacity one instance serves,
// and the fleet's utilization is their mean. Summing per instance keeps the load right while the group grows or
// shrinks, which a group average times today's size would not.

#include <map>
#include <vector>

#include "core/provider.hpp"

namespace cloudopt::providers {

class FleetLoad {
public:
    // One instance's utilization (a fraction, 0.42 for 42%) at `t`.
    void Add(UnixSeconds t, double utilization);
    bool empty() const { return at_.empty(); }
    UnixSeconds last() const { return at_.empty() ? 0 : at_.rbegin()->first; }
    // Per timestamp, ascending: "cpu_utilization" (the mean) and resource.load_metric (sum x capacity_per_instance).
    std::vector<MetricReading> Readings(const Resource& resource) const;

private:
    struct Sum {
        double total = 0.0;
        int instances = 0;
    };
    std::map<UnixSeconds, Sum> at_;
};

}  // namespace cloudopt::providers
