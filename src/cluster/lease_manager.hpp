#pragma once
// The replica's side of sharing the work (docs/DEPLOYMENT.md "Replicas and leases"): every round (a sixth of the
// lease period) it heartbeats its member row, renews the leases it holds, takes the resources the even rendezvous
// assignment (cluster/rendezvous.hpp) gives it once their leases are free or lapsed, and hands over the ones the
// assignment moved to another member: first it stops granting them (draining), then, once no pass uses them, it
// releases them, so the next holder never plans while it still does. A member that stops renewing (killed, cut off
// from the database) loses its leases when they expire in the database; it stops planning earlier, at its own
// deadline of three quarters of the lease period after the round that renewed them (a monotonic clock), so the
// old holder has stopped before a new one can start.
//
// Thread-safety: Grant/RecordPlan/StillHeld/PlannerOf from any thread; Start/Stop from one (the one wiring it).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster/ownership.hpp"
#include "core/telemetry.hpp"
#include "store/coordination.hpp"

namespace cloudopt::cluster {

struct LeaseManagerOptions {
    std::string member;   // unique per process (MakeMemberId)
    std::string address;  // host:port, for people
    double lease_seconds = 15.0;
    UnixSeconds tick_seconds = 60;  // the loop's tick: the grid of the ticks a pass is recorded in
    // 0: a sixth of the lease, between 100 ms and 5 s.
    std::chrono::milliseconds round_interval{0};
    // The plan log and finished shared jobs are kept this long (then deleted by a round, once per prune_interval).
    std::chrono::seconds keep_history{7 * 24 * 3600};
    std::chrono::seconds prune_interval{3600};
};

// hostname-pid-random: unique per process, so a restarted replica is a new member (its old leases lapse).
std::string MakeMemberId();

class LeaseManager final : public Ownership {
  public:
    // Not owning; `coordination`, `clock` and `metrics` outlive it.
    LeaseManager(Coordination& coordination, const Clock& clock, MetricsRegistry& metrics, LeaseManagerOptions options);
    ~LeaseManager() override;
    LeaseManager(const LeaseManager&) = delete;
    LeaseManager& operator=(const LeaseManager&) = delete;

    // Joins: two rounds now (the first learns the members, the second takes this member's share), so a replica
    // knows what it plans before its loop starts; then rounds on a thread of its own. An error when the database
    // does not answer.
    Status Start();
    // Stops the rounds and leaves: the member row goes and its leases lapse at once, so the others take them over
    // at their next round instead of after the lease period.
    void Stop();
    // One round now (Start's thread runs them; tests call it directly).
    Status RunRound();
    // Work that follows what the replicas share, run after each round that reached the database, on the rounds'
    // thread (and in Start's rounds, so before the loop's first pass): the setting adopted for every replica
    // (app/cluster_setup.hpp FollowAdoptions). Set before Start.
    void AfterEachRound(std::function<void()> follow) { after_round_ = std::move(follow); }

    std::optional<LeaseGrant> Grant(ResourceId id, UnixSeconds pass_started) override;
    std::optional<LeaseGrant> GrantNow(ResourceId id) override;
    Status RecordPlan(const LeaseGrant& grant, std::int64_t tick, UnixSeconds ts) override;
    bool StillHeld(const LeaseGrant& grant) const override;
    std::string PlannerOf(ResourceId id) const override;

    struct Snapshot {
        std::string member;
        std::vector<std::string> members;  // live, as of the last round
        std::size_t held = 0;              // leases held
        std::size_t draining = 0;          // held, being handed over
        std::size_t assigned = 0;          // what the assignment gives this member
        std::int64_t taken = 0;            // leases taken since start (new epochs)
        std::int64_t failed_rounds = 0;
    };
    Snapshot snapshot() const;
    const std::string& member() const { return options_.member; }
    double lease_seconds() const { return options_.lease_seconds; }

  private:
    using SteadyTime = std::chrono::steady_clock::time_point;
    struct Entry {
        std::int64_t epoch = 0;
        SteadyTime deadline;
        std::int64_t after_tick = -1;  // it plans passes of later ticks than this (the last one planned by anyone)
        bool draining = false;
        std::shared_ptr<const int> token;  // copies live in grants: use_count() > 1 while a pass uses it
    };
    SteadyTime DeadlineFrom(SteadyTime round_started) const;
    // One round trip: heartbeat, releases, renewals and takes; `wanted_unheld` gets how many resources the new
    // assignment gives this member that it neither holds nor asked for in this round.
    Status RoundOnce(std::size_t& wanted_unheld);
    void RoundLoop();

    Coordination& coordination_;
    const Clock& clock_;
    MetricsRegistry& metrics_;
    LeaseManagerOptions options_;

    mutable std::mutex mutex_;
    std::map<ResourceId, Entry> entries_;           // guarded by mutex_
    std::map<ResourceId, std::string> assignment_;  // guarded by mutex_: the last round's
    std::vector<std::string> members_;              // guarded by mutex_
    std::int64_t taken_ = 0;                        // guarded by mutex_
    std::int64_t failed_rounds_ = 0;                // guarded by mutex_
    std::optional<SteadyTime> last_prune_;          // guarded by round_mutex_
    void MaybePrune();                              // with round_mutex_ held
    std::mutex round_mutex_;                        // one round at a time
    std::function<void()> after_round_;             // set before Start; called with round_mutex_ held

    std::mutex run_mutex_;
    std::condition_variable run_cv_;
    bool stopping_ = false;  // guarded by run_mutex_
    std::thread thread_;
};

}  // namespace cloudopt::cluster
