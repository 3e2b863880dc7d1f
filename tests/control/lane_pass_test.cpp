// A lane's pass with several resources in flight (loop.parallel_resources, control/in_flight.hpp) and a stop that
// ends a lane's pass between resources.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "allocate/capacity_planner.hpp"
#include "control/control_loop.hpp"
#include "control/in_flight.hpp"
#include "forecast/seasonal_naive.hpp"
#include "simulate/simulated_cloud.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

constexpr UnixSeconds kLaneDay = 86400;
constexpr UnixSeconds kLaneStart = 1'700'006'400;  // a midnight (UTC)

// Load 20 at night, 60 from 09:00 to 17:00, every day, shifted by `shift` steps per resource so they differ.
RegularSeries LaneDemand(int shift) {
    RegularSeries s;
    s.step = 300;
    for (UnixSeconds t = 0; t < kLaneDay; t += 300) {
        const UnixSeconds at = (t + shift * 3600) % kLaneDay;
        s.values.push_back(at >= 9 * 3600 && at < 17 * 3600 ? 60.0 + 5 * shift : 20.0 + shift);
    }
    return s;
}

// A cloud in front of the simulated one that records who it is asked about and, on command, holds callers:
// `hold_name` holds Describe of that resource until Release(); `gather` holds every Describe until that many
// are inside at once (or 20 s pass), which only concurrent callers can reach.
class GatedCloud final : public Provider {
  public:
    explicit GatedCloud(SimulatedCloud& inner) : inner_(inner) {}
    Result<CapacityState> Describe(const Resource& r) override {
        {
            std::unique_lock lock(mutex_);
            ++described_[r.name];
            ++inside_;
            most_inside_ = std::max(most_inside_, inside_);
            changed_.notify_all();
            if (r.name == hold_name) {
                ++held_;
                changed_.notify_all();
                changed_.wait_for(lock, std::chrono::seconds(60), [this] { return released_; });
            }
            if (gather > 0)
                changed_.wait_for(lock, std::chrono::seconds(20), [this] { return most_inside_ >= gather; });
            --inside_;
        }
        return inner_.Describe(r);
    }
    Status SetDesiredCapacity(const Resource& r, int n) override { return inner_.SetDesiredCapacity(r, n); }
    bool WaitUntilHeld() {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(30), [this] { return held_ > 0; });
    }
    void Release() {
        std::lock_guard lock(mutex_);
        released_ = true;
        changed_.notify_all();
    }
    int Described(const std::string& name) {
        std::lock_guard lock(mutex_);
        return described_[name];
    }
    int MostInside() {
        std::lock_guard lock(mutex_);
        return most_inside_;
    }
    std::string hold_name;  // set before use
    int gather = 0;         // set before use

  private:
    SimulatedCloud& inner_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, int> described_;
    int inside_ = 0, most_inside_ = 0, held_ = 0;
    bool released_ = false;
};

// One store, one simulated cloud behind a gate, one loop: `count` auto-mode resources on provider "aws" with three
// days of history.
struct LaneWorld {
    LaneWorld(const std::string& db, int count, int parallel) {
        auto opened = OpenSqliteStore(db, clock);
        EXPECT_TRUE(opened.ok());
        store = std::move(*opened);
        auto parsed = ParseCatalogCsv("provider,name,vcpu,memory_gib,price_per_hour\naws,m5.large,2,8,0.1\n");
        EXPECT_TRUE(parsed.ok());
        catalog = *parsed;
        for (int i = 0; i < count; ++i) Add("r" + std::to_string(i + 1), i);
        Adapters adapters;
        adapters.providers["aws"] = &gate;
        adapters.sources["aws"] = &cloud;
        ControlLoopOptions options;
        options.parallel_resources = parallel;
        loop = std::make_unique<ControlLoop>(*store, clock, adapters, forecaster, planner, catalog, metrics, options);
    }
    void Add(const std::string& name, int shift) {
        Resource r;
        r.name = name;
        r.provider = "aws";
        r.provider_ref = "sim/" + name;
        r.instance_type = "m5.large";
        r.capacity_per_instance = 10;
        r.min_capacity = 1;
        r.max_capacity = 20;
        r.boot_delay_s = 180;
        r.mode = Mode::kAuto;
        auto created = store->CreateResource(r);
        ASSERT_TRUE(created.ok());
        SimulatedGroupSpec spec;
        spec.ref = r.provider_ref;
        spec.instance_type = r.instance_type;
        spec.price_per_hour = 0.1;
        spec.capacity_per_instance = 10;
        spec.boot_delay_s = 180;
        spec.load_metric = r.load_metric;
        spec.demand = LaneDemand(shift);
        spec.anchor = kLaneStart;
        spec.initial_capacity = 3;
        cloud.AddGroup(spec);
        SeriesSamples history{{created->id, r.load_metric}, {}};
        for (UnixSeconds t = kLaneStart; t < clock.Now(); t += 300)
            history.samples.push_back({t, *cloud.DemandAt(spec.ref, t)});
        ASSERT_TRUE(store->AppendSamples({&history, 1}).ok());
    }

    ManualClock clock{kLaneStart + 3 * kLaneDay + 8 * 3600};  // day 4, 08:00
    std::unique_ptr<Store> store;
    SimulatedCloud cloud{clock};
    GatedCloud gate{cloud};
    Catalog catalog;
    SeasonalNaiveForecaster forecaster;
    CapacityPlanner planner;
    MetricsRegistry metrics;
    std::unique_ptr<ControlLoop> loop;
};

TEST(RunInFlight, StartsEachItemOnceInOrderAndNoneAfterAStop) {
    std::mutex mutex;
    std::vector<std::size_t> seen;
    const std::size_t all = RunInFlight(100, 4, [&](std::size_t i) {
        std::lock_guard lock(mutex);
        seen.push_back(i);
    });
    EXPECT_EQ(all, 100u);
    EXPECT_EQ(std::set<std::size_t>(seen.begin(), seen.end()).size(), 100u);

    std::atomic<int> ran{0};
    const std::size_t started = RunInFlight(
        100, 1, [&](std::size_t) { ran.fetch_add(1); }, [&] { return ran.load() >= 3; });
    EXPECT_EQ(started, 3u);
    EXPECT_EQ(ran.load(), 3);
    EXPECT_EQ(RunInFlight(0, 8, [&](std::size_t) { ran.fetch_add(1); }), 0u);
}

TEST(LanePass, SeveralResourcesOfALaneAreInFlightAtOnce) {
    testing::TempDir dir;
    LaneWorld world(dir.File("t.db"), 6, 4);
    world.gate.gather = 4;  // every Describe waits until four are inside at once: one after another never gets there
    auto outcomes = world.loop->RunPass();
    ASSERT_TRUE(outcomes.ok());
    EXPECT_EQ(world.gate.MostInside(), 4);
    ASSERT_EQ(outcomes->size(), 6u);
    for (std::size_t i = 0; i < outcomes->size(); ++i) {
        EXPECT_EQ((*outcomes)[i].resource_name, "r" + std::to_string(i + 1)) << "outcomes in the listed order";
        EXPECT_TRUE((*outcomes)[i].error.empty()) << (*outcomes)[i].error;
        EXPECT_TRUE((*outcomes)[i].decision.has_value());
    }
}

// SQLite with several resources in flight plans exactly what one after another plans, pass after pass.
TEST(LanePass, InFlightPassesDecideAsOneAfterAnother) {
    testing::TempDir dir;
    LaneWorld serial(dir.File("serial.db"), 8, 1);
    LaneWorld parallel(dir.File("parallel.db"), 8, 8);
    for (int pass = 0; pass < 30; ++pass) {  // 08:00 to 08:30, across the 09:00 step's scale-out lead
        auto one = serial.loop->RunPass();
        auto many = parallel.loop->RunPass();
        ASSERT_TRUE(one.ok() && many.ok());
        ASSERT_EQ(one->size(), many->size());
        for (std::size_t i = 0; i < one->size(); ++i) {
            const PassOutcome& a = (*one)[i];
            const PassOutcome& b = (*many)[i];
            EXPECT_EQ(a.resource_name, b.resource_name);
            EXPECT_EQ(a.error, b.error);
            EXPECT_EQ(a.current_capacity, b.current_capacity) << a.resource_name << " pass " << pass;
            ASSERT_EQ(a.decision.has_value(), b.decision.has_value());
            if (a.decision) {
                EXPECT_EQ(a.decision->desired, b.decision->desired) << a.resource_name << " pass " << pass;
            }
            EXPECT_EQ(a.action.has_value(), b.action.has_value());
        }
        serial.clock.Advance(60);
        parallel.clock.Advance(60);
    }
    ActionQuery all;
    all.limit = 1000;
    const auto serial_actions = serial.store->ListActions(all);
    const auto parallel_actions = parallel.store->ListActions(all);
    ASSERT_TRUE(serial_actions.ok() && parallel_actions.ok());
    EXPECT_GT(serial_actions->size(), 0u) << "the passes should have scaled something";
    EXPECT_EQ(serial_actions->size(), parallel_actions->size());
}

// SIGTERM during a long pass: the lane ends its pass at the next resource instead of planning the rest first.
TEST(LanePass, AStopDuringALongPassEndsItBeforeItsLastResource) {
    testing::TempDir dir;
    LaneWorld world(dir.File("t.db"), 5, 1);
    world.gate.hold_name = "r2";
    world.loop->Start();
    ASSERT_TRUE(world.gate.WaitUntilHeld()) << "the lane never reached r2";
    std::thread stopper([&] { world.loop->Stop(); });
    for (int i = 0; i < 3000 && !world.loop->stopping(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(world.loop->stopping());
    world.gate.Release();  // r2's pass finishes; the lane must not start r3
    stopper.join();
    EXPECT_EQ(world.gate.Described("r1"), 1);
    EXPECT_EQ(world.gate.Described("r2"), 1);
    EXPECT_EQ(world.gate.Described("r3"), 0) << "the lane went on planning after the stop";
    EXPECT_EQ(world.gate.Described("r5"), 0) << "the stop waited for the whole pass";
    const auto r2 = world.store->FindResourceByName("r2");
    ASSERT_TRUE(r2.ok());
    EXPECT_FALSE(world.store->QuerySamples({r2->id, "capacity"}, 0, world.clock.Now() + 1)->empty())
        << "the resource in flight was planned to its end";
}

}  // namespace
}  // namespace cloudopt
