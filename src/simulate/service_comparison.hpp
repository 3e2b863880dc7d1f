#pragma once
// What the service's own resources would have cost under the baseline policies, beside what actually ran: the
// simulator's comparison (docs/SAVINGS.md) on the load the service recorded, for GET /api/dashboard/stats and the
// recommendations. Static, reactive (HPA) and the oracle are replayed over the window with the same time model as
// `cloudopt simulate`; "actual" is what the resource really ran, paid and served (as recorded: cloudopt's decisions
// in auto mode, the provider's own capacity otherwise).

#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/resource.hpp"
#include "core/sample.hpp"

namespace cloudopt {

struct PolicyOutcome {
    double cost = 0.0;  // USD over the window (instance-hours x the own type's on-demand price)
    double instance_hours = 0.0;
    double unmet = 0.0;  // share of steps whose load exceeded ready capacity
    int actions = 0;     // changes of the instance count
};

struct ServiceComparison {
    UnixSeconds from = 0;
    UnixSeconds step = 0;
    std::size_t steps = 0;
    std::map<std::string, PolicyOutcome> policies;  // static, reactive, oracle, actual
    // What ran, per scored step: its start and the recorded cost per hour held over it (what `actual` sums), for
    // a chart whose area is exactly policies["actual"].cost.
    std::vector<Sample> ran_cost_per_hour;
};

// `demand`, `ready` and `cost_per_hour` are the resource's load, ready instances and hourly cost (of what it ran,
// ready or booting) downsampled to `step` (bucket starts); `price_per_hour` is the on-demand price of its type.
// The comparison starts at the first ready-capacity record (what cloudopt managed). kUnprocessable when the window
// holds too little of it to replay.
Result<ServiceComparison> CompareWithBaselines(const Resource& resource, double price_per_hour,
                                               const std::vector<Sample>& demand, const std::vector<Sample>& ready,
                                               const std::vector<Sample>& cost_per_hour, UnixSeconds step);

}  // namespace cloudopt
