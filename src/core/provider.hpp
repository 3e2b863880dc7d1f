#pragma once
// The two doors to the outside world the control loop uses: a Provider changes capacity, a MetricSource
// reads load. The loop calls a provider from its lane thread and the API from its own threads, possibly at once:
// implementations must be thread-safe. Adapters (simulated cloud, Kubernetes, AWS, Azure, GCP, Prometheus, ...)
// implement them; the loop depends on these interfaces only.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/forecast.hpp"
#include "core/plan.hpp"
#include "core/resource.hpp"
#include "core/sample.hpp"

namespace cloudopt {

// An instance type a cloud offers where a resource runs (prices come from the catalog, not from these APIs).
struct OfferedInstanceType {
    std::string name;  // m5.large, Standard_D2s_v5, n2-standard-2
    double vcpu = 0.0;
    double memory_gib = 0.0;
    bool operator==(const OfferedInstanceType&) const = default;
};

struct CapacityState {
    int desired = 0;  // what the provider has been asked to run
    int ready = 0;    // instances serving now (booted)
    std::string instance_type;
    // The group's own limits where the cloud has them (an ASG's MinSize/MaxSize, a VMSS has none); cloudopt keeps
    // its resource's min/max inside these.
    std::optional<int> min_size;
    std::optional<int> max_size;
    // Set by a provider that only hands the count to another autoscaler which applies it (the KEDA external
    // scaler: "KEDA"); the loop then records its changes as "served to KEDA" instead of applied.
    std::string served_to;
};

// What one pass of the loop planned for a resource, whatever it then did with the plan (keep, apply, hold): a
// provider that serves plans to another autoscaler needs the forecast and the freshness of the load behind them.
struct PassPlan {
    UnixSeconds at = 0;
    std::optional<Forecast> forecast;    // none when the forecast failed or there is too little history yet
    std::string forecast_error;          // why there is none
    std::optional<double> current_load;  // the fresh measurement the plan used; none when the load is stale
    PlanDecision decision;
};

class Provider {
  public:
    virtual ~Provider() = default;
    // Current capacity of the resource's group. kNotFound when the reference names nothing.
    virtual Result<CapacityState> Describe(const Resource& resource) = 0;
    // Idempotent: asking twice for the same capacity changes nothing the second time.
    virtual Status SetDesiredCapacity(const Resource& resource, int desired) = 0;
    // Told after every pass's plan, before any change is applied. Most providers ignore it.
    virtual void Planned(const Resource& resource, const PassPlan& plan) {
        (void)resource;
        (void)plan;
    }
    // The instance types offered in the resource's region or zone, where the cloud can say; kUnprocessable where
    // it cannot (pods, the simulated cloud).
    virtual Result<std::vector<OfferedInstanceType>> ListInstanceTypes(const Resource& resource) {
        (void)resource;
        return MakeError(ErrorCode::kUnprocessable, "this provider does not list instance types");
    }
    // Restarts the resource's workload in place (Kubernetes: a rollout restart), for anomaly remediation
    // (control/remediation.hpp). kUnprocessable where the provider cannot.
    virtual Status RestartWorkload(const Resource& resource) {
        (void)resource;
        return MakeError(ErrorCode::kUnprocessable,
                         "rollout_restart needs the kubernetes driver; this provider cannot restart a workload");
    }
};

struct MetricReading {
    std::string metric;
    Sample sample;
};

class MetricSource {
  public:
    virtual ~MetricSource() = default;
    // New readings for the resource up to `now`. kUnavailable when the source cannot be read.
    virtual Result<std::vector<MetricReading>> Collect(const Resource& resource, UnixSeconds now) = 0;
    // Whether the source can read this resource at all (a query that parses, a group that exists), asked before
    // a resource is saved. The default trusts the first Collect to tell.
    virtual Status Check(const Resource& resource) {
        (void)resource;
        return Status::Ok();
    }
};

}  // namespace cloudopt
