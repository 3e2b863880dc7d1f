#include "simulate/simulated_cloud.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace cloudopt {

namespace {
constexpr UnixSeconds kMinimumBilledSeconds = 60;
constexpr double kSecondsPerHour = 3600.0;
}  // namespace

SimulatedGroup::SimulatedGroup(SimulatedGroupSpec spec, UnixSeconds now) : spec_(std::move(spec)) {
    // Initial instances are already booted; billing starts now.
    for (int i = 0; i < spec_.initial_capacity; ++i) instances_.push_back({now, now});
}

double SimulatedGroup::DemandAt(UnixSeconds t) const {
    const std::vector<double>& v = spec_.demand.values;
    if (v.empty() || spec_.demand.step <= 0) return 0.0;
    const auto n = static_cast<double>(v.size());
    double pos = static_cast<double>(t - spec_.anchor) / static_cast<double>(spec_.demand.step);
    pos = std::fmod(pos, n);
    if (pos < 0) pos += n;
    const auto i = static_cast<std::size_t>(pos);
    const double w = pos - static_cast<double>(i);
    return v[i % v.size()] * (1.0 - w) + v[(i + 1) % v.size()] * w;
}

void SimulatedGroup::SetDesired(int desired, UnixSeconds now) {
    desired = std::max(0, desired);
    while (static_cast<int>(instances_.size()) < desired) instances_.push_back({now, now + spec_.boot_delay_s});
    // Scale-in stops the newest instances first: those not yet ready go before serving ones.
    while (static_cast<int>(instances_.size()) > desired) {
        const Instance stopped = instances_.back();
        instances_.pop_back();
        stopped_cost_ += static_cast<double>(std::max(now - stopped.billed_from, kMinimumBilledSeconds)) *
                         spec_.price_per_hour / kSecondsPerHour;
    }
}

int SimulatedGroup::ReadyAt(UnixSeconds now) const {
    return static_cast<int>(
        std::count_if(instances_.begin(), instances_.end(), [&](const Instance& i) { return now >= i.ready_at; }));
}

double SimulatedGroup::UtilizationAt(UnixSeconds now) const {
    const double demand = DemandAt(now);
    const double capacity = ReadyAt(now) * spec_.capacity_per_instance;
    if (capacity <= 0.0) return demand > 0.0 ? 1.0 : 0.0;
    return std::min(1.0, demand / capacity);
}

double SimulatedGroup::CostUntil(UnixSeconds now) const {
    double cost = stopped_cost_;
    for (const Instance& i : instances_) {
        cost += static_cast<double>(std::max(now - i.billed_from, kMinimumBilledSeconds)) * spec_.price_per_hour /
                kSecondsPerHour;
    }
    return cost;
}

void SimulatedCloud::AddGroup(SimulatedGroupSpec spec) {
    std::lock_guard lock(mutex_);
    const std::string ref = spec.ref;
    groups_.insert_or_assign(ref, SimulatedGroup(std::move(spec), clock_.Now()));
}

bool SimulatedCloud::HasGroup(const std::string& ref) const {
    std::lock_guard lock(mutex_);
    return groups_.count(ref) > 0;
}

Result<double> SimulatedCloud::DemandAt(const std::string& ref, UnixSeconds t) const {
    std::lock_guard lock(mutex_);
    auto it = groups_.find(ref);
    if (it == groups_.end()) return MakeError(ErrorCode::kNotFound, "simulated group '" + ref + "' does not exist");
    return it->second.DemandAt(t);
}

std::map<std::string, SimulatedGroup>::iterator SimulatedCloud::GroupFor(const Resource& resource,
                                                                         std::unique_lock<std::mutex>& lock) {
    auto it = groups_.find(resource.provider_ref);
    if (it != groups_.end() || !source_) return it;
    lock.unlock();
    std::optional<SimulatedGroupSpec> spec = source_(resource);
    lock.lock();
    if (!spec) return groups_.find(resource.provider_ref);
    spec->ref = resource.provider_ref;
    return groups_.try_emplace(resource.provider_ref, std::move(*spec), clock_.Now()).first;
}

Result<CapacityState> SimulatedCloud::Describe(const Resource& resource) {
    std::unique_lock lock(mutex_);
    auto it = GroupFor(resource, lock);
    if (it == groups_.end())
        return MakeError(ErrorCode::kNotFound, "simulated group '" + resource.provider_ref +
                                                   "' does not exist; the simulated cloud has only the demo groups");
    const UnixSeconds now = clock_.Now();
    CapacityState state;
    state.desired = it->second.desired();
    state.ready = it->second.ReadyAt(now);
    state.instance_type = it->second.spec().instance_type;
    return state;
}

Status SimulatedCloud::SetDesiredCapacity(const Resource& resource, int desired) {
    std::unique_lock lock(mutex_);
    auto it = GroupFor(resource, lock);
    if (it == groups_.end())
        return MakeError(ErrorCode::kNotFound, "simulated group '" + resource.provider_ref + "' does not exist");
    it->second.SetDesired(desired, clock_.Now());
    return Status::Ok();
}

Result<std::vector<MetricReading>> SimulatedCloud::Collect(const Resource& resource, UnixSeconds now) {
    std::unique_lock lock(mutex_);
    auto it = GroupFor(resource, lock);
    if (it == groups_.end())
        return MakeError(ErrorCode::kUnavailable, "simulated group '" + resource.provider_ref + "' does not exist");
    const SimulatedGroup& g = it->second;
    return std::vector<MetricReading>{{resource.load_metric, {now, g.DemandAt(now)}},
                                      {"cpu_utilization", {now, g.UtilizationAt(now)}}};
}

}  // namespace cloudopt
