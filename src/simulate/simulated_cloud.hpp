#pragma once
// The built-in simulated cloud: groups of identical instances whose demand replays a recorded trace.
// Instances serve only once booted, are billed per second (60 s minimum) from launch until stopped, and
// report CPU utilization as served demand over ready capacity. It implements both Provider and MetricSource,
// so the service runs end to end with no cloud account, and trace replay (the simulate issue) reuses the model.
//
// Thread-safe: one mutex guards all groups (the loop, the API and the demo feed share it).

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/provider.hpp"
#include "core/sample.hpp"

namespace cloudopt {

struct SimulatedGroupSpec {
    std::string ref;  // the provider reference resources use
    std::string instance_type;
    double price_per_hour = 0.0;
    double capacity_per_instance = 1.0;  // load one instance serves at 100% utilization
    int boot_delay_s = 180;
    std::string load_metric = "cpu_cores";
    RegularSeries demand;      // the trace, replayed in a loop
    UnixSeconds anchor = 0;    // simulated time at which demand.values[0] plays
    int initial_capacity = 1;  // instances running (already booted) when the group is created
};

// One group's state; not thread-safe by itself (SimulatedCloud locks around it).
class SimulatedGroup {
  public:
    SimulatedGroup(SimulatedGroupSpec spec, UnixSeconds now);

    // Demand at simulated time t: linear interpolation between trace points, looping over the trace.
    double DemandAt(UnixSeconds t) const;
    void SetDesired(int desired, UnixSeconds now);
    int desired() const { return static_cast<int>(instances_.size()); }
    int ReadyAt(UnixSeconds now) const;
    // Served demand over ready capacity, in [0, 1]; 1 when nothing is ready but demand exists.
    double UtilizationAt(UnixSeconds now) const;
    // Dollars billed from creation until now.
    double CostUntil(UnixSeconds now) const;
    const SimulatedGroupSpec& spec() const { return spec_; }

  private:
    SimulatedGroupSpec spec_;
    struct Instance {
        UnixSeconds billed_from = 0;
        UnixSeconds ready_at = 0;
    };
    std::vector<Instance> instances_;  // running instances, oldest first
    double stopped_cost_ = 0.0;        // dollars billed for instances already stopped
};

class SimulatedCloud final : public Provider, public MetricSource {
  public:
    explicit SimulatedCloud(const Clock& clock) : clock_(clock) {}

    // Adds (or replaces) a group. Resources reach it through provider_ref == spec.ref.
    void AddGroup(SimulatedGroupSpec spec);
    bool HasGroup(const std::string& ref) const;
    // Makes the group of a resource that none was added for, on first use (a fleet replaying traces, e.g.
    // app/simulated_fleet.hpp); nullopt: it has none. Called without the cloud's lock held. Set before use.
    using GroupSource = std::function<std::optional<SimulatedGroupSpec>(const Resource&)>;
    void SetGroupSource(GroupSource source) { source_ = std::move(source); }
    // Demand of a group at time t (for backfilling history); kNotFound for an unknown ref.
    Result<double> DemandAt(const std::string& ref, UnixSeconds t) const;

    Result<CapacityState> Describe(const Resource& resource) override;
    Status SetDesiredCapacity(const Resource& resource, int desired) override;
    // Reports the resource's load metric (demand) and cpu_utilization at `now`.
    Result<std::vector<MetricReading>> Collect(const Resource& resource, UnixSeconds now) override;

  private:
    // The resource's group, made by the source when missing (the lock is released while it runs); end() if none.
    std::map<std::string, SimulatedGroup>::iterator GroupFor(const Resource& resource,
                                                             std::unique_lock<std::mutex>& lock);

    const Clock& clock_;
    GroupSource source_;
    mutable std::mutex mutex_;
    std::map<std::string, SimulatedGroup> groups_;
};

}  // namespace cloudopt
