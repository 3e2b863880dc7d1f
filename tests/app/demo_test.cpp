// The demo's history: before cloudopt, each group ran the static allocation the dashboard compares against, so
// the savings the dashboard shows start at zero and grow only with what cloudopt changes.

#include "app/demo.hpp"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "allocate/capacity_planner.hpp"
#include "app/files.hpp"
#include "app/store_replay_command.hpp"
#include "control/control_loop.hpp"
#include "control/dashboard.hpp"
#include "forecast/auto_forecaster.hpp"
#include "forecast/seasonal_naive.hpp"
#include "simulate/service_replay.hpp"
#include "simulate/simulated_cloud.hpp"
#include "support/service_replay_options.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

// The demo's resources and seven days of history in a fresh store, as `cloudopt serve --demo` sets them up.
struct DemoWorld {
    explicit DemoWorld(UnixSeconds at) : now(at), clock(at), store(OpenSqliteStore(dir.File("cloudopt.db"), clock)) {}
    Status Setup() {
        if (!store) return store.error();
        auto text = ReadWholeFile(std::string(CLOUDOPT_REPO_DIR) + "/data/catalog/instances.csv", "catalog");
        if (!text) return text.error();
        catalog = ParseCatalogCsv(*text);
        if (!catalog) return catalog.error();
        return SetupDemo(**store, cloud, *catalog, std::string(CLOUDOPT_REPO_DIR) + "/data/demo", now);
    }
    testing::TempDir dir;
    UnixSeconds now;
    ManualClock clock;
    Result<std::unique_ptr<Store>> store;
    Result<Catalog> catalog = MakeError(ErrorCode::kUnavailable, "not loaded");
    SimulatedCloud cloud{clock};
};

TEST(Demo, TheRecordedCostBeforeCloudoptIsTheStaticAllocationTheDashboardComparesWith) {
    const UnixSeconds now = 1'800'000'123;  // deliberately off the 5-minute grid
    DemoWorld world(now);
    ASSERT_TRUE(world.Setup().ok());
    ManualClock& clock = world.clock;
    auto& store = world.store;
    auto& catalog = world.catalog;
    SimulatedCloud& cloud = world.cloud;

    Adapters adapters;
    for (const char* name : {"aws", "azure", "gcp", "kubernetes"}) {
        adapters.providers[name] = &cloud;
        adapters.sources[name] = &cloud;
    }
    SeasonalNaiveForecaster forecaster;
    CapacityPlanner planner;
    MetricsRegistry metrics;
    ControlLoop loop(**store, clock, adapters, forecaster, planner, *catalog, metrics, ControlLoopOptions{});
    auto stats = ComputeDashboardStats(**store, loop, now);
    ASSERT_TRUE(stats.ok()) << stats.error().message;
    ASSERT_EQ(stats->per_resource.size(), 4u);
    for (const ResourceStats& r : stats->per_resource) {
        auto recorded = (*store)->LatestSample({r.resource.id, "cost_per_hour"});
        ASSERT_TRUE(recorded.ok() && recorded->has_value()) << r.resource.name;
        EXPECT_NEAR((*recorded)->value, r.static_cost_per_hour, 1e-9) << r.resource.name;
        EXPECT_NEAR(r.cost_per_hour, r.static_cost_per_hour, 1e-9) << r.resource.name << ": the group starts static";
    }
}

TEST(Demo, ARestartedDemoClockNeverFollowsStoredDataIntoTheFuture) {
    const UnixSeconds now = 1'800'000'000;
    DemoWorld world(now);
    ASSERT_TRUE(world.Setup().ok());
    auto& store = world.store;
    const UnixSeconds recorded = LatestDemoTime(**store, now, 60);
    EXPECT_LE(recorded, now);
    EXPECT_GT(recorded, now - 600) << "the history reaches the demo's start";

    // One sample dated 2099, stored before ingest refused such timestamps.
    auto web = (*store)->FindResourceByName("web-frontend");
    ASSERT_TRUE(web.ok());
    ASSERT_TRUE(
        (*store)->AppendSamples(std::vector<SeriesSamples>{{{web->id, web->load_metric}, {{4'080'000'000, 5}}}}).ok());
    // Ten real minutes later, at 60 times real time, the demo may have reached ten hours ahead, and no further.
    const UnixSeconds restarted = LatestDemoTime(**store, now + 600, 60);
    EXPECT_EQ(restarted, recorded);
    // Samples the demo itself wrote ahead of real time still count.
    ASSERT_TRUE(
        (*store)->AppendSamples(std::vector<SeriesSamples>{{{web->id, web->load_metric}, {{now + 5 * 3600, 7}}}}).ok());
    EXPECT_EQ(LatestDemoTime(**store, now + 600, 60), now + 5 * 3600);
}

}  // namespace
}  // namespace cloudopt

namespace cloudopt {
namespace {

// One engine, on the demo as a new user runs it: ninety demo minutes of the live loop on the demo's four resources
// (real traces, the service's own forecaster and settings), then the load the store recorded replayed through
// `simulate`'s service replay. Every tick's decision is the one the loop made.
TEST(Demo, ReplayingWhatTheDemoRecordedMakesTheLoopsDecisionAtEveryTick) {
    constexpr int kPasses = 90;  // one a demo minute (was 180: 165 s of CI's 30 minutes in the debug build)
    const UnixSeconds start = 1'800'000'000;
    DemoWorld world(start);
    ASSERT_TRUE(world.Setup().ok());
    Store& store = **world.store;
    Adapters adapters;
    for (const char* name : {"aws", "azure", "gcp", "kubernetes"}) {
        adapters.providers[name] = &world.cloud;
        adapters.sources[name] = &world.cloud;
    }
    auto resources = store.ListResources();
    ASSERT_TRUE(resources.ok());
    for (Resource r : *resources) {  // the replay applies what it decides: compare it with a loop in auto mode
        r.mode = Mode::kAuto;
        ASSERT_TRUE(store.UpdateResource(r).ok());
    }
    AutoForecaster forecaster;
    CapacityPlanner planner;
    MetricsRegistry metrics;
    const ControlLoopOptions options;  // the service's defaults
    ControlLoop loop(store, world.clock, adapters, forecaster, planner, *world.catalog, metrics, options);
    struct Tick {
        UnixSeconds ts;
        int current, desired;
        bool applied;
    };
    std::map<ResourceId, std::vector<Tick>> live;
    for (int pass = 0; pass < kPasses; ++pass) {
        auto outcomes = loop.RunPass();
        ASSERT_TRUE(outcomes.ok());
        for (const PassOutcome& o : *outcomes) {
            ASSERT_TRUE(o.error.empty()) << o.resource_name << ": " << o.error;
            ASSERT_TRUE(o.decision.has_value());
            live[o.resource_id].push_back({world.clock.Now(), o.current_capacity, o.decision->desired,
                                           o.action && o.action->status == ActionStatus::kApplied});
        }
        world.clock.Advance(60);
    }
    ASSERT_EQ(live.size(), 4u);
    const ServiceReplayOptions replay_options = testing::ReplayOptionsOf(loop);
    int changes = 0;
    auto replayed_resources = store.ListResources();
    ASSERT_TRUE(replayed_resources.ok());
    for (const Resource& r : *replayed_resources) {
        const std::vector<Tick>& ticks = live.at(r.id);
        auto load = store.QuerySamples({r.id, r.load_metric}, 0, ticks.back().ts + 1);
        ASSERT_TRUE(load.ok());
        auto replay = ReplayRecordedLoad(r, *load, ticks.front().current, ticks.front().ts, ticks.back().ts, {},
                                         forecaster, replay_options);
        ASSERT_TRUE(replay.ok()) << replay.error().message;
        ASSERT_EQ(replay->ticks.size(), ticks.size());
        for (std::size_t i = 0; i < ticks.size(); ++i) {
            EXPECT_EQ(replay->ticks[i].current, ticks[i].current) << r.name << " tick " << i;
            EXPECT_EQ(replay->ticks[i].desired, ticks[i].desired) << r.name << " tick " << i;
            EXPECT_EQ(replay->ticks[i].verdict == Verdict::kApply, ticks[i].applied) << r.name << " tick " << i;
            changes += ticks[i].applied;
        }
    }
    EXPECT_GT(changes, 0) << "ninety demo minutes without a change compare nothing";

    // The same through the command a user runs on a service's data directory: `cloudopt simulate --from-store`.
    const UnixSeconds first_tick = live.begin()->second.front().ts;
    auto newest = store.LatestSample({replayed_resources->front().id, replayed_resources->front().load_metric});
    ASSERT_TRUE(newest.ok() && newest->has_value());
    SimulateCommand cli;
    cli.from_store = world.dir.path();
    cli.hours = static_cast<double>((*newest)->ts - first_tick) / 3600.0;
    cli.json = true;
    ::testing::internal::CaptureStdout();
    const int code = RunSimulateFromStore(cli);
    const std::string out = ::testing::internal::GetCapturedStdout();
    ASSERT_EQ(code, 0) << out;
    const nlohmann::json report = nlohmann::json::parse(out);
    ASSERT_EQ(report["resources"].size(), 4u) << out;
    int cli_changes = 0;
    for (const nlohmann::json& row : report["resources"]) {
        EXPECT_EQ(row["ticks_compared"].get<int>(), kPasses) << row.dump();
        EXPECT_EQ(row["ticks_equal"], row["ticks_compared"]) << row.dump();
        EXPECT_EQ(row["replay"]["changes"], row["live"]["changes"]) << row.dump();
        EXPECT_EQ(row["replay"]["flaps"], row["live"]["flaps"]) << row.dump();
        cli_changes += row["live"]["changes"].get<int>();
    }
    EXPECT_EQ(cli_changes, changes);
    EXPECT_EQ(report["engine"]["flap_budget_per_day"], 1);
    EXPECT_EQ(report["engine"]["flap_hold_s"], 3600);
    // The replay lists its applied changes with their sentences: as many as it counted.
    for (const nlohmann::json& row : report["resources"]) {
        ASSERT_EQ(row["replay"]["actions"].size(), row["replay"]["changes"].get<std::size_t>()) << row.dump();
        for (const nlohmann::json& a : row["replay"]["actions"])
            EXPECT_NE(a["summary"].get<std::string>().find(" -> "), std::string::npos) << a.dump();
    }

    // Other settings on the same recorded load decide otherwise, and say so (one resource: the debug build is slow).
    cli.resource = "batch-workers";
    cli.flap_budget = 0;
    cli.stabilization_s = 0;
    cli.hysteresis = 0.0;
    cli.scale_out_tolerance = 0.0;
    ::testing::internal::CaptureStdout();
    ASSERT_EQ(RunSimulateFromStore(cli), 0);
    const nlohmann::json other = nlohmann::json::parse(::testing::internal::GetCapturedStdout());
    ASSERT_EQ(other["resources"].size(), 1u) << other.dump();
    EXPECT_LT(other["resources"][0]["ticks_equal"].get<int>(), kPasses) << other.dump();
}

TEST(Demo, SimulateFromStoreRefusesWhatItCannotRead) {
    testing::TempDir dir;
    SimulateCommand cli;
    cli.from_store = dir.File("nothing-here");
    EXPECT_EQ(RunSimulateFromStore(cli), 2);
    cli.from_store = dir.path();
    cli.hours = -1;
    EXPECT_EQ(RunSimulateFromStore(cli), 2);
    SimulateCommand both;
    both.data = "x.csv";
    both.from_store = dir.path();
    EXPECT_EQ(RunSimulate(both), 2);
}

}  // namespace
}  // namespace cloudopt
