#include "allocate/target_utilization_planner.hpp"

#include <gtest/gtest.h>

namespace cloudopt {
namespace {

constexpr UnixSeconds kNow = 1'000'000;

PlanInput Input(std::vector<double> p95_per_minute, std::optional<double> load, int current) {
    PlanInput in;
    in.resource.name = "web";
    in.resource.capacity_per_instance = 10;
    in.resource.min_capacity = 1;
    in.resource.max_capacity = 50;
    in.resource.boot_delay_s = 180;
    in.now = kNow;
    in.tick_seconds = 60;
    in.current_capacity = current;
    in.current_load = load;
    Forecast f;
    f.step = 60;
    for (std::size_t i = 0; i < p95_per_minute.size(); ++i) {
        const double v = p95_per_minute[i];
        f.points.push_back({kNow + static_cast<UnixSeconds>(i) * 60, v * 0.8, v * 0.9, v});
    }
    if (!p95_per_minute.empty()) in.forecast = f;
    return in;
}

TEST(InstancesFor, RoundsUpWithoutFloatNoise) {
    EXPECT_EQ(InstancesFor(75, 10, 0.75), 10);
    EXPECT_EQ(InstancesFor(75.01, 10, 0.75), 11);
    EXPECT_EQ(InstancesFor(0, 10, 0.75), 0);
}

TEST(Planner, CoversTheForecastPeakWithinBootDelayPlusOneTick) {
    // Peak 150 at +4 min (inside 180 s + 60 s), a bigger peak at +10 min (outside): only the first counts.
    PlanDecision d = TargetUtilizationPlanner().Plan(Input({50, 60, 70, 80, 150, 60, 60, 60, 60, 60, 400}, 40, 5));
    EXPECT_EQ(d.desired, 20);  // ceil(150 / (10 * 0.75))
    EXPECT_EQ(d.bound_by, "forecast");
    EXPECT_NE(d.reason.find("p95 peak 150.00"), std::string::npos) << d.reason;
    EXPECT_NE(d.reason.find("boot delay 180s"), std::string::npos) << d.reason;
}

TEST(Planner, ReactiveFloorWinsWhenLoadExceedsTheForecast) {
    PlanDecision d = TargetUtilizationPlanner().Plan(Input({10, 10, 10, 10, 10}, 100, 5));
    EXPECT_EQ(d.desired, 13);  // ceil(100 / (10 * 0.80))
    EXPECT_EQ(d.bound_by, "reactive_floor");
}

TEST(Planner, ScaleInWaitsForTheStabilizationWindow) {
    PlanInput in = Input({20, 20, 20, 20, 20}, 20, 10);
    in.stabilization_floor = 8;
    PlanDecision d = TargetUtilizationPlanner().Plan(in);
    EXPECT_EQ(d.recommended, 3);
    EXPECT_EQ(d.desired, 8);
    EXPECT_EQ(d.bound_by, "stabilization");
    in.stabilization_floor = 0;
    EXPECT_EQ(TargetUtilizationPlanner().Plan(in).desired, 3);
}

TEST(Planner, MinAndMaxAreHardLimits) {
    PlanInput low = Input({1, 1, 1, 1}, 1, 3);
    low.resource.min_capacity = 2;
    PlanDecision d = TargetUtilizationPlanner().Plan(low);
    EXPECT_EQ(d.desired, 2);
    EXPECT_EQ(d.bound_by, "min_capacity");
    PlanInput high = Input({10000, 10000, 10000, 10000}, 1, 3);
    d = TargetUtilizationPlanner().Plan(high);
    EXPECT_EQ(d.desired, 50);
    EXPECT_EQ(d.bound_by, "max_capacity");
}

TEST(Planner, NeverScalesInWithoutAFreshMeasurementButMayScaleOut) {
    PlanDecision d = TargetUtilizationPlanner().Plan(Input({10, 10, 10, 10}, std::nullopt, 9));
    EXPECT_EQ(d.desired, 9);
    EXPECT_EQ(d.bound_by, "stale_metrics");
    EXPECT_NE(d.reason.find("no fresh load measurement"), std::string::npos);
    d = TargetUtilizationPlanner().Plan(Input({150, 150, 150, 150}, std::nullopt, 9));
    EXPECT_EQ(d.desired, 20);
    EXPECT_EQ(d.bound_by, "forecast");
}

TEST(Planner, HoldsWhenBlind) {
    PlanDecision d = TargetUtilizationPlanner().Plan(Input({}, std::nullopt, 7));
    EXPECT_EQ(d.desired, 7);
    EXPECT_EQ(d.bound_by, "hold");
}

}  // namespace
}  // namespace cloudopt
