// Cold starts of a serverless replay (simulate/cold_starts.hpp), worked out by hand on short traces, and through
// ReplaySeries: the oracle, which holds the warm capacity the load will need, and the peak-sized static fleet pay none;
// reactive scaling, which follows the rise, leaves part of it to on-demand environments.

#include "simulate/cold_starts.hpp"

#include <gtest/gtest.h>

#include "simulate/replay.hpp"

namespace cloudopt {
namespace {

RegularSeries Trace(std::vector<double> values, UnixSeconds step = 60) {
    return RegularSeries{0, step, std::move(values), {}};
}

TEST(ColdStarts, OnlyEnvironmentsBeyondTheStillWarmOnesStartCold) {
    // Two warm units of 1 concurrent execution each; demand from step 1 on.
    const RegularSeries trace = Trace({9, 1, 5, 5, 10, 2, 2, 2, 2, 2, 8});
    const std::vector<int> ready(10, 2);
    // keep_warm 60 s = one step: on-demand needs 0,3,3,8,0,0,0,0,0,6 -> cold 0,3,0,5,0,0,0,0,0,6.
    ColdStarts one = CountColdStarts(trace, 1, ready, 1.0, 60);
    EXPECT_DOUBLE_EQ(one.starts, 14);
    EXPECT_DOUBLE_EQ(one.steps_share, 3.0 / 10);
    EXPECT_DOUBLE_EQ(one.cold_share, (3 + 3 + 8 + 6) / 39.0);
    // Kept warm 300 s (five steps): the 8 started at step 4 expire before step 10, six steps later.
    ColdStarts five = CountColdStarts(trace, 1, ready, 1.0, 300);
    EXPECT_DOUBLE_EQ(five.starts, 3 + 5 + 6);
    ColdStarts six = CountColdStarts(trace, 1, ready, 1.0, 360);
    EXPECT_DOUBLE_EQ(six.starts, 3 + 5) << "the environments of step 4 serve step 10";
    // Nothing kept: every step's excess starts cold.
    EXPECT_DOUBLE_EQ(CountColdStarts(trace, 1, ready, 1.0, 0).starts, 3 + 3 + 8 + 6);
}

TEST(ColdStarts, InstancesServingManyRequestsAndUnmeasuredSteps) {
    // Cloud Run: one instance serves 40 requests per second; 3 minimum instances = 120.
    RegularSeries trace = Trace({0, 100, 130, 200, 119.5, 240});
    trace.missing = {0, 0, 0, 0, 0, 1};  // the last step was not measured: not scored, no environment
    const std::vector<int> ready(5, 3);
    ColdStarts c = CountColdStarts(trace, 1, ready, 40.0, 0);
    EXPECT_DOUBLE_EQ(c.starts, 1 + 2) << "130 needs one more instance, 200 needs two";
    EXPECT_DOUBLE_EQ(c.steps_share, 2.0 / 4);
    EXPECT_DOUBLE_EQ(c.cold_share, (10 + 80) / (100 + 130 + 200 + 119.5));
    // Exactly at warm capacity (and float dust above it) is warm.
    EXPECT_DOUBLE_EQ(CountColdStarts(Trace({0, 120.0000000001}), 1, {3}, 40.0, 0).starts, 0);
}

TEST(ColdStarts, ThroughAReplayTheOracleStaysWarmAndReactiveScalingDoesNot) {
    // A daily-shaped load at 5-minute steps: 4 days, a peak of 30 concurrent executions each afternoon.
    std::vector<double> demand;
    for (int i = 0; i < 4 * 288; ++i) {
        const int minute = (i % 288) * 5;
        demand.push_back(minute >= 780 && minute < 960 ? 30.0 : 4.0);
    }
    const RegularSeries trace = Trace(demand, 300);
    ReplayOptions options;
    options.capacity_per_instance = 1.0;
    options.boot_delay_s = 120;  // provisioned concurrency takes a minute or two to allocate
    options.test_fraction = 0.5;
    auto replay = ReplaySeries(trace, {"static", "oracle", "reactive"}, options);
    ASSERT_TRUE(replay.ok()) << replay.error().message;
    const auto count = [&](const std::string& policy) {
        return CountColdStarts(trace, replay->first_scored, replay->policies.at(policy).ready, 1.0);
    };
    EXPECT_EQ(count("static").starts, 0) << "static is sized for the peak at the band's top";
    EXPECT_EQ(count("oracle").starts, 0) << "the oracle warms up ahead of every rise";
    const ColdStarts reactive = count("reactive");
    EXPECT_GT(reactive.starts, 0) << "reacting to the afternoon rise leaves it to on-demand environments";
    EXPECT_GT(reactive.cold_share, 0);
    EXPECT_LT(reactive.cold_share, 0.5);
}

}  // namespace
}  // namespace cloudopt
