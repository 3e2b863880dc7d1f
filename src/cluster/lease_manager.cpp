#include "cluster/lease_manager.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "cluster/rendezvous.hpp"

namespace cloudopt::cluster {

namespace {

// The replica stops planning at this share of the lease period after the round that renewed it: the rest is the
// margin within which its last pass finishes before another replica can take the lease in the database.
constexpr double kLocalDeadlineShare = 0.75;

}  // namespace

std::string MakeMemberId() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "replica");
    std::random_device random;
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%08x", random());
    return std::string(host) + "-" + std::to_string(getpid()) + "-" + suffix;
}

LeaseManager::LeaseManager(Coordination& coordination, const Clock& clock, MetricsRegistry& metrics,
                           LeaseManagerOptions options)
    : coordination_(coordination), clock_(clock), metrics_(metrics), options_(std::move(options)) {
    if (options_.round_interval.count() <= 0) {
        const auto sixth = std::chrono::milliseconds(static_cast<std::int64_t>(options_.lease_seconds * 1000.0 / 6.0));
        options_.round_interval = std::clamp(sixth, std::chrono::milliseconds(100), std::chrono::milliseconds(5000));
    }
}

LeaseManager::~LeaseManager() { Stop(); }

LeaseManager::SteadyTime LeaseManager::DeadlineFrom(SteadyTime round_started) const {
    return round_started +
           std::chrono::microseconds(static_cast<std::int64_t>(options_.lease_seconds * kLocalDeadlineShare * 1e6));
}

Status LeaseManager::Start() {
    if (thread_.joinable()) return Status::Ok();
    for (int round = 0; round < 2; ++round)
        if (Status s = RunRound(); !s) return s;
    {
        std::lock_guard lock(run_mutex_);
        stopping_ = false;
    }
    thread_ = std::thread([this] { RoundLoop(); });
    return Status::Ok();
}

void LeaseManager::Stop() {
    {
        std::lock_guard lock(run_mutex_);
        stopping_ = true;
    }
    run_cv_.notify_all();
    if (!thread_.joinable()) return;
    thread_.join();
    {
        std::lock_guard lock(mutex_);
        entries_.clear();  // nothing is granted from here on
    }
    (void)coordination_.Leave(options_.member);  // a failure only means the others wait out the lease
}

void LeaseManager::RoundLoop() {
    std::unique_lock lock(run_mutex_);
    while (!stopping_) {
        lock.unlock();
        (void)RunRound();  // a failed round is counted; the leases' own deadlines stop the planning
        lock.lock();
        run_cv_.wait_for(lock, options_.round_interval, [this] { return stopping_; });
    }
}

Status LeaseManager::RunRound() {
    std::lock_guard one_round(round_mutex_);
    std::size_t wanted_unheld = 0;
    if (Status s = RoundOnce(wanted_unheld); !s) return s;
    // The members changed (one joined or its heartbeat expired): take the new share now rather than a round later.
    if (wanted_unheld > 0) {
        if (Status s = RoundOnce(wanted_unheld); !s) return s;
    }
    MaybePrune();
    if (after_round_) after_round_();
    return Status::Ok();
}

void LeaseManager::MaybePrune() {
    // Every replica prunes (deleting twice is harmless); the first round of a replica does it at once.
    const SteadyTime now = std::chrono::steady_clock::now();
    if (last_prune_ && now - *last_prune_ < options_.prune_interval) return;
    last_prune_ = now;
    auto pruned = coordination_.PruneHistory(options_.keep_history, clock_.Now());
    if (pruned)
        metrics_
            .GetCounter("cloudopt_cluster_history_pruned_total",
                        "Plan log rows and finished shared jobs deleted once older than the retention")
            .Inc(static_cast<double>(*pruned));
}

Status LeaseManager::RoundOnce(std::size_t& wanted_unheld) {
    const SteadyTime started = std::chrono::steady_clock::now();
    LeaseRound round;
    round.member = options_.member;
    round.address = options_.address;
    round.lease_seconds = options_.lease_seconds;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, entry] : entries_) {
            // A drained lease no pass uses any more goes back; one still in use is renewed until its pass ends.
            if (entry.draining && entry.token.use_count() == 1)
                round.release.push_back(id);
            else
                round.hold.push_back(id);
        }
        for (const auto& [id, member] : assignment_)
            if (member == options_.member && !entries_.count(id)) round.hold.push_back(id);
    }
    auto result = coordination_.RunLeaseRound(round);
    if (!result) {
        std::lock_guard lock(mutex_);
        ++failed_rounds_;
        metrics_
            .GetCounter("cloudopt_cluster_lease_rounds_failed_total",
                        "Lease rounds that could not reach the database (planning stops at the leases' deadlines)")
            .Inc();
        return result.error();
    }
    std::map<ResourceId, std::string> assignment = AssignResources(result->members, result->resources);
    std::lock_guard lock(mutex_);
    std::map<ResourceId, Entry> next;
    for (const HeldLease& held : result->held) {
        auto it = entries_.find(held.resource_id);
        Entry entry;
        if (it != entries_.end() && it->second.epoch == held.epoch) {
            entry = std::move(it->second);
        } else {
            entry.epoch = held.epoch;
            // Used for ticks after the last one planned: the previous holder's passes all committed before this
            // lease existed (they are fenced), so none is planned twice.
            entry.after_tick = held.last_tick;
            entry.token = std::make_shared<const int>(0);
            ++taken_;
            metrics_.GetCounter("cloudopt_cluster_leases_taken_total", "Resource leases this replica took (new epochs)")
                .Inc();
        }
        entry.deadline = DeadlineFrom(started);
        auto assigned = assignment.find(held.resource_id);
        entry.draining = assigned == assignment.end() || assigned->second != options_.member;
        next.emplace(held.resource_id, std::move(entry));
    }
    entries_ = std::move(next);
    wanted_unheld = 0;
    for (const auto& [id, member] : assignment)
        if (member == options_.member && !entries_.count(id) &&
            std::find(round.hold.begin(), round.hold.end(), id) == round.hold.end())
            ++wanted_unheld;
    assignment_ = std::move(assignment);
    members_ = result->members;
    std::size_t mine = 0;
    for (const auto& [id, member] : assignment_) mine += member == options_.member ? 1 : 0;
    metrics_.GetGauge("cloudopt_cluster_members", "Live replicas sharing the database")
        .Set(static_cast<double>(members_.size()));
    metrics_.GetGauge("cloudopt_cluster_leases_held", "Resource leases this replica holds")
        .Set(static_cast<double>(entries_.size()));
    metrics_.GetGauge("cloudopt_cluster_resources_assigned", "Resources the even assignment gives this replica")
        .Set(static_cast<double>(mine));
    return Status::Ok();
}

std::optional<LeaseGrant> LeaseManager::Grant(ResourceId id, UnixSeconds pass_started) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return std::nullopt;
    const Entry& e = it->second;
    const UnixSeconds tick = std::max<UnixSeconds>(1, options_.tick_seconds);
    if (e.draining || pass_started / tick <= e.after_tick || std::chrono::steady_clock::now() >= e.deadline)
        return std::nullopt;
    return LeaseGrant{id, options_.member, e.epoch, e.token, e.deadline};
}

std::optional<LeaseGrant> LeaseManager::GrantNow(ResourceId id) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return std::nullopt;
    const Entry& e = it->second;
    if (e.draining || std::chrono::steady_clock::now() >= e.deadline) return std::nullopt;
    return LeaseGrant{id, options_.member, e.epoch, e.token, e.deadline};
}

Status LeaseManager::RecordPlan(const LeaseGrant& grant, std::int64_t tick, UnixSeconds ts) {
    if (!StillHeld(grant))
        return MakeError(ErrorCode::kConflict, "the lease of resource " + std::to_string(grant.resource_id) +
                                                   " ran out before this pass could be recorded");
    Status recorded = coordination_.RecordPlan(grant.resource_id, tick, ts, grant.holder, grant.epoch);
    if (!recorded && recorded.error().code == ErrorCode::kConflict) {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(grant.resource_id);
        if (it != entries_.end() && it->second.epoch == grant.epoch) entries_.erase(it);  // lost: the next round sees
    }
    return recorded;
}

bool LeaseManager::StillHeld(const LeaseGrant& grant) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(grant.resource_id);
    return it != entries_.end() && it->second.epoch == grant.epoch &&
           std::chrono::steady_clock::now() < it->second.deadline;
}

std::string LeaseManager::PlannerOf(ResourceId id) const {
    std::lock_guard lock(mutex_);
    auto it = assignment_.find(id);
    // Assigned here but not granted: this replica takes it over at a coming round or tick, nobody else plans it.
    if (it == assignment_.end() || it->second == options_.member) return std::string();
    return it->second;
}

LeaseManager::Snapshot LeaseManager::snapshot() const {
    std::lock_guard lock(mutex_);
    Snapshot s;
    s.member = options_.member;
    s.members = members_;
    s.held = entries_.size();
    for (const auto& [id, e] : entries_) s.draining += e.draining ? 1 : 0;
    for (const auto& [id, member] : assignment_) s.assigned += member == options_.member ? 1 : 0;
    s.taken = taken_;
    s.failed_rounds = failed_rounds_;
    return s;
}

}  // namespace cloudopt::cluster
