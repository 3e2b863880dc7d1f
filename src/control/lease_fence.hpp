#pragma once
// What the control loop does with a resource's lease beyond planning (issue 31 item 2, docs/DEPLOYMENT.md "Replicas
// and leases"), kept out of control_loop.cpp: the deadline that bounds a pass's cloud calls, the lease a remediation
// is fenced by, and the epoch each resource's in-memory state was built under, so that a replica that gets a
// resource back after another held it starts from the store rather than from what it knew before.
//
// Thread-safety: LeaseEpochs may be used from any thread; the functions are pure.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "allocate/scaling_engine.hpp"
#include "cluster/ownership.hpp"
#include "control/remediation.hpp"
#include "core/call_deadline.hpp"
#include "store/store.hpp"

namespace cloudopt {

// The deadline a pass's cloud calls must end by: the lease's local deadline (none without a lease).
inline std::optional<CallDeadline::Time> CallDeadlineOf(const cluster::LeaseGrant* lease) {
    return lease ? lease->deadline : std::nullopt;
}

// The remediation's view of the pass's lease: holder and epoch for its actions, and the check before a restart.
inline std::optional<RemediationLease> RemediationLeaseOf(const cluster::Ownership* ownership,
                                                          const cluster::LeaseGrant* lease) {
    if (!ownership || !lease) return std::nullopt;
    const cluster::LeaseGrant grant = *lease;
    return RemediationLease{grant.holder, grant.epoch, [ownership, grant] { return ownership->StillHeld(grant); }};
}

// A resource's decision engine made anew from the store: it has seen the changes applied over the last day by any
// replica (the window rules and the change counts), not what this replica remembered from before another held the
// resource. The rate limit and the backoff start empty: they guard this replica's own applies.
inline std::unique_ptr<ScalingEngine> EngineFromStore(Store& store, const Planner& planner,
                                                      const EngineOptions& options, ResourceId id, UnixSeconds now) {
    auto engine = std::make_unique<ScalingEngine>(planner, options);
    ActionQuery query;
    query.resource_id = id;
    query.since = now - 24 * 3600;
    query.limit = 1000;
    query.status = ActionStatus::kApplied;
    auto actions = store.ListActions(query);
    if (!actions) return engine;  // a fresh engine is the safe side of a store that does not answer
    std::sort(actions->begin(), actions->end(),
              [](const AllocationAction& a, const AllocationAction& b) { return a.ts < b.ts; });
    for (const AllocationAction& a : *actions)
        if (a.from_capacity != a.to_capacity && a.ts <= now) engine->Changed(a.ts, a.from_capacity, a.to_capacity);
    return engine;
}

// Asks the replica holding the resource's lease to apply the recommendation (cluster/apply_relay.hpp, through
// `forward`: recommendation id, resource id, holder -> the recorded action's id) and returns the action it recorded.
// Without `forward` (the holder's own relay calling, or no relay), a kConflict that names the holder.
using ApplyForwarder = std::function<Result<std::int64_t>(std::int64_t, ResourceId, const std::string&)>;
inline Result<AllocationAction> ApplyThroughHolder(const ApplyForwarder& forward, Store& store,
                                                   const cluster::Ownership& ownership, const Recommendation& rec) {
    const std::string holder = ownership.PlannerOf(rec.resource_id);
    if (!forward)
        return MakeError(ErrorCode::kConflict,
                         "recommendation " + std::to_string(rec.id) + ": its resource is planned by " +
                             (holder.empty() ? std::string("another replica") : "replica " + holder) +
                             " (the holder of its lease), not this one; apply it there, or again in a few seconds");
    auto action_id = forward(rec.id, rec.resource_id, holder);
    if (!action_id) return action_id.error();
    ActionQuery query;
    query.resource_id = rec.resource_id;
    query.limit = 100;
    auto actions = store.ListActions(query);
    if (!actions) return actions.error();
    for (AllocationAction& a : *actions)
        if (a.id == *action_id) return std::move(a);
    return MakeError(ErrorCode::kInternal, "the holder recorded action " + std::to_string(*action_id) +
                                               " but it is not among the resource's latest");
}

// The epoch under which the loop last used each resource's state.
class LeaseEpochs {
  public:
    // Records `epoch` for the resource; true when a different one was recorded before (another replica held the
    // resource in between): the caller reloads the resource's state. The first epoch seen is not a change (the
    // state was made for it).
    bool Changed(ResourceId id, std::int64_t epoch) {
        std::lock_guard lock(mutex_);
        auto [it, first] = epochs_.emplace(id, epoch);
        if (first || it->second == epoch) return false;
        it->second = epoch;
        return true;
    }
    void Forget(ResourceId id) {
        std::lock_guard lock(mutex_);
        epochs_.erase(id);
    }

  private:
    std::mutex mutex_;
    std::map<ResourceId, std::int64_t> epochs_;  // guarded by mutex_
};

}  // namespace cloudopt
