// What the leases guarantee beyond the loop's passes (issue 31 item 2, the review's holes), on a real PostgreSQL:
// a recommendation applied through a replica that does not plan the resource is applied by the one that does,
// under its lease (the epoch written with the action); the plan log and finished jobs are pruned; and a replica
// never names itself as the one planning a resource elsewhere.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "allocate/capacity_planner.hpp"
#include "cluster/apply_relay.hpp"
#include "cluster/lease_manager.hpp"
#include "control/control_loop.hpp"
#include "forecast/seasonal_naive.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/coordination.hpp"
#include "store/postgres/postgres_store.hpp"
#include "support/postgres_server.hpp"

namespace cloudopt {
namespace {

using namespace std::chrono_literals;

// 3 running until an apply changes it.
class FixedProvider final : public Provider {
  public:
    Result<CapacityState> Describe(const Resource&) override {
        CapacityState s;
        s.desired = s.ready = desired;
        s.instance_type = "m5.large";
        return s;
    }
    Status SetDesiredCapacity(const Resource&, int n) override {
        ++applies;
        desired = n;
        return Status::Ok();
    }
    std::atomic<int> desired{3};
    std::atomic<int> applies{0};
};

class LeaseFence : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!server_.available()) GTEST_SKIP() << "PostgreSQL unavailable: " << server_.why();
        options_ = {server_.FreshDatabase(), server_.password()};
        auto store = OpenPostgresStore(options_, clock_);
        ASSERT_TRUE(store.ok()) << store.error().message;
        store_ = std::move(*store);
        Resource r;
        r.name = "web";
        r.provider = "aws";
        r.provider_ref = "asg-web";
        r.instance_type = "m5.large";
        r.min_capacity = 1;
        r.max_capacity = 20;
        r.mode = Mode::kRecommend;
        auto created = store_->CreateResource(r);
        ASSERT_TRUE(created.ok()) << created.error().message;
        id_ = created->id;
        adapters_.providers["aws"] = &provider_;
    }
    std::unique_ptr<Coordination> Open() {
        auto c = OpenPostgresCoordination(options_);
        EXPECT_TRUE(c.ok()) << c.error().message;
        return c.ok() ? std::move(*c) : nullptr;
    }
    cluster::LeaseManagerOptions LeaseOptions(const std::string& member) {
        cluster::LeaseManagerOptions o;
        o.member = member;
        o.lease_seconds = 4.0;
        o.tick_seconds = 1;
        o.round_interval = 100ms;
        return o;
    }
    std::unique_ptr<ControlLoop> MakeLoop() {
        return std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_,
                                             ControlLoopOptions{});
    }

    testing::PostgresServer& server_ = testing::PostgresServer::Shared();
    PostgresOptions options_;
    ManualClock clock_{1'700'000'000};
    MetricsRegistry metrics_;
    std::unique_ptr<Store> store_;
    ResourceId id_ = 0;
    FixedProvider provider_;
    Adapters adapters_;
    SeasonalNaiveForecaster forecaster_;
    CapacityPlanner planner_;
    Catalog catalog_;
};

TEST_F(LeaseFence, ARecommendationAppliedThroughAnotherReplicaIsAppliedByTheLeaseHolderUnderItsEpoch) {
    auto ca = Open();
    auto cb = Open();
    // a holds the resource's lease; b (a replica the user's browser happens to reach) does not.
    cluster::LeaseManager a(*ca, clock_, metrics_, LeaseOptions("replica-a"));
    cluster::LeaseManager b(*cb, clock_, metrics_, LeaseOptions("replica-b"));
    ASSERT_TRUE(a.Start().ok());
    ASSERT_TRUE(a.GrantNow(id_).has_value());
    const std::int64_t epoch = a.GrantNow(id_)->epoch;
    auto loop_a = MakeLoop();
    auto loop_b = MakeLoop();
    loop_a->SetOwnership(&a);
    loop_b->SetOwnership(&b);
    cluster::ApplyRelay relay_a(*ca, "replica-a",
                                [&](std::int64_t recommendation) -> Result<std::int64_t> {
                                    auto applied = loop_a->ApplyRecommendation(recommendation, /*may_forward=*/false);
                                    if (!applied) return applied.error();
                                    return applied->id;
                                },
                                clock_, {50ms, 10000ms});
    cluster::ApplyRelay relay_b(*cb, "replica-b", [](std::int64_t) -> Result<std::int64_t> { return std::int64_t{0}; },
                                clock_, {50ms, 10000ms});
    relay_a.Start();
    loop_b->SetApplyForwarder([&](std::int64_t recommendation, ResourceId resource, const std::string& holder) {
        return relay_b.Forward(recommendation, resource, holder);
    });

    Recommendation rec;
    rec.resource_id = id_;
    rec.created_at = clock_.Now();
    rec.from_capacity = 3;
    rec.to_capacity = 6;
    rec.reason = "load rising";
    auto saved = store_->SaveRecommendation(rec);
    ASSERT_TRUE(saved.ok()) << saved.error().message;

    auto action = loop_b->ApplyRecommendation(saved->id);
    ASSERT_TRUE(action.ok()) << action.error().message;
    EXPECT_EQ(action->status, ActionStatus::kApplied);
    // Applied by the holder, fenced by its lease: the action's row carries a's epoch (the store's reads leave the
    // lease columns out, so they are read here).
    auto settings = pg::MakeConnSettings(options_.url, options_.password);
    ASSERT_TRUE(settings.ok());
    auto conn = pg::Connect(*settings);
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    pqxx::work tx(**conn);
    const pqxx::row row = tx.exec_params1("SELECT lease_holder, lease_epoch FROM actions WHERE id = $1", action->id);
    EXPECT_EQ(row[0].as<std::string>(), "replica-a");
    EXPECT_EQ(row[1].as<std::int64_t>(), epoch);
    tx.commit();
    EXPECT_EQ(action->to_capacity, 6);
    EXPECT_EQ(provider_.desired.load(), 6);
    EXPECT_EQ(provider_.applies.load(), 1);
    auto stored = store_->GetRecommendation(saved->id);
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored->status, "applied");

    // Applying it again through b: the holder's answer (it is no longer open) comes back as b's, a 409.
    auto again = loop_b->ApplyRecommendation(saved->id);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::kConflict) << again.error().message;

    // A replica without a relay (or the holder's own relay calling a replica that lost the lease) refuses, naming
    // why, rather than acting unfenced.
    rec.to_capacity = 9;
    rec.from_capacity = 6;
    rec.created_at = clock_.Now();
    auto second = store_->SaveRecommendation(rec);
    ASSERT_TRUE(second.ok());
    auto loop_c = MakeLoop();
    loop_c->SetOwnership(&b);
    auto refused = loop_c->ApplyRecommendation(second->id);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
    EXPECT_NE(refused.error().message.find("planned by"), std::string::npos) << refused.error().message;
    EXPECT_EQ(provider_.applies.load(), 1);
    relay_a.Stop();
    a.Stop();
}

TEST_F(LeaseFence, ThePlanLogAndFinishedJobsArePrunedAfterTheRetention) {
    auto c = Open();
    auto round = c->RunLeaseRound({"replica-a", "", 30.0, {id_}, {}});
    ASSERT_TRUE(round.ok() && round->held.size() == 1u);
    const std::int64_t epoch = round->held[0].epoch;
    ASSERT_TRUE(c->RecordPlan(id_, 1, clock_.Now(), "replica-a", epoch).ok());
    QueuedJob job;
    job.kind = "train";
    job.subject = "resource:1";
    job.created_at = clock_.Now();
    ASSERT_TRUE(c->EnqueueJob(job).ok());
    auto claimed = c->ClaimJob("replica-a", {"train"}, clock_.Now());
    ASSERT_TRUE(claimed.ok() && claimed->has_value());
    QueuedJob done = **claimed;
    done.state = "succeeded";
    done.finished_at = clock_.Now() - 100;  // long finished
    ASSERT_TRUE(c->UpdateJob(done, "replica-a").ok());
    job.subject = "resource:2";
    auto waiting = c->EnqueueJob(job);
    ASSERT_TRUE(waiting.ok());
    std::this_thread::sleep_for(1200ms);
    ASSERT_TRUE(c->RecordPlan(id_, 2, clock_.Now(), "replica-a", epoch).ok());

    // With one second kept: the first plan row and the finished job go; the recent row and the queued job stay.
    auto pruned = c->PruneHistory(std::chrono::seconds(1), clock_.Now());
    ASSERT_TRUE(pruned.ok()) << pruned.error().message;
    EXPECT_EQ(*pruned, 2);
    auto gone = c->GetJob(done.id);
    ASSERT_TRUE(gone.ok());
    EXPECT_FALSE(gone->has_value());
    auto kept = c->GetJob(waiting->id);
    ASSERT_TRUE(kept.ok());
    EXPECT_TRUE(kept->has_value());
    auto after = c->RunLeaseRound({"replica-a", "", 30.0, {id_}, {}});
    ASSERT_TRUE(after.ok() && after->held.size() == 1u);
    EXPECT_EQ(after->held[0].last_tick, 2) << "the latest plan row stays";

    // The lease manager prunes at its first round (and hourly after).
    std::this_thread::sleep_for(1200ms);
    auto options = LeaseOptions("replica-b");
    options.keep_history = std::chrono::seconds(1);
    cluster::LeaseManager manager(*c, clock_, metrics_, options);
    ASSERT_TRUE(manager.RunRound().ok());
    EXPECT_EQ(metrics_
                  .GetCounter("cloudopt_cluster_history_pruned_total",
                              "Plan log rows and finished shared jobs deleted once older than the retention")
                  .Value(),
              1.0);
}

TEST_F(LeaseFence, AReplicaNeverNamesItselfAsTheOnePlanningAResourceElsewhere) {
    auto c = Open();
    cluster::LeaseManager a(*c, clock_, metrics_, LeaseOptions("replica-a"));
    ASSERT_TRUE(a.Start().ok());
    // Assigned to a: nobody else plans it (a pass a lease is not granted to yet, in the tick it was taken in or
    // before the take, must not say "planned by replica-a" on replica-a).
    EXPECT_EQ(a.PlannerOf(id_), "");
    a.Stop();
}

}  // namespace
}  // namespace cloudopt
