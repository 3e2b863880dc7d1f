#include "simulate/seasonal_policy.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "allocate/capacity_planner.hpp"

namespace cloudopt {
namespace {

// Hourly steps, a daily cycle: 10 at night, 50 by day, for `days` days, starting at midnight UTC.
RegularSeries DailyCycle(int days) {
    RegularSeries s{1'700'006'400 - 1'700'006'400 % 86400, 3600, {}, {}};
    for (int i = 0; i < days * 24; ++i) s.values.push_back(i % 24 >= 8 && i % 24 < 20 ? 50.0 : 10.0);
    return s;
}

TEST(SeasonalPolicy, ForecastsTheSameHourOfThePastDaysOnlyAfterADay) {
    const RegularSeries s = DailyCycle(5);
    SeasonalPolicy policy(s, 1.0, {.target = 0.5});
    EXPECT_EQ(policy.ForecastInstances(10), 0);  // under 24 h of history: AWS does not forecast yet
    // Boundary at 07:00 of day 3: the scheduling buffer (300 s) does not reach 08:00, so the hour is 07:00: 10 / 0.5.
    EXPECT_EQ(policy.ForecastInstances(3 * 24 + 7), 20);
    // Boundary at 07:00 with an hour-long step and a buffer of an hour: 08:00's forecast, 50 / 0.5.
    SeasonalPolicy early(s, 1.0, {.target = 0.5, .scheduling_buffer_s = 3600});
    EXPECT_EQ(early.ForecastInstances(3 * 24 + 7), 100);
}

TEST(SeasonalPolicy, ReadsNoDemandAtOrAfterItsBoundary) {
    RegularSeries a = DailyCycle(4);
    RegularSeries b = a;
    const std::size_t k = 3 * 24 + 9;
    for (std::size_t i = k; i < b.values.size(); ++i) b.values[i] = 1e6;  // a future nobody can know
    SeasonalPolicy pa(a, 1.0, {.target = 0.6}), pb(b, 1.0, {.target = 0.6});
    int da = 1, db = 1;
    for (std::size_t i = 1; i <= k; ++i) {
        da = pa.Decide(i, da, da);
        db = pb.Decide(i, db, db);
        ASSERT_EQ(da, db) << "at boundary " << i;
    }
}

TEST(SeasonalPolicy, TargetTrackingScalesOutAtOnceAndInOnlyAfterFifteenMinutes) {
    // Five-minute steps, no forecast yet (the first day): target tracking alone.
    RegularSeries s{0, 300, {10, 10, 40, 10, 10, 10, 10, 10}, {}};
    SeasonalPolicy policy(s, 1.0, {.target = 0.5});
    int desired = policy.Decide(1, 1, 1);
    EXPECT_EQ(desired, 20);  // 10 / 0.5
    desired = policy.Decide(3, desired, desired);
    EXPECT_EQ(desired, 80);                   // step 2 measured 40: out at once
    EXPECT_EQ(policy.Decide(4, 80, 80), 80);  // 15 minutes of recommendations still hold 80
    EXPECT_EQ(policy.Decide(6, 80, 80), 80);  // 40 came 15 minutes ago: still in the window
    EXPECT_EQ(policy.Decide(7, 80, 80), 20);  // it left the window: in
}

}  // namespace
}  // namespace cloudopt
