// The budget cap through the decision engine (allocate/budget_cap.hpp): a replay of a day of load in which the cap
// binds, and the default (soft) mode never below what the measured load needs now.

#include "allocate/budget_cap.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "allocate/capacity_planner.hpp"
#include "allocate/scaling_engine.hpp"

namespace cloudopt {
namespace {

constexpr UnixSeconds kStart = 1'700'000'000;
constexpr UnixSeconds kTick = 60;
constexpr double kPi = 3.141592653589793;

Resource CappedResource() {
    Resource r;
    r.id = 1;
    r.name = "web";
    r.provider = "simulated";
    r.provider_ref = "web";
    r.instance_type = "m5.large";
    r.mode = Mode::kAuto;
    r.min_capacity = 1;
    r.max_capacity = 100;
    r.capacity_per_instance = 10;
    r.boot_delay_s = 120;
    return r;
}

// A daily wave between 100 and 500 units of load, and a forecast that knows it (p95 10% above).
double LoadAt(UnixSeconds t) { return 300 + 200 * std::sin(2 * kPi * static_cast<double>(t - kStart) / 86400.0); }

Forecast ForecastAt(UnixSeconds now) {
    Forecast f;
    f.step = kTick;
    f.generated_at = now;
    for (int i = 0; i < 10; ++i) {
        const UnixSeconds t = now + i * kTick;
        const double v = LoadAt(t);
        f.points.push_back({t, v, v * 1.05, v * 1.1, v * 1.2});
    }
    return f;
}

struct ReplayResult {
    int max_capacity = 0;
    int capped_ticks = 0;
    int below_need_ticks = 0;  // ticks where capacity < what the measured load needs at the band's top
    double unmet = 0.0;        // load beyond capacity x capacity_per_instance, summed over ticks
    std::string last_cap_reason;
};

// One day at one-minute ticks; capacity applies at once (the engine's decisions are the subject, not boot delay).
ReplayResult Replay(const std::optional<BudgetCapLimit>& cap) {
    CapacityPlanner planner;
    EngineOptions options;
    options.max_actions_per_resource_per_hour = 0;
    // The cap is the subject: without the scale-out tolerance, what runs never carries the load above the band's top
    // (80%) unless a cap holds it there, so `below_need_ticks` counts the cap's doing alone. (With it, the load rides
    // up to 90% before a scale-out, capped or not.)
    options.flap_guard.scale_out_tolerance = 0;
    ScalingEngine engine(planner, options);
    const Resource r = CappedResource();
    int running = 30;
    ReplayResult out;
    for (UnixSeconds now = kStart; now < kStart + 86400; now += kTick) {
        EngineInput in;
        in.resource = r;
        in.now = now;
        in.forecast = ForecastAt(now);
        in.current_load = LoadAt(now);
        in.state.desired = in.state.ready = running;
        if (cap) {
            in.budget_cap = BudgetCaps{};
            AddCap(*in.budget_cap, *cap);
        }
        EngineDecision d = engine.Decide(in);
        if (d.plan.bound_by == "budget_cap") {
            ++out.capped_ticks;
            out.last_cap_reason = d.plan.reason;
        }
        if (d.verdict == Verdict::kApply) {
            engine.Applied(now, running, d.plan.desired);
            running = d.plan.desired;
        }
        out.max_capacity = std::max(out.max_capacity, running);
        const double load = LoadAt(now);
        if (running < InstancesFor(load, r.capacity_per_instance, r.target_high)) ++out.below_need_ticks;
        out.unmet += std::max(0.0, load - running * r.capacity_per_instance);
    }
    return out;
}

BudgetCapLimit Cap(int max_instances, bool hard) {
    BudgetCapLimit cap;
    cap.budget = "payments";
    cap.monthly_usd = 1000;
    cap.max_instances = max_instances;
    cap.allowed_per_hour = max_instances * 0.096;
    cap.hard = hard;
    return cap;
}

TEST(BudgetCap, WithoutACapThePlanFollowsTheWave) {
    ReplayResult free = Replay(std::nullopt);
    EXPECT_GE(free.max_capacity, 70);  // 500 x 1.1 / (10 x 0.75) = 74
    EXPECT_EQ(free.capped_ticks, 0);
    EXPECT_EQ(free.below_need_ticks, 0);
}

TEST(BudgetCap, HardModeHoldsTheCapAndSaysWhatItRisks) {
    ReplayResult hard = Replay(Cap(40, true));
    EXPECT_LE(hard.max_capacity, 40);
    EXPECT_GT(hard.capped_ticks, 0);
    // 40 instances serve 400: the wave's top (500) goes unmet, and the reason says how much.
    EXPECT_GT(hard.unmet, 0.0);
    EXPECT_GT(hard.below_need_ticks, 0);
    EXPECT_NE(hard.last_cap_reason.find("budget cap: budget 'payments'"), std::string::npos) << hard.last_cap_reason;
    EXPECT_NE(hard.last_cap_reason.find("cap_mode hard"), std::string::npos) << hard.last_cap_reason;
    EXPECT_NE(hard.last_cap_reason.find("unmet now"), std::string::npos) << hard.last_cap_reason;
}

TEST(BudgetCap, SoftModeNeverGoesBelowTheMeasuredNeed) {
    ReplayResult soft = Replay(Cap(40, false));
    ReplayResult free = Replay(std::nullopt);
    EXPECT_GT(soft.capped_ticks, 0);                  // it binds: the forecast's headroom is cut
    EXPECT_LT(soft.max_capacity, free.max_capacity);  // and saves at the peak
    EXPECT_EQ(soft.below_need_ticks, 0);              // but never below what the measured load needs
    EXPECT_DOUBLE_EQ(soft.unmet, 0.0);
}

TEST(BudgetCap, SoftModeWithoutAMeasurementHoldsWhatRuns) {
    PlanDecision d;
    d.desired = 50;
    d.bound_by = "forecast";
    Resource r = CappedResource();
    ApplyBudgetCap(Cap(10, false), r, std::nullopt, 30, d);
    EXPECT_EQ(d.desired, 30);
    EXPECT_EQ(d.bound_by, "budget_cap");
    EXPECT_NE(d.reason.find("scale in blind"), std::string::npos) << d.reason;
}

TEST(BudgetCap, MinCapacityStaysAHardLimit) {
    PlanDecision d;
    d.desired = 50;
    Resource r = CappedResource();
    r.min_capacity = 12;
    ApplyBudgetCap(Cap(5, true), r, 100.0, 30, d);
    EXPECT_EQ(d.desired, 12);
    EXPECT_NE(d.reason.find("min_capacity 12"), std::string::npos) << d.reason;
}

// A soft cap tighter than a hard one: each applies apart, so the soft one is lifted to the measured need and the
// hard one still binds below it (soft 3, hard 5, need 8 holds 5, not 8).
TEST(BudgetCap, ASoftCapTighterThanAHardOneDoesNotLiftTheHardOne) {
    Resource r = CappedResource();  // 10 units per instance, target_high 0.8
    BudgetCaps caps;
    BudgetCapLimit soft = Cap(3, false), hard = Cap(5, true);
    soft.budget = "team";
    hard.budget = "total";
    AddCap(caps, soft);
    AddCap(caps, hard);
    PlanDecision d;
    d.desired = 12;
    ApplyBudgetCap(caps, r, 64.0, 10, d);  // 64 / (10 x 0.8) = 8 needed now
    EXPECT_EQ(d.desired, 5);
    EXPECT_EQ(d.bound_by, "budget_cap");
    EXPECT_EQ(d.explanation.held_by, "budget cap (hard)");
    EXPECT_NE(d.reason.find("budget 'total'"), std::string::npos) << d.reason;
    EXPECT_NE(d.reason.find("budget 'team' caps it soft at 3 but never below the 8"), std::string::npos) << d.reason;
    EXPECT_NE(d.reason.find("it risks 14 of the measured load 64 unmet now"), std::string::npos) << d.reason;

    // The hard cap above the measured need: the soft one holds at the need, and says the hard one is higher.
    BudgetCaps loose;
    AddCap(loose, soft);
    AddCap(loose, Cap(10, true));
    PlanDecision e;
    e.desired = 12;
    ApplyBudgetCap(loose, r, 64.0, 10, e);
    EXPECT_EQ(e.desired, 8);
    EXPECT_EQ(e.explanation.held_by, "budget cap");
    EXPECT_NE(e.reason.find("caps it hard at 10, above that"), std::string::npos) << e.reason;
}

// A resource without a projection of its own (no share of what the budget has left) keeps what its measured load
// needs, even under a hard budget: the share of 0 would starve it.
TEST(BudgetCap, AResourceWithoutAProjectionIsHeldAtItsMeasuredNeed) {
    Resource r = CappedResource();
    BudgetCapLimit cap = Cap(0, false);
    cap.unprojected = true;
    PlanDecision d;
    d.desired = 12;
    ApplyBudgetCap(cap, r, 64.0, 10, d);
    EXPECT_EQ(d.desired, 8);
    EXPECT_NE(d.reason.find("no spend projection of its own"), std::string::npos) << d.reason;
    EXPECT_NE(d.reason.find("whatever its mode"), std::string::npos) << d.reason;
}

// Spot (issue 32 item 4): the reason says what losing every spot instance at once would leave unmet.
TEST(SpotInterruption, TheReasonSaysWhatAnInterruptionWouldLeaveUnmet) {
    Catalog catalog = *ParseCatalogCsv(
        "provider,name,vcpu,memory_gib,price_per_hour,spot_price_per_hour\naws,m5.large,2,8,0.096,0.0336\n");
    PlanInput in;
    in.resource = CappedResource();
    in.resource.provider = "aws";
    in.resource.spot_share_max = 0.5;
    in.catalog = &catalog;
    in.now = kStart;
    in.current_capacity = 20;
    in.current_load = 150;
    Forecast f;
    f.step = kTick;
    for (int i = 0; i < 10; ++i) f.points.push_back({kStart + i * kTick, 150, 150, 150, 150});
    in.forecast = f;
    PlanDecision d = CapacityPlanner().Plan(in);
    ASSERT_EQ(d.desired, 20);  // 150 / (10 x 0.75)
    // Half the vCPU on spot: 10 on demand serve 100 of the 150 sized for.
    EXPECT_NE(d.reason.find("a spot interruption (all 10 spot instance(s) at once) leaves 100.00 cpu_cores on demand: "
                            "of the 150.00 sized for, 50.00 (33.33%) would go unmet"),
              std::string::npos)
        << d.reason;
    in.resource.spot_share_max = 0;
    EXPECT_EQ(CapacityPlanner().Plan(in).reason.find("spot interruption"), std::string::npos);
}

}  // namespace
}  // namespace cloudopt
