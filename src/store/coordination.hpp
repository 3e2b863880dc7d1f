#pragma once
// What replicas that share one database coordinate through it (issue 31 item 2, docs/DEPLOYMENT.md "Replicas"):
// membership (each replica heartbeats a row), per-resource leases with a fencing epoch, the fenced record of each
// planning pass, a job queue claimed with FOR UPDATE SKIP LOCKED, and notifications between replicas. Only the
// PostgreSQL backend has it (store/postgres/coordination.hpp); with SQLite one process owns the data directory, so
// it owns every resource and nothing here is used.
//
// Time: lease and heartbeat expiries are the database's clock (now()), never a replica's, so replicas whose clocks
// disagree still agree on who holds what. Callers keep their own, shorter deadline on a monotonic clock
// (cluster/lease_manager.hpp).
//
// Also the risk setting adopted for all replicas (POST /api/settings/adopt on any of them, docs/COSTS.md "Adopting the
// setting"): each replica applies the newest at its lease rounds.
//
// Thread-safety: every method may be called from any thread at once, except AwaitNotifications (one listener).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/forecast.hpp"
#include "core/resource.hpp"
#include "core/time.hpp"

namespace cloudopt {

// One heartbeat-and-leases round of a replica, in one transaction.
struct LeaseRound {
    std::string member;   // this replica's id, unique per process
    std::string address;  // where it serves, for people (host:port)
    double lease_seconds = 15.0;
    std::vector<ResourceId> hold;  // to renew (held) or take (free, or expired): the others' live leases are kept
    std::vector<ResourceId>
        release;  // to give up now (expire at once; the epoch stays, so the next holder's is higher)
};

struct HeldLease {
    ResourceId resource_id = 0;
    std::int64_t epoch = 0;       // grows by one each time the lease changes hands or lapses
    std::int64_t last_tick = -1;  // the last tick any replica recorded a pass of the resource in (-1: none)
};

struct LeaseRoundResult {
    std::vector<std::string> members;   // live members (heartbeat not expired), this one included, sorted
    std::vector<ResourceId> resources;  // every resource, sorted: what the members share out
    std::vector<HeldLease> held;        // the leases this member holds after the round
};

// A leased resource's holder, for people (GET /api/cluster).
struct LeaseInfo {
    ResourceId resource_id = 0;
    std::string holder;
    std::int64_t epoch = 0;
    bool live = false;
};

struct MemberInfo {
    std::string member;
    std::string address;
    double seconds_since_heartbeat = 0.0;
};

// A job of the shared queue. `kind` and `subject` say what to run (e.g. "train", "resource:3"); `params` is the
// kind's own JSON. At most one queued or running job per (kind, subject).
struct QueuedJob {
    std::int64_t id = 0;
    std::string kind;
    std::string subject;
    std::string reason;
    std::string params;
    std::string state = "queued";  // queued | running | succeeded | failed | cancelled
    std::string claimed_by;        // the member running it
    std::int64_t attempts = 0;     // claims so far: above 1, it was taken over from a member that died
    double progress = 0.0;
    std::string result;  // JSON, on success
    std::string error;
    UnixSeconds created_at = 0;
    UnixSeconds finished_at = 0;
    bool cancel_requested = false;
};

// A sweep's setting adopted for every replica: the newest row is the one in force.
struct SharedAdoption {
    std::int64_t id = 0;  // given by the database, growing: the highest is the newest
    QuantileLevel quantile = QuantileLevel::kP95;
    double unmet_budget = 0.005;   // the engine's (loop.unmet_budget), in [0, 0.5]
    std::string reason;            // one line: what was chosen, by whom, from which sweep
    std::string evidence;          // where the sweep's whole JSON was kept: "evidence/sweep-...json" on `member`
    std::string evidence_summary;  // JSON text: the sweep's {source, unmet_budget, cheapest_predictive}
    std::string member;            // the replica that adopted it
    UnixSeconds adopted_at = 0;    // the database's clock
};

class Coordination {
  public:
    virtual ~Coordination() = default;

    // Heartbeats `round.member`, releases, then renews or takes leases, and reads who is live and what there is.
    virtual Result<LeaseRoundResult> RunLeaseRound(const LeaseRound& round) = 0;
    // The member leaves: its row goes and its leases expire at once (a clean stop hands over without waiting).
    virtual Status Leave(const std::string& member) = 0;
    // Records that `member` planned the resource at tick `tick` (time `ts`), in one transaction with a check that it
    // still holds the lease at `epoch`; the lease row is locked for that transaction, so a replica taking the lease
    // over waits for it. kConflict when the lease moved on (the pass must not act).
    virtual Status RecordPlan(ResourceId id, std::int64_t tick, UnixSeconds ts, const std::string& member,
                              std::int64_t epoch) = 0;
    virtual Result<std::vector<MemberInfo>> ListMembers() = 0;
    virtual Result<std::vector<LeaseInfo>> ListLeases() = 0;

    // The job queue. Enqueue returns the new job, or the queued/running one of the same kind and subject.
    virtual Result<QueuedJob> EnqueueJob(const QueuedJob& job) = 0;
    // Claims the oldest queued job of `kinds`, or a running one whose member is no longer live (taken over), with
    // FOR UPDATE SKIP LOCKED so members never wait on each other or claim one job twice. A job whose params are
    // {"lease_of": <resource id>, ...} is claimed only by the member holding that resource's lease (work that must
    // run on the resource's planner, such as applying a recommendation). A running job asked to stop whose member
    // died ends cancelled here.
    virtual Result<std::optional<QueuedJob>> ClaimJob(const std::string& member, const std::vector<std::string>& kinds,
                                                      UnixSeconds now) = 0;
    // Progress or the outcome of a job `member` claimed (state, progress, result, error, finished_at). kConflict when
    // it is no longer that member's (it was taken over). Returns the job as stored (cancel_requested may be set).
    virtual Result<QueuedJob> UpdateJob(const QueuedJob& job, const std::string& member) = 0;
    virtual Result<std::optional<QueuedJob>> GetJob(std::int64_t id) = 0;
    virtual Result<std::vector<QueuedJob>> ListJobs(std::size_t limit) = 0;
    // A queued job ends cancelled at once; a running one is asked to stop (its member sees cancel_requested).
    // kNotFound, or kConflict for a finished job.
    virtual Result<QueuedJob> CancelJob(std::int64_t id, UnixSeconds now) = 0;

    // Retention: deletes the plan log's rows recorded more than `keep` ago (the database's clock) and the shared
    // jobs that finished before `now - keep`. Returns how many rows went.
    virtual Result<std::int64_t> PruneHistory(std::chrono::seconds keep, UnixSeconds now) = 0;

    // Which key the replicas share under `name` ("master", "jwt"): records `key_id` when none is recorded yet, or
    // when the recorded one is among `replaces` (a rotation: this replica has the new key and the old one as a
    // previous key); returns the id recorded now, which differs from `key_id` when this replica's key is not the
    // others' (it must then refuse to start).
    virtual Result<std::string> AgreeOnKey(const std::string& name, const std::string& key_id,
                                           const std::vector<std::string>& replaces) = 0;

    // Records an adoption for every replica (id and adopted_at from the database); returns it as stored.
    virtual Result<SharedAdoption> RecordAdoption(const SharedAdoption& adoption) = 0;
    // The newest adoption; nullopt when none was recorded on this database.
    virtual Result<std::optional<SharedAdoption>> LatestAdoption() = 0;

    // Notifications between replicas (LISTEN/NOTIFY on one channel). Payloads above 7900 bytes are refused
    // (kInvalidArgument): PostgreSQL's limit is 8000.
    virtual Status Notify(const std::string& payload) = 0;
    // Waits up to `timeout` for notifications and returns their payloads (empty on timeout). The first call starts
    // listening on a connection of its own; a lost connection is an error, and the next call listens anew.
    virtual Result<std::vector<std::string>> AwaitNotifications(std::chrono::milliseconds timeout) = 0;
};

}  // namespace cloudopt
