#pragma once
// What the control loop asks before it plans a resource, when several replicas share the work: does this replica
// hold the resource's lease now, and, for the record of what it does, at which fencing epoch. With one process
// (SQLite) the loop has no Ownership and plans everything.
//
// Thread-safety: every method may be called from any thread at once (the loop's lanes and API jobs).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/resource.hpp"
#include "core/time.hpp"

namespace cloudopt::cluster {

// A lease as a pass uses it. While a grant lives the replica does not hand the lease over (a release waits), so a
// pass that started under the lease finishes under it.
struct LeaseGrant {
    ResourceId resource_id = 0;
    std::string holder;      // this replica's member id
    std::int64_t epoch = 0;  // the fencing epoch, written with every action and plan record
    std::shared_ptr<const int> in_use;
    // When this replica stops acting on the lease (its local deadline as of the grant; none: no end, as with a
    // fake in tests). The pass's cloud calls are bounded by it (core/call_deadline.hpp).
    std::optional<std::chrono::steady_clock::time_point> deadline;
};

class Ownership {
  public:
    virtual ~Ownership() = default;
    // The lease, when this replica plans the resource in the pass that started at `pass_started` (the loop's
    // clock): held, not being handed over, its local deadline not passed, and the pass's tick later than the last
    // tick any replica planned the resource in (so a tick is never planned by both the old and the new holder).
    virtual std::optional<LeaseGrant> Grant(ResourceId id, UnixSeconds pass_started) = 0;
    // The lease for an action outside the loop's passes (a user applying a recommendation): held, not being handed
    // over and its local deadline not passed, whatever the tick. The caller holds the resource's lock, so it never
    // acts beside this replica's own pass.
    // By default none: such actions are then refused or forwarded to the holder.
    virtual std::optional<LeaseGrant> GrantNow(ResourceId id) {
        (void)id;
        return std::nullopt;
    }
    // Writes the pass into the plan log in one transaction with the check that the lease is still this epoch's.
    // kConflict when it is not: the pass must not act (and the lease is dropped here).
    virtual Status RecordPlan(const LeaseGrant& grant, std::int64_t tick, UnixSeconds ts) = 0;
    // Whether the lease is still this replica's by its own deadline (checked again right before a cloud call, which
    // cannot be inside a database transaction).
    virtual bool StillHeld(const LeaseGrant& grant) const = 0;
    // Which other replica plans the resource, for messages ("planned by replica X"); empty when unknown or when it
    // is this one (taking the lease over, not granted yet).
    virtual std::string PlannerOf(ResourceId id) const = 0;
};

}  // namespace cloudopt::cluster
