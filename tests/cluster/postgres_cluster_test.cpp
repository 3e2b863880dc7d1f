// Replicas coordinating through a real PostgreSQL (tests/support/postgres_server.hpp): leases shared out evenly and
// handed over, fencing that refuses a stale epoch, the job queue's claims and takeovers, notifications between
// connections, and the shared-key check.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/event_bridge.hpp"
#include "cluster/lease_manager.hpp"
#include "store/postgres/coordination.hpp"
#include "store/postgres/postgres_store.hpp"
#include "support/postgres_server.hpp"

namespace cloudopt {
namespace {

using namespace std::chrono_literals;

class PostgresCluster : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!server_.available()) GTEST_SKIP() << "PostgreSQL unavailable: " << server_.why();
        options_ = {server_.FreshDatabase(), server_.password()};
        ASSERT_FALSE(options_.url.empty());
        auto store = OpenPostgresStore(options_, clock_);
        ASSERT_TRUE(store.ok()) << store.error().message;
        store_ = std::move(*store);
    }
    std::unique_ptr<Coordination> Open() {
        auto c = OpenPostgresCoordination(options_);
        EXPECT_TRUE(c.ok()) << c.error().message;
        return c.ok() ? std::move(*c) : nullptr;
    }
    std::vector<ResourceId> MakeResources(int n) {
        std::vector<ResourceId> ids;
        for (int i = 0; i < n; ++i) {
            Resource r;
            r.name = "r" + std::to_string(i);
            r.provider = "sim";
            r.provider_ref = "fleet/web_frontend/" + std::to_string(i);
            r.instance_type = "m5.large";
            auto created = store_->CreateResource(r);
            EXPECT_TRUE(created.ok()) << created.error().message;
            if (created) ids.push_back(created->id);
        }
        return ids;
    }
    cluster::LeaseManagerOptions LeaseOptions(const std::string& member, double lease_seconds = 2.0) {
        cluster::LeaseManagerOptions o;
        o.member = member;
        o.lease_seconds = lease_seconds;
        o.tick_seconds = 1;
        o.round_interval = 100ms;
        return o;
    }
    // Waits until `done` holds, at most `limit`.
    template <typename F>
    bool Eventually(F done, std::chrono::milliseconds limit = 8000ms) {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < until) {
            if (done()) return true;
            std::this_thread::sleep_for(50ms);
        }
        return done();
    }

    testing::PostgresServer& server_ = testing::PostgresServer::Shared();
    PostgresOptions options_;
    ManualClock clock_{1'700'000'000};
    MetricsRegistry metrics_;
    std::unique_ptr<Store> store_;
};

TEST_F(PostgresCluster, TwoReplicasShareTheResourcesEvenlyAndAStoppedOneHandsOver) {
    const auto ids = MakeResources(10);
    auto ca = Open();
    auto cb = Open();
    cluster::LeaseManager a(*ca, clock_, metrics_, LeaseOptions("replica-a"));
    cluster::LeaseManager b(*cb, clock_, metrics_, LeaseOptions("replica-b"));
    ASSERT_TRUE(a.Start().ok());
    ASSERT_TRUE(b.Start().ok());
    ASSERT_TRUE(Eventually([&] {
        const auto sa = a.snapshot();
        const auto sb = b.snapshot();
        return sa.held == 5 && sb.held == 5 && sa.draining == 0 && sb.draining == 0;
    })) << "held "
        << a.snapshot().held << " and " << b.snapshot().held;
    // Every resource has exactly one live holder, and that holder grants it (from the next tick on).
    clock_.Advance(1);
    auto leases = ca->ListLeases();
    ASSERT_TRUE(leases.ok());
    ASSERT_EQ(leases->size(), 10u);
    for (const LeaseInfo& lease : *leases) {
        EXPECT_TRUE(lease.live);
        const bool by_a = a.Grant(lease.resource_id, clock_.Now()).has_value();
        const bool by_b = b.Grant(lease.resource_id, clock_.Now()).has_value();
        EXPECT_NE(by_a, by_b) << "resource " << lease.resource_id << " must be planned by exactly one replica";
        EXPECT_EQ(by_a ? "replica-a" : "replica-b", lease.holder);
    }
    // A clean stop releases at once: the other holds everything well within one lease period.
    const auto stopped = std::chrono::steady_clock::now();
    a.Stop();
    ASSERT_TRUE(Eventually([&] { return b.snapshot().held == 10; }, 2000ms));
    const double moved = std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();
    std::printf("[ measured ] 5 resources moved to the survivor %.2f s after a clean stop (lease 2 s)\n", moved);
    EXPECT_LT(moved, 2.0);
    clock_.Advance(1);
    for (ResourceId id : ids) EXPECT_TRUE(b.Grant(id, clock_.Now()).has_value()) << id;
    b.Stop();
}

TEST_F(PostgresCluster, AReplicaThatStopsRenewingStopsPlanningBeforeAnotherTakesOver) {
    const auto ids = MakeResources(6);
    auto ca = Open();
    auto cb = Open();
    // a runs its rounds by hand (no thread): when they stop, it behaves as a replica killed with kill -9 or cut off
    // from the database (it neither renews nor leaves).
    cluster::LeaseManager a(*ca, clock_, metrics_, LeaseOptions("replica-a", 1.5));
    ASSERT_TRUE(a.RunRound().ok());
    ASSERT_TRUE(a.RunRound().ok());
    const auto last_round = std::chrono::steady_clock::now();
    ASSERT_EQ(a.snapshot().held, 6u);
    clock_.Advance(1);
    auto grant = a.Grant(ids[0], clock_.Now());
    ASSERT_TRUE(grant.has_value());
    ASSERT_TRUE(a.RecordPlan(*grant, 1, clock_.Now()).ok());
    cluster::LeaseManager b(*cb, clock_, metrics_, LeaseOptions("replica-b", 1.5));
    ASSERT_TRUE(b.Start().ok());
    std::optional<double> a_stopped;
    std::optional<double> b_took_all;
    while (std::chrono::steady_clock::now() - last_round < 5s && !(a_stopped && b_took_all)) {
        const double since = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_round).count();
        if (!a_stopped && !a.StillHeld(*grant)) a_stopped = since;
        if (!b_took_all && b.snapshot().held == 6) b_took_all = since;
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(a_stopped.has_value());
    ASSERT_TRUE(b_took_all.has_value());
    std::printf(
        "[ measured ] lease 1.5 s: the silent replica stopped planning %.2f s after its last round, the "
        "other held all 6 resources at %.2f s\n",
        *a_stopped, *b_took_all);
    EXPECT_LT(*a_stopped, *b_took_all) << "the old holder stops before the new one starts";
    EXPECT_LT(*b_took_all, 1.5 + 1.0) << "within the lease period and a round or two";
    // The silent replica's pass, had it gone on, is fenced out.
    Status late = a.RecordPlan(*grant, 2, clock_.Now());
    EXPECT_FALSE(late.ok());
    clock_.Advance(1);
    EXPECT_FALSE(a.Grant(ids[0], clock_.Now()).has_value());
    b.Stop();
}

TEST_F(PostgresCluster, FencingRefusesAPlanOrAnActionUnderAnEpochThatMovedOn) {
    const auto ids = MakeResources(1);
    auto c = Open();
    LeaseRound round{"replica-a", "", 30.0, {ids[0]}, {}};
    auto first = c->RunLeaseRound(round);
    ASSERT_TRUE(first.ok()) << first.error().message;
    ASSERT_EQ(first->held.size(), 1u);
    const std::int64_t epoch = first->held[0].epoch;
    EXPECT_TRUE(c->RecordPlan(ids[0], 1, clock_.Now(), "replica-a", epoch).ok());
    AllocationAction action;
    action.resource_id = ids[0];
    action.ts = clock_.Now();
    action.from_capacity = 1;
    action.to_capacity = 2;
    action.reason = "test";
    action.status = ActionStatus::kApplied;
    action.lease_holder = "replica-a";
    action.lease_epoch = epoch;
    ASSERT_TRUE(store_->RecordAction(action).ok());
    // Replica a releases (or its lease lapses) and b takes the resource: the epoch grows.
    ASSERT_TRUE(c->RunLeaseRound({"replica-a", "", 30.0, {}, {ids[0]}}).ok());
    auto taken = c->RunLeaseRound({"replica-b", "", 30.0, {ids[0]}, {}});
    ASSERT_TRUE(taken.ok());
    ASSERT_EQ(taken->held.size(), 1u);
    EXPECT_EQ(taken->held[0].epoch, epoch + 1);
    // a, still thinking it holds the lease, can neither record its pass nor its action.
    Status stale_plan = c->RecordPlan(ids[0], 2, clock_.Now(), "replica-a", epoch);
    ASSERT_FALSE(stale_plan.ok());
    EXPECT_EQ(stale_plan.error().code, ErrorCode::kConflict);
    auto stale_action = store_->RecordAction(action);
    ASSERT_FALSE(stale_action.ok());
    EXPECT_EQ(stale_action.error().code, ErrorCode::kConflict);
    EXPECT_NE(stale_action.error().message.find("no longer this replica's"), std::string::npos);
    // b can; and a's renewal attempt does not take the lease back while b holds it.
    EXPECT_TRUE(c->RecordPlan(ids[0], 2, clock_.Now(), "replica-b", epoch + 1).ok());
    auto back = c->RunLeaseRound({"replica-a", "", 30.0, {ids[0]}, {}});
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(back->held.empty());
    // One action recorded, under a's epoch.
    auto actions = store_->ListActions({});
    ASSERT_TRUE(actions.ok());
    EXPECT_EQ(actions->size(), 1u);
}

TEST_F(PostgresCluster, TheJobQueueHandsAJobToOneReplicaAndADeadReplicasJobIsTakenOver) {
    MakeResources(1);
    auto c = Open();
    QueuedJob job;
    job.kind = "train";
    job.subject = "resource:1";
    job.reason = "requested";
    job.created_at = clock_.Now();
    auto queued = c->EnqueueJob(job);
    ASSERT_TRUE(queued.ok()) << queued.error().message;
    ASSERT_GT(queued->id, 0);
    auto again = c->EnqueueJob(job);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->id, -queued->id) << "one active job per kind and subject: the queued one comes back";
    // Two members heartbeat (a short lease for a), then claim at once: exactly one gets the job.
    ASSERT_TRUE(c->RunLeaseRound({"replica-a", "", 1.0, {}, {}}).ok());
    ASSERT_TRUE(c->RunLeaseRound({"replica-b", "", 30.0, {}, {}}).ok());
    Result<std::optional<QueuedJob>> claim_a = std::optional<QueuedJob>{};
    Result<std::optional<QueuedJob>> claim_b = std::optional<QueuedJob>{};
    std::thread ta([&] { claim_a = c->ClaimJob("replica-a", {"train"}, clock_.Now()); });
    std::thread tb([&] { claim_b = c->ClaimJob("replica-b", {"train"}, clock_.Now()); });
    ta.join();
    tb.join();
    ASSERT_TRUE(claim_a.ok() && claim_b.ok());
    ASSERT_NE(claim_a->has_value(), claim_b->has_value()) << "claimed by exactly one";
    // Make a the claimer for the takeover below.
    std::string claimer = claim_a->has_value() ? "replica-a" : "replica-b";
    if (claimer == "replica-b") {
        // b cannot die in this test (its lease is long): let it finish, and queue another for a.
        QueuedJob done = **claim_b;
        done.state = "succeeded";
        done.progress = 1.0;
        done.finished_at = clock_.Now();
        ASSERT_TRUE(c->UpdateJob(done, "replica-b").ok());
        job.subject = "resource:2";
        ASSERT_TRUE(c->EnqueueJob(job).ok());
        ASSERT_TRUE(c->RunLeaseRound({"replica-a", "", 1.0, {}, {}}).ok());
        auto mine = c->ClaimJob("replica-a", {"train"}, clock_.Now());
        ASSERT_TRUE(mine.ok() && mine->has_value());
        claim_a = std::move(mine);
    }
    const QueuedJob running = **claim_a;
    EXPECT_EQ(running.attempts, 1);
    // Nothing to claim while a lives; once a's heartbeat expired (it died), b takes the job over.
    auto none = c->ClaimJob("replica-b", {"train"}, clock_.Now());
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
    std::this_thread::sleep_for(1200ms);
    auto taken = c->ClaimJob("replica-b", {"train"}, clock_.Now());
    ASSERT_TRUE(taken.ok());
    ASSERT_TRUE(taken->has_value()) << "a job of a member whose heartbeat expired is taken over";
    EXPECT_EQ((*taken)->id, running.id);
    EXPECT_EQ((*taken)->attempts, 2);
    EXPECT_EQ((*taken)->claimed_by, "replica-b");
    // The dead member's late report is refused; the new claimer's counts.
    QueuedJob late = running;
    late.state = "succeeded";
    auto refused = c->UpdateJob(late, "replica-a");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
    QueuedJob finished = **taken;
    finished.state = "succeeded";
    finished.result = "{\"ok\":true}";
    finished.finished_at = clock_.Now();
    ASSERT_TRUE(c->UpdateJob(finished, "replica-b").ok());
    auto stored = c->GetJob(running.id);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ((*stored)->state, "succeeded");
    // Cancel: a queued job at once; a finished one is a conflict.
    job.subject = "resource:9";
    auto third = c->EnqueueJob(job);
    ASSERT_TRUE(third.ok());
    auto cancelled = c->CancelJob(third->id, clock_.Now());
    ASSERT_TRUE(cancelled.ok());
    EXPECT_EQ(cancelled->state, "cancelled");
    EXPECT_EQ(c->CancelJob(running.id, clock_.Now()).error().code, ErrorCode::kConflict);
}

TEST_F(PostgresCluster, NotificationsReachTheOtherReplicasBridge) {
    auto ca = Open();
    auto cb = Open();
    std::atomic<std::int64_t> passes_a{0};
    cluster::EventBridge a(
        *ca, "replica-a", [&] { return passes_a.load(); }, clock_);
    cluster::EventBridge b(
        *cb, "replica-b", [] { return std::int64_t{0}; }, clock_);
    a.Start();
    b.Start();
    std::this_thread::sleep_for(700ms);  // b listens (its first wait opens the connection)
    // What another database role may NOTIFY on the channel: skipped by the listener, which must not end the process.
    ASSERT_TRUE(ca->Notify(R"({"replica": 7, "kind": ["models"]})").ok());
    ASSERT_TRUE(ca->Notify(R"({"replica": "x", "kind": 1})").ok());
    ASSERT_TRUE(ca->Notify("not json").ok());
    passes_a = 1;
    ASSERT_TRUE(Eventually([&] { return b.remote_events() >= 1; }, 5000ms));
    EXPECT_NE(b.last_remote().find("\"replica\":\"replica-a\""), std::string::npos) << b.last_remote();
    EXPECT_EQ(a.remote_events(), 0) << "a replica does not count its own events";
    a.Stop();
    b.Stop();
    EXPECT_EQ(ca->Notify(std::string(8000, 'x')).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(PostgresCluster, SampleChangesReachTheOtherReplicasCoalescedAndSplitUnderTheLimit) {
    auto ca = Open();
    auto cb = Open();
    cluster::EventBridge a(
        *ca, "replica-a", [] { return std::int64_t{0}; }, clock_);
    cluster::EventBridge b(
        *cb, "replica-b", [] { return std::int64_t{0}; }, clock_);
    std::mutex mutex;
    std::map<std::pair<ResourceId, std::string>, UnixSeconds> heard_b;  // guarded by mutex
    int heard_a = 0;                                                    // guarded by mutex
    b.OnRemoteSamples([&](const SeriesKey& key, UnixSeconds since) {
        std::lock_guard lock(mutex);
        auto [it, inserted] = heard_b.try_emplace({key.resource_id, key.metric}, since);
        if (!inserted) it->second = std::min(it->second, since);
    });
    a.OnRemoteSamples([&](const SeriesKey&, UnixSeconds) {
        std::lock_guard lock(mutex);
        ++heard_a;
    });
    a.Start();
    b.Start();
    std::this_thread::sleep_for(700ms);  // b listens
    // 600 series with long names: far more than one 8000-byte payload holds. Each series twice: the oldest time wins.
    const std::string long_metric(40, 'm');
    for (int i = 1; i <= 600; ++i) {
        a.SamplesChanged({i, long_metric + std::to_string(i)}, 5000 + i);
        a.SamplesChanged({i, long_metric + std::to_string(i)}, 1000 + i);
    }
    ASSERT_TRUE(Eventually([&] {
        std::lock_guard lock(mutex);
        return heard_b.size() >= 600;
    }));
    {
        std::lock_guard lock(mutex);
        EXPECT_EQ(heard_b.size(), 600u);
        for (int i = 1; i <= 600; ++i) {
            const std::pair<ResourceId, std::string> key{i, long_metric + std::to_string(i)};
            EXPECT_EQ(heard_b[key], 1000 + i) << i;
        }
        EXPECT_EQ(heard_a, 0) << "a replica does not hear its own changes back";
    }
    a.Stop();
    b.Stop();
    // The payloads themselves stay under PostgreSQL's limit, and a storm across the fleet becomes "every series".
    cluster::PendingSampleChanges pending;
    for (int i = 1; i <= 600; ++i) pending.Add({i, long_metric}, 7);
    for (const std::string& payload : pending.TakePayloads("replica-a", 7800)) EXPECT_LT(payload.size(), 7800u);
    for (int i = 1; i <= 3000; ++i) pending.Add({i, "cpu"}, 7);
    const auto storm = pending.TakePayloads("replica-a", 7800);
    ASSERT_EQ(storm.size(), 1u);
    const auto everything = cluster::ParseSampleChanges(nlohmann::json::parse(storm[0]));
    ASSERT_EQ(everything.size(), 1u);
    EXPECT_EQ(everything[0].first, cluster::kEverySeries);
    EXPECT_TRUE(pending.TakePayloads("replica-a", 7800).empty());
}

// A sweep's setting adopted on one replica (POST /api/settings/adopt) is a row of the shared store: every replica
// reads the newest, at the end of each of its lease rounds (LeaseManager::AfterEachRound, where
// app/cluster_setup.cpp FollowAdoptions applies it to the loop), including the rounds of its start.
TEST_F(PostgresCluster, AnAdoptionOnOneReplicaIsTheNewestEveryReplicaReadsAtItsRounds) {
    auto ca = Open();
    auto cb = Open();
    auto none = cb->LatestAdoption();
    ASSERT_TRUE(none.ok()) << none.error().message;
    EXPECT_FALSE(none->has_value());

    SharedAdoption p99;
    p99.quantile = QuantileLevel::kP99;
    p99.unmet_budget = 0.002;
    p99.reason = "adopted by user:admin: a test";
    p99.evidence = "evidence/sweep-20261205T101010.000Z.json";
    p99.evidence_summary = R"({"source":"canned"})";
    p99.member = "replica-a";
    auto recorded = ca->RecordAdoption(p99);
    ASSERT_TRUE(recorded.ok()) << recorded.error().message;
    EXPECT_GT(recorded->id, 0);
    EXPECT_GT(recorded->adopted_at, 0);

    std::vector<SharedAdoption> seen;  // by replica b's rounds
    cluster::LeaseManager b(*cb, clock_, metrics_, LeaseOptions("replica-b"));
    b.AfterEachRound([&] {
        auto latest = cb->LatestAdoption();
        if (latest.ok() && latest->has_value()) seen.push_back(**latest);
    });
    ASSERT_TRUE(b.Start().ok());  // its two rounds at start have run when it returns
    b.Stop();
    ASSERT_GE(seen.size(), 2u);
    const SharedAdoption& read = seen.front();
    EXPECT_EQ(read.id, recorded->id);
    EXPECT_EQ(read.quantile, QuantileLevel::kP99);
    EXPECT_DOUBLE_EQ(read.unmet_budget, 0.002);
    EXPECT_EQ(read.reason, p99.reason);
    EXPECT_EQ(read.evidence, p99.evidence);
    EXPECT_EQ(read.evidence_summary, p99.evidence_summary);
    EXPECT_EQ(read.member, "replica-a");

    // Another adoption, on the other replica: the newest wins on both, whichever adopted it.
    SharedAdoption p90 = p99;
    p90.quantile = QuantileLevel::kP90;
    p90.unmet_budget = 0.005;
    p90.member = "replica-b";
    auto second = cb->RecordAdoption(p90);
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_GT(second->id, recorded->id);
    for (Coordination* c : {ca.get(), cb.get()}) {
        auto latest = c->LatestAdoption();
        ASSERT_TRUE(latest.ok() && latest->has_value());
        EXPECT_EQ((*latest)->quantile, QuantileLevel::kP90);
        EXPECT_EQ((*latest)->member, "replica-b");
    }
    // The store refuses what no loop could plan at.
    SharedAdoption bad = p99;
    bad.unmet_budget = 0.7;
    EXPECT_FALSE(ca->RecordAdoption(bad).ok());
}

TEST_F(PostgresCluster, TheFirstReplicasKeysAreTheOnesEveryOtherMustHave) {
    auto c = Open();
    auto first = c->AgreeOnKey("master", "aaaa", {});
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(*first, "aaaa");
    auto other = c->AgreeOnKey("master", "bbbb", {});
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(*other, "aaaa") << "a replica with another key sees the recorded one and refuses";
    auto rotated = c->AgreeOnKey("master", "cccc", {"aaaa"});
    ASSERT_TRUE(rotated.ok());
    EXPECT_EQ(*rotated, "cccc") << "a replica holding the recorded key as a previous one rotates it";
}

}  // namespace
}  // namespace cloudopt
