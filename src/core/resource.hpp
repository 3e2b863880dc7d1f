#pragma once
// A resource is one scalable thing cloudopt manages: an Auto Scaling group, a scale set, a managed instance
// group, a Kubernetes Deployment, or a group on the simulated cloud.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/labels.hpp"
#include "core/time.hpp"

namespace cloudopt {

using ResourceId = std::int64_t;

// off: observe and forecast only. recommend: record what it would do (dry run). auto: apply it.
enum class Mode { kOff, kRecommend, kAuto };
const char* ModeName(Mode mode);
std::optional<Mode> ParseMode(std::string_view text);

struct Resource {
    ResourceId id = 0;
    std::string name;
    std::string provider;      // which provider adapter drives it: "aws", "gcp", "azure", "kubernetes", "simulated"
    std::string provider_ref;  // what it is called there: ASG name, namespace/deployment, MIG, simulated group
    std::string instance_type;
    int min_capacity = 1;
    int max_capacity = 10;
    double target_low = 0.70;   // utilization band; the planner aims at its middle
    double target_high = 0.80;  // and the reactive floor never lets measured utilization stay above this
    Mode mode = Mode::kRecommend;
    int boot_delay_s = 180;  // how long a new instance takes to serve, so scale-out leads demand by this much
    // Load, never utilization, is forecast: utilization moves whenever capacity moves, load does not.
    std::string load_metric = "cpu_cores";
    double capacity_per_instance = 1.0;  // units of load_metric one instance serves at 100% utilization
    // A PromQL expression whose value is the load (e.g. sum(rate(container_cpu_usage_seconds_total{...}[2m]))):
    // when set, the Prometheus source reads load_metric from it instead of the provider's own monitor.
    std::string load_query;
    // The optimizer's choices. The forecast quantile capacity must hold ("p50", "p90", "p95", "p99"; empty: the
    // loop's default, p95). The instance types a mix may use ("m6g.large", or "provider/name" across clouds; empty:
    // the resource's own type only). The share of the mix's vCPU that may run on spot (0: none). The most instances
    // one change may add or remove (0: no limit).
    std::string risk_quantile;
    std::vector<std::string> allowed_types;
    double spot_share_max = 0.0;
    int max_step = 0;
    // team, env, any key (core/labels.hpp): what costs and budgets group by.
    ResourceLabels labels = {};
    UnixSeconds created_at = 0;
    UnixSeconds updated_at = 0;

    double target_utilization() const { return (target_low + target_high) / 2.0; }
};

// Checks every field a user can set; the message names the field and the rule it broke.
Status ValidateResource(const Resource& resource);

// Metric names follow Prometheus' rules so they can be exported unchanged: [a-zA-Z_:][a-zA-Z0-9_:.]*.
bool IsValidMetricName(std::string_view name);

}  // namespace cloudopt
