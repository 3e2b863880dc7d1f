// One engine: the load a running service recorded, replayed through `simulate`'s service replay
// (simulate/service_replay.hpp) with the loop's settings, gets the decision the live loop made at every tick.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "allocate/capacity_planner.hpp"
#include "control/control_loop.hpp"
#include "forecast/auto_forecaster.hpp"
#include "simulate/service_replay.hpp"
#include "simulate/simulated_cloud.hpp"
#include "support/service_replay_options.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

constexpr UnixSeconds kOneDay = 86400;
constexpr UnixSeconds kMidnight = 1'700'006'400;  // a midnight (UTC)

// A busy day with noise and bursts, at 5-minute steps: the kind of load that made the demo flap.
RegularSeries NoisyDay() {
    RegularSeries s;
    s.step = 300;
    std::uint32_t seed = 12345;
    auto noise = [&seed] {
        seed = seed * 1664525u + 1013904223u;
        return static_cast<double>(seed >> 8) / static_cast<double>(1u << 24);  // [0, 1)
    };
    for (UnixSeconds t = 0; t < kOneDay; t += 300) {
        const double daily = 40.0 + 25.0 * std::sin(2 * M_PI * static_cast<double>(t) / kOneDay);
        const double burst = noise() < 0.08 ? 30.0 * noise() : 0.0;
        s.values.push_back(daily + 8.0 * noise() + burst);
    }
    return s;
}

struct LiveTick {
    UnixSeconds ts;
    int current, desired;
    bool applied;
};

class OneEngineTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto s = OpenSqliteStore(dir_.File("t.db"), clock_);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
        auto catalog = ParseCatalogCsv("provider,name,vcpu,memory_gib,price_per_hour\naws,m5.large,2,8,0.1\n");
        ASSERT_TRUE(catalog.ok());
        catalog_ = *catalog;
        adapters_.providers["aws"] = &cloud_;
        adapters_.sources["aws"] = &cloud_;
    }

    // A resource on the simulated cloud with three days of history and 5 instances running.
    Resource AddResource() {
        Resource r;
        r.name = "batch";
        r.provider = "aws";
        r.provider_ref = "sim/batch";
        r.instance_type = "m5.large";
        r.capacity_per_instance = 4;
        r.min_capacity = 1;
        r.max_capacity = 40;
        r.boot_delay_s = 180;
        r.mode = Mode::kAuto;
        auto created = store_->CreateResource(r);
        EXPECT_TRUE(created.ok());
        SimulatedGroupSpec spec;
        spec.ref = r.provider_ref;
        spec.instance_type = r.instance_type;
        spec.price_per_hour = 0.1;
        spec.capacity_per_instance = r.capacity_per_instance;
        spec.boot_delay_s = 180;
        spec.load_metric = r.load_metric;
        spec.demand = NoisyDay();
        spec.anchor = kMidnight;
        spec.initial_capacity = kInitial;
        cloud_.AddGroup(spec);
        SeriesSamples history{{created->id, r.load_metric}, {}};
        for (UnixSeconds t = kMidnight; t < clock_.Now(); t += 60)
            history.samples.push_back({t, *cloud_.DemandAt(spec.ref, t)});
        EXPECT_TRUE(store_->AppendSamples({&history, 1}).ok());
        return *created;
    }

    // Runs the live loop once a minute for `seconds`, recording each tick's decision.
    std::vector<LiveTick> RunLive(ControlLoop& loop, UnixSeconds seconds) {
        std::vector<LiveTick> ticks;
        const UnixSeconds end = clock_.Now() + seconds;
        while (clock_.Now() <= end) {
            auto outcomes = loop.RunPass();
            EXPECT_TRUE(outcomes.ok());
            if (!outcomes.ok() || outcomes->size() != 1) return ticks;
            const PassOutcome& o = outcomes->front();
            EXPECT_TRUE(o.error.empty()) << o.error;
            EXPECT_TRUE(o.decision.has_value());
            ticks.push_back({clock_.Now(), o.current_capacity, o.decision ? o.decision->desired : -1,
                             o.action && o.action->status == ActionStatus::kApplied});
            clock_.Advance(60);
        }
        return ticks;
    }

    // Replays what the store recorded and checks the decision of every tick against the live one.
    void ExpectSameDecisions(const Resource& r, const std::vector<LiveTick>& live, TrainedModelRef trained,
                             const ServiceReplayOptions& options) {
        ASSERT_FALSE(live.empty());
        auto load = store_->QuerySamples({r.id, r.load_metric}, 0, live.back().ts + 1);
        ASSERT_TRUE(load.ok());
        auto replay =
            ReplayRecordedLoad(r, *load, kInitial, live.front().ts, live.back().ts, trained, forecaster_, options);
        ASSERT_TRUE(replay.ok()) << replay.error().message;
        ASSERT_EQ(replay->ticks.size(), live.size());
        int changes = 0;
        for (std::size_t i = 0; i < live.size(); ++i) {
            const ReplayedTick& t = replay->ticks[i];
            ASSERT_EQ(t.ts, live[i].ts);
            EXPECT_EQ(t.current, live[i].current) << "tick " << i;
            EXPECT_EQ(t.desired, live[i].desired) << "tick " << i << " (" << t.bound_by << ")";
            EXPECT_EQ(t.verdict == Verdict::kApply, live[i].applied) << "tick " << i;
            changes += live[i].applied;
        }
        EXPECT_EQ(replay->changes, changes);
        // The window must have exercised the engine: changes both ways, not a flat line.
        EXPECT_GE(changes, 4);
    }

    static constexpr int kInitial = 5;
    testing::TempDir dir_;
    ManualClock clock_{kMidnight + 3 * kOneDay + 9 * 3600};  // day 4, 09:00: the load falls through the day
    std::unique_ptr<Store> store_;
    SimulatedCloud cloud_{clock_};
    Adapters adapters_;
    Catalog catalog_;
    AutoForecaster forecaster_;
    CapacityPlanner planner_;
    MetricsRegistry metrics_;
};

TEST_F(OneEngineTest, ReplayingTheRecordedLoadMakesTheLiveLoopsDecisionAtEveryTick) {
    ControlLoop loop(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, ControlLoopOptions{});
    const Resource r = AddResource();
    const std::vector<LiveTick> live = RunLive(loop, 4 * 3600);
    ExpectSameDecisions(r, live, {}, testing::ReplayOptionsOf(loop));
}

TEST_F(OneEngineTest, WithATrainedModelTheReplayForecastsAndDecidesAsTheLoopDid) {
    ControlLoopOptions options;
    options.train_epochs = 0;  // statistical models: the forecast path is under test, not the network
    ControlLoop loop(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    const Resource r = AddResource();
    ASSERT_TRUE(loop.TrainResource(r).ok());
    const std::vector<LiveTick> live = RunLive(loop, 3 * 3600);
    const auto trained = loop.models().Get(r.id, r.load_metric);
    ASSERT_TRUE(trained.has_value());
    ExpectSameDecisions(r, live, {trained->model.get(), trained->trained_at}, testing::ReplayOptionsOf(loop));
}

TEST_F(OneEngineTest, ChangedSettingsChangeTheReplaysDecisions) {
    // The comparison can fail: the same load replayed without the scale-in rules decides differently.
    ControlLoop loop(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, ControlLoopOptions{});
    const Resource r = AddResource();
    const std::vector<LiveTick> live = RunLive(loop, 2 * 3600);
    ServiceReplayOptions other = testing::ReplayOptionsOf(loop);
    other.engine.flap_guard.hysteresis = 0.0;
    other.engine.stabilization_seconds = 0;
    auto load = store_->QuerySamples({r.id, r.load_metric}, 0, live.back().ts + 1);
    ASSERT_TRUE(load.ok());
    auto replay = ReplayRecordedLoad(r, *load, kInitial, live.front().ts, live.back().ts, {}, forecaster_, other);
    ASSERT_TRUE(replay.ok());
    int differing = 0;
    for (std::size_t i = 0; i < live.size(); ++i) differing += replay->ticks[i].desired != live[i].desired;
    EXPECT_GT(differing, 0);
}

TEST_F(OneEngineTest, BadSettingsAreRefusedWithTheReason) {
    Resource r;
    r.capacity_per_instance = 10;
    ServiceReplayOptions o;
    o.engine.tick_seconds = 0;
    auto bad = ReplayRecordedLoad(r, {{kMidnight, 1.0}}, 1, kMidnight, kMidnight + 60, {}, forecaster_, o);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
    auto empty = ReplayRecordedLoad(r, {}, 1, kMidnight, kMidnight + 60, {}, forecaster_, ServiceReplayOptions{});
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().code, ErrorCode::kUnprocessable);
}

}  // namespace
}  // namespace cloudopt
