// The flap budget (FlapGuard::flap_budget_per_day) driven through the decision engine, tick by tick, the way the
// service and `cloudopt simulate` drive it.
#include <gtest/gtest.h>

#include <functional>

#include "allocate/capacity_planner.hpp"
#include "allocate/plan_history.hpp"
#include "allocate/scaling_engine.hpp"

namespace cloudopt {
namespace {

constexpr UnixSeconds kStart = 1'700'000'000;
constexpr UnixSeconds kTick = 60;

Resource Web() {
    Resource r;
    r.name = "web";
    r.mode = Mode::kAuto;
    r.capacity_per_instance = 10;  // at 75%: 7.5 per instance
    r.min_capacity = 1;
    r.max_capacity = 40;
    r.boot_delay_s = 180;
    return r;
}

// A forecast as sure as the load it is given: every quantile is the load (so the band says nothing either way).
Forecast Flat(UnixSeconds now, double load) {
    Forecast f;
    f.step = kTick;
    f.generated_at = now;
    for (int i = 0; i < 10; ++i) f.points.push_back({now + i * kTick, load, load, load, load});
    return f;
}

struct Trace {
    int changes = 0;
    int flaps = 0;
    std::vector<EngineDecision> decisions;
    std::vector<int> capacity;  // after each tick
};

// Runs the engine for `ticks` minutes on load(t) from `capacity` instances; every change is applied at once.
Trace Drive(int budget, int ticks, const std::function<double(int)>& load, int capacity) {
    CapacityPlanner planner;
    EngineOptions options;
    options.tick_seconds = kTick;
    options.service_level.rate = 0;  // sizes stay the forecast's, so the test reads only the flap rules
    options.flap_guard.flap_budget_per_day = budget;
    ScalingEngine engine(planner, options);
    Trace run;
    for (int t = 0; t < ticks; ++t) {
        const UnixSeconds now = kStart + t * kTick;
        EngineInput in;
        in.resource = Web();
        in.now = now;
        in.forecast = Flat(now, load(t));
        in.current_load = load(t);
        in.state.desired = capacity;
        in.state.ready = capacity;
        EngineDecision d = engine.Decide(in);
        if (d.verdict == Verdict::kApply) {
            engine.Applied(now, capacity, d.plan.desired);
            capacity = d.plan.desired;
            run.flaps += engine.counts().last_was_flap;
            ++run.changes;
        }
        run.decisions.push_back(d);
        run.capacity.push_back(capacity);
    }
    return run;
}

// 15 minutes at 100 (14 instances at 75%), 15 minutes at 40 (6; 7 with the scale-in hysteresis), over and over.
double Alternating(int minute) { return (minute / 15) % 2 == 0 ? 40.0 : 100.0; }

TEST(FlapBudget, AResourceThatFlappedOnceHoldsItsScaleInsForTheRestOfTheDay) {
    const int day = 24 * 60;
    const Trace unguarded = Drive(0, day, Alternating, 14);
    EXPECT_GT(unguarded.flaps, 40) << "without a budget every half-hour cycle flaps";

    const Trace held = Drive(1, day, Alternating, 14);
    EXPECT_EQ(held.flaps, 1);
    EXPECT_LE(held.changes, 3);
    // After the flap the resource stays at what the peaks need, and each held scale-in says why.
    EXPECT_EQ(held.capacity.back(), 14);
    const EngineDecision& quiet = held.decisions[day - 20];  // minute 1420: in a half-hour at 40
    EXPECT_EQ(quiet.plan.desired, 14);
    EXPECT_EQ(quiet.plan.bound_by, "flap_budget");
    EXPECT_NE(quiet.plan.explanation.held_by.find("1 flap in 24 h, budget 1 (flap budget)"), std::string::npos)
        << quiet.plan.explanation.held_by;
    EXPECT_NE(quiet.plan.reason.find("flap budget of 1"), std::string::npos) << quiet.plan.reason;
}

TEST(FlapBudget, ALoadThatReallyDropsIsScaledInAfterTheHold) {
    // Two flaps' worth of alternation, then the load drops for good at minute 120.
    auto load = [](int minute) { return minute < 120 ? Alternating(minute) : 40.0; };
    const int ticks = 120 + 5 * 60;
    const Trace run = Drive(1, ticks, load, 14);
    ASSERT_GE(run.flaps, 1);
    int scaled_in_at = -1;
    for (int t = 120; t < ticks && scaled_in_at < 0; ++t)
        if (run.capacity[static_cast<std::size_t>(t)] < 14) scaled_in_at = t;
    ASSERT_GE(scaled_in_at, 0) << "the budget holds scale-in, it never pins a resource at its peak";
    // The last plan of 14 was at minute 119: the hold reads the plans of the last hour (the default), doubled
    // after each further flap.
    const auto hold_minutes = static_cast<int>((kDefaultFlapGuard.flap_hold_seconds << (run.flaps - 1)) / 60);
    EXPECT_GE(scaled_in_at, 119 + hold_minutes);
    EXPECT_LE(scaled_in_at, 119 + hold_minutes + 2);
    EXPECT_EQ(run.capacity.back(), 7);  // 40 at the hysteresis' 65%
}

TEST(FlapBudget, TheBudgetIsPerDay) {
    // A day later the first flap has aged out: the resource may follow the load once more.
    const int two_days = 2 * 24 * 60 + 60;
    const Trace run = Drive(1, two_days, Alternating, 14);
    EXPECT_EQ(run.flaps, 2);
}

TEST(FlapBudget, TheScaleOutAfterTheFlapThatSpentTheBudgetStillGoes) {
    // 14 -> 7 (scale-in), 7 -> 14 (flap 1, a scale-out), 14 -> 7 (flap 2, a scale-in: the budget of 2 is spent),
    // 7 -> 14 (flap 3: the load came back, and a scale-out is never held), then the scale-ins wait.
    const Trace run = Drive(2, 24 * 60, Alternating, 14);
    EXPECT_EQ(run.flaps, 3);
    EXPECT_EQ(run.capacity.back(), 14);
}

TEST(FlapBudget, OnceSpentAScaleInGoesOnlyAsFarAsTheP99BandAllowsForThe30MinutesAhead) {
    // The p95 says 40 for the next half hour (6 instances), the p99 says up to 100 may come (14).
    PlanInput in;
    in.resource = Web();
    in.now = kStart;
    in.current_capacity = 14;
    in.current_load = 40;
    Forecast f;
    f.step = 300;
    for (int i = 0; i < 12; ++i) f.points.push_back({kStart + i * 300, 35, 38, 40, i == 4 ? 100.0 : 45.0});
    in.forecast = f;
    in.flap_guard.flap_budget_per_day = 1;
    const PlanDecision unspent = CapacityPlanner().Plan(in);
    EXPECT_EQ(unspent.desired, 6) << "before the budget is spent the p95 sizes the scale-in";

    in.flaps_last_day = 1;
    in.flap_hold_seconds = 1800;
    const PlanDecision spent = CapacityPlanner().Plan(in);
    EXPECT_EQ(spent.desired, 14);  // ceil(100 / 7.5)
    EXPECT_EQ(spent.bound_by, "flap_budget");
    EXPECT_NE(spent.explanation.held_by.find("the p99 forecast needs 14 within the next 30 min"), std::string::npos)
        << spent.explanation.held_by;

    // A p99 peak beyond the flap span does not hold it.
    in.forecast->points[4].p99 = 45;
    in.forecast->points[8].p99 = 100;
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 6);
}

TEST(FlapBudget, TheHoldReachesTheScaleOutExactlyOneFlapSpanAgo) {
    // A scale-in exactly 30 minutes after a scale-out still undoes it within the flap span (IsFlap counts <=), so
    // once the budget is spent the hold must still see that scale-out's plan. (Found replaying the live demo: a
    // scale-in at +1800 s slipped past a hold that read only the plans newer than 30 minutes.)
    PlanHistory history(300, {}, FlapGuard{0, 0.0, 1, 0, 1});
    history.RecordRecommendation(kStart, 7);
    history.RecordChange(kStart, 14, 7);
    history.RecordRecommendation(kStart + 600, 14);
    history.RecordChange(kStart + 600, 7, 14);  // undoes the scale-in: the budget of 1 is spent
    for (UnixSeconds t = kStart + 660; t <= kStart + 600 + kFlapWindowSeconds; t += kTick)
        history.RecordRecommendation(t, 7);
    PlanInput in;
    history.Fill(kStart + 600 + kFlapWindowSeconds, in);
    EXPECT_EQ(in.flaps_last_day, 1);
    EXPECT_EQ(in.flap_hold_seconds, kFlapWindowSeconds);
    EXPECT_EQ(in.flap_hold_floor, 14);
    history.Fill(kStart + 600 + kFlapWindowSeconds + kTick, in);
    EXPECT_EQ(in.flap_hold_floor, 7) << "a minute later the scale-in is no longer a flap";
}

TEST(MinScaleIn, AOneInstanceScaleInOfALargeFleetWaitsForASecond) {
    // 27 running; the load drops to what 26 (then 25) carry at the hysteresis' 65% (6.5 per instance).
    PlanInput in;
    in.resource = Web();
    in.now = kStart;
    in.current_capacity = 27;
    in.flap_guard = kDefaultFlapGuard;
    ASSERT_DOUBLE_EQ(in.flap_guard.min_scale_in_share, 0.05);
    in.current_load = 26 * 6.5 - 1;
    in.forecast = Flat(kStart, *in.current_load);
    const PlanDecision small = CapacityPlanner().Plan(in);
    EXPECT_EQ(small.desired, 27) << small.reason;
    EXPECT_EQ(small.bound_by, "min_scale_in");
    EXPECT_NE(small.explanation.held_by.find("scale-in of 1 of 27 saves under 5% (minimum scale-in)"),
              std::string::npos)
        << small.explanation.held_by;

    in.current_load = 25 * 6.5 - 1;
    in.forecast = Flat(kStart, *in.current_load);
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 25) << "2 of 27 is worth a change";

    // A small fleet's one instance is a large share: it goes at once.
    in.current_capacity = 3;
    in.current_load = 2 * 6.5 - 1;
    in.forecast = Flat(kStart, *in.current_load);
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 2);
    // Off: the one-instance step of the large fleet goes.
    in.flap_guard.min_scale_in_share = 0;
    in.current_capacity = 27;
    in.current_load = 26 * 6.5 - 1;
    in.forecast = Flat(kStart, *in.current_load);
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 26);
}

TEST(ScaleOutTolerance, AMinuteBelowTheToleranceRidesOnWhatRunsAndOneAboveScalesOut) {
    // 10 running carry 100 at 100%; the forecast needs 8 (60 at 75%); the measured minute jumps above the top of
    // the band (80%): with the tolerance the floor scales out only above 90%, then back to 80%.
    PlanInput in;
    in.resource = Web();
    in.now = kStart;
    in.current_capacity = 10;
    in.flap_guard = kDefaultFlapGuard;
    in.forecast = Flat(kStart, 60);
    in.current_load = 85;
    ASSERT_DOUBLE_EQ(in.flap_guard.scale_out_tolerance, 0.10) << "the service's default";
    in.flap_guard.scale_out_tolerance = 0;
    const PlanDecision off = CapacityPlanner().Plan(in);
    EXPECT_EQ(off.desired, 11) << "without the tolerance the floor scales out at once: " << off.reason;
    EXPECT_EQ(off.bound_by, "reactive_floor");

    in.flap_guard.scale_out_tolerance = 0.10;
    const PlanDecision rides = CapacityPlanner().Plan(in);
    EXPECT_EQ(rides.desired, 10) << "85% of what runs is within the tolerance, and it is no scale-in either: "
                                 << rides.reason;
    EXPECT_NE(rides.reason.find("is 85% of the 10 running, within the scale-out tolerance up to 90%: they hold it"),
              std::string::npos)
        << rides.reason;

    in.current_load = 95;
    const PlanDecision out = CapacityPlanner().Plan(in);
    EXPECT_EQ(out.desired, 12) << "above 90% the floor sizes back to 80%: ceil(95 / 8): " << out.reason;
    EXPECT_EQ(out.bound_by, "reactive_floor");

    // A band whose top is 0.95 gets no tolerance above it: 96% of what runs scales out, never rides past 100%.
    in.resource.target_low = 0.85;
    in.resource.target_high = 0.95;
    in.current_load = 96;
    const PlanDecision high = CapacityPlanner().Plan(in);
    EXPECT_EQ(high.desired, 11) << "ceil(96 / 9.5): " << high.reason;
    EXPECT_EQ(high.bound_by, "reactive_floor");
    // At 0.85 the tolerance reaches 90%, not 95%.
    in.resource.target_low = 0.70;
    in.resource.target_high = 0.85;
    in.current_load = 92;
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 11) << "92% is above 90%: ceil(92 / 8.5)";
    in.current_load = 89;
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 10) << "89% rides";
}

TEST(ScaleOutTolerance, AForecastPeakWithinTheToleranceRidesOnWhatRunsAndOneAboveScalesOut) {
    // 10 running carry 100 at 100%; the measured load (60) needs 8 at 80%; the forecast's peak over the lead time
    // is 85, which needs 12 at the 75% target. A slow rise like this one was followed in one-instance steps (azure2019:
    // 1.42 changes a day against the HPA rule's 1.1).
    PlanInput in;
    in.resource = Web();
    in.now = kStart;
    in.current_capacity = 10;
    in.flap_guard = kDefaultFlapGuard;
    in.forecast = Flat(kStart, 85);
    in.current_load = 60;
    ASSERT_DOUBLE_EQ(in.flap_guard.scale_out_tolerance, 0.10) << "the service's default";
    in.flap_guard.scale_out_tolerance = 0;
    const PlanDecision off = CapacityPlanner().Plan(in);
    EXPECT_EQ(off.desired, 12) << "without the tolerance the forecast scales out at once: " << off.reason;
    EXPECT_EQ(off.bound_by, "forecast");

    in.flap_guard.scale_out_tolerance = 0.10;
    const PlanDecision rides = CapacityPlanner().Plan(in);
    EXPECT_EQ(rides.desired, 10) << "the 10 running carry the peak at 85%, within 90%: " << rides.reason;
    EXPECT_NE(rides.reason.find("the 10 running would carry that peak at 85%, within the scale-out tolerance up to "
                                "90%: they hold it"),
              std::string::npos)
        << rides.reason;

    // Past 90% it scales out, a lead time ahead as before, and sizes back to the target: ceil(95 / 7.5).
    in.forecast = Flat(kStart, 95);
    const PlanDecision out = CapacityPlanner().Plan(in);
    EXPECT_EQ(out.desired, 13) << out.reason;
    EXPECT_EQ(out.bound_by, "forecast");

    // A band whose top is 0.95 gets no tolerance above its own top: a peak of 96% scales out (ceil(96 / 9) at the
    // 0.90 target), one of 93% is within the band and rides.
    in.resource.target_low = 0.85;
    in.resource.target_high = 0.95;
    in.forecast = Flat(kStart, 96);
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 11);
    in.forecast = Flat(kStart, 93);
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 10);
}

}  // namespace
}  // namespace cloudopt

namespace cloudopt {
namespace {

// An adopted quantile and budget (ControlLoop::AdoptRisk) are taken in place: the stabilization window of the
// scale-out just made still holds the next minute's scale-in. A review found the loop rebuilt the engine from the
// action log instead, which forgets the window's recommendations and scales in at once.
TEST(EngineRisk, AnAdoptedSettingKeepsTheWindowsTheEngineRemembers) {
    CapacityPlanner planner;
    EngineOptions options;
    options.tick_seconds = kTick;
    options.service_level.rate = 0;
    ScalingEngine engine(planner, options);
    EngineInput in;
    in.resource = Web();
    in.now = kStart;
    in.forecast = Flat(kStart, 100);
    in.current_load = 100;
    in.state.desired = 10;
    in.state.ready = 10;
    const EngineDecision out = engine.Decide(in);
    ASSERT_EQ(out.verdict, Verdict::kApply) << out.plan.reason;
    ASSERT_EQ(out.plan.desired, 14) << out.plan.reason;
    engine.Applied(kStart, 10, 14);

    engine.SetRisk(QuantileLevel::kP99, 0.002);
    EXPECT_EQ(engine.options().quantile, QuantileLevel::kP99);
    EXPECT_DOUBLE_EQ(engine.options().service_level.budget, 0.002);
    in.now = kStart + kTick;
    in.forecast = Flat(in.now, 40);
    in.current_load = 40;
    in.state.desired = 14;
    in.state.ready = 14;
    const EngineDecision held = engine.Decide(in);
    EXPECT_EQ(held.plan.desired, 14) << "the scale-out of a minute ago holds for the stabilization window: "
                                     << held.plan.reason;
    EXPECT_EQ(held.plan.bound_by, "stabilization") << held.plan.reason;
}

}  // namespace
}  // namespace cloudopt
