#include "simulate/simulated_cloud.hpp"

#include <gtest/gtest.h>

namespace cloudopt {
namespace {

SimulatedGroupSpec Spec() {
    SimulatedGroupSpec s;
    s.ref = "g";
    s.instance_type = "m5.large";
    s.price_per_hour = 36;  // one cent per second
    s.capacity_per_instance = 10;
    s.boot_delay_s = 120;
    s.demand.step = 100;
    s.demand.values = {10, 20, 30};
    s.anchor = 1000;
    s.initial_capacity = 2;
    return s;
}

TEST(SimulatedGroup, DemandInterpolatesAndLoops) {
    SimulatedGroup g(Spec(), 1000);
    EXPECT_DOUBLE_EQ(g.DemandAt(1000), 10);
    EXPECT_DOUBLE_EQ(g.DemandAt(1050), 15);
    EXPECT_DOUBLE_EQ(g.DemandAt(1250), 20);  // between the last point and the first again
    EXPECT_DOUBLE_EQ(g.DemandAt(1300), 10);
    EXPECT_DOUBLE_EQ(g.DemandAt(900), 30);  // before the anchor the loop runs backwards: the last point
}

TEST(SimulatedGroup, NewInstancesServeAfterTheBootDelay) {
    SimulatedGroup g(Spec(), 1000);
    EXPECT_EQ(g.ReadyAt(1000), 2);
    g.SetDesired(5, 1000);
    EXPECT_EQ(g.desired(), 5);
    EXPECT_EQ(g.ReadyAt(1119), 2);
    EXPECT_EQ(g.ReadyAt(1120), 5);
}

TEST(SimulatedGroup, ScaleInStopsNotYetReadyInstancesFirst) {
    SimulatedGroup g(Spec(), 1000);
    g.SetDesired(4, 1000);
    g.SetDesired(3, 1010);
    EXPECT_EQ(g.ReadyAt(1010), 2);
    EXPECT_EQ(g.ReadyAt(1200), 3);
}

TEST(SimulatedGroup, BillsPerSecondWithASixtySecondMinimum) {
    SimulatedGroup g(Spec(), 1000);
    EXPECT_NEAR(g.CostUntil(1100), 2 * 100 * 0.01, 1e-9);
    g.SetDesired(3, 1100);
    g.SetDesired(2, 1110);  // ran 10 s, billed 60 s
    EXPECT_NEAR(g.CostUntil(1110), 2 * 110 * 0.01 + 60 * 0.01, 1e-9);
}

TEST(SimulatedGroup, UtilizationIsServedDemandOverReadyCapacity) {
    SimulatedGroup g(Spec(), 1000);
    EXPECT_DOUBLE_EQ(g.UtilizationAt(1000), 0.5);   // 10 / (2 * 10)
    EXPECT_DOUBLE_EQ(g.UtilizationAt(1200), 1.0);   // 30 > 20: saturated
    g.SetDesired(0, 1000);
    EXPECT_DOUBLE_EQ(g.UtilizationAt(1000), 1.0);
}

TEST(SimulatedCloud, ImplementsProviderAndMetricSource) {
    ManualClock clock(1000);
    SimulatedCloud cloud(clock);
    cloud.AddGroup(Spec());
    Resource r;
    r.provider_ref = "g";
    r.load_metric = "rps";
    auto state = cloud.Describe(r);
    ASSERT_TRUE(state.ok());
    EXPECT_EQ(state->desired, 2);
    ASSERT_TRUE(cloud.SetDesiredCapacity(r, 4).ok());
    ASSERT_TRUE(cloud.SetDesiredCapacity(r, 4).ok());  // idempotent
    clock.Advance(60);
    state = cloud.Describe(r);
    EXPECT_EQ(state->desired, 4);
    EXPECT_EQ(state->ready, 2);
    auto readings = cloud.Collect(r, clock.Now());
    ASSERT_TRUE(readings.ok());
    ASSERT_EQ(readings->size(), 2u);
    EXPECT_EQ((*readings)[0].metric, "rps");
    EXPECT_DOUBLE_EQ((*readings)[0].sample.value, 16);

    r.provider_ref = "missing";
    EXPECT_EQ(cloud.Describe(r).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(cloud.Collect(r, 0).error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace cloudopt
