// Commitment planning (simulate/commitment_plan.hpp) on fleets whose answer can be worked by hand.

#include "simulate/commitment_plan.hpp"

#include <gtest/gtest.h>

namespace cloudopt {
namespace {

const CommitmentRates kRates{0.10, 0.06};  // break-even at 60% of the hours

TEST(CommitmentPlan, CommitsToWhatTheFleetHoldsForMoreThanTheBreakEvenShare) {
    // 10 instances for 70% of the hours, 20 for the other 30%: the 10 pay (used 100%), the 11th..20th are used 30%
    // of the hours, under the 60% break-even.
    std::vector<std::map<int, double>> paths(4, {{10, 70.0}, {20, 30.0}});
    auto plan = PlanCommitment(paths, kRates);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    EXPECT_DOUBLE_EQ(plan->break_even_utilization, 0.6);
    EXPECT_EQ(plan->recommended, 10);
    EXPECT_EQ(plan->stays_above_p90, 10);
    EXPECT_EQ(plan->stays_above_p50, 10);
    EXPECT_EQ(plan->peak, 20);
    EXPECT_DOUBLE_EQ(plan->expected_utilization, 1.0);
    // Saving per path: 100 h x 10 x (0.10 - 0.06) = 40.
    EXPECT_NEAR(plan->saving.p50, 40.0, 1e-9);
    EXPECT_NEAR(plan->on_demand_cost.p50, (10 * 70 + 20 * 30) * 0.10, 1e-9);
}

TEST(CommitmentPlan, AnIdleHalfOfTheMonthCommitsNothing) {
    std::vector<std::map<int, double>> paths(3, {{0, 50.0}, {8, 50.0}});  // used 50% < 60%
    auto plan = PlanCommitment(paths, kRates);
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(plan->recommended, 0);
    EXPECT_DOUBLE_EQ(plan->saving.p50, 0.0);
}

TEST(CommitmentPlan, TheBandFollowsThePaths) {
    // A low path and a high path: the saving is larger where the fleet runs above the commitment more.
    std::vector<std::map<int, double>> paths = {{{4, 100.0}}, {{6, 100.0}}, {{6, 100.0}}, {{8, 100.0}}};
    auto plan = PlanCommitment(paths, kRates);
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(plan->recommended, 6);  // P(n >= 6) = 75% > 60%, P(n >= 7) = 25%
    EXPECT_LT(plan->saving.p10, plan->saving.p50);
    EXPECT_LE(plan->saving.p50, plan->saving.p90);
    // The low path uses 4 of 6: 100 x (0.10 x 4 - 0.06 x 6) = 4.
    EXPECT_GE(plan->saving.p10, 4.0 - 1e-9);
}

TEST(CommitmentPlan, RealizedSavingIsOnDemandMinusCommitted) {
    EXPECT_NEAR(CommitmentSaving({10, 10, 0, 20}, 1.0, 10, kRates), 3 * (1.0 - 0.6) - 0.6, 1e-12);
    EXPECT_DOUBLE_EQ(CommitmentSaving({5, 5}, 1.0, 0, kRates), 0.0);
}

TEST(CommitmentPlan, RefusesRatesWithoutADiscount) {
    EXPECT_FALSE(PlanCommitment({{{1, 1.0}}}, {0.1, 0.1}).ok());
    EXPECT_FALSE(PlanCommitment({}, kRates).ok());
}

TEST(CommitmentPlan, SpendForecastGivesTheHoursPerCount) {
    // A flat load of 7.5 units at capacity 1 and target 0.75: 10 instances every hour of every path.
    RegularSeries history{0, 3600, std::vector<double>(14 * 24, 7.5), {}};
    SpendSizing sizing;
    sizing.target = 0.75;
    SpendOptions options;
    options.from = history.end();
    options.to = history.end() + 7 * 86400;
    options.paths = 20;
    options.instance_hours = true;
    auto paths = ForecastSpend(history, sizing, options);
    ASSERT_TRUE(paths.ok()) << paths.error().message;
    ASSERT_EQ(paths->path_instance_hours.size(), 20u);
    EXPECT_NEAR(paths->path_instance_hours[0].at(10), 7 * 24.0, 1e-9);
    auto plan = PlanCommitment(paths->path_instance_hours, kRates);
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(plan->recommended, 10);
    EXPECT_EQ(SizedInstances(history, sizing).front(), 10);
}

// Two resources whose peaks do not coincide: each alone holds its peak half of the hours (under the 60% break-even)
// and commits only its floor, while their sum runs 8 instances every hour.
TEST(CommitmentPool, PeaksThatDoNotCoincideCommitMoreTogetherAndSaveAtLeastAsMuch) {
    InstancePaths a, b;
    a.step_hours = b.step_hours = std::vector<double>(10, 1.0);
    a.paths.assign(3, {6, 6, 6, 6, 6, 2, 2, 2, 2, 2});
    b.paths.assign(3, {2, 2, 2, 2, 2, 6, 6, 6, 6, 6});
    auto plan_a = PlanCommitment(HoursPerCount(a), kRates);
    auto plan_b = PlanCommitment(HoursPerCount(b), kRates);
    ASSERT_TRUE(plan_a.ok() && plan_b.ok());
    EXPECT_EQ(plan_a->recommended, 2);  // P(n >= 3) = 50% < 60%
    EXPECT_EQ(plan_b->recommended, 2);
    InstancePaths pool;
    ASSERT_TRUE(AddInstancePaths(pool, a).ok());
    ASSERT_TRUE(AddInstancePaths(pool, b).ok());
    EXPECT_EQ(pool.paths[1], std::vector<int>(10, 8));
    std::vector<double> members = PathSavings(a, 2, kRates);
    const std::vector<double> own_b = PathSavings(b, 2, kRates);
    for (std::size_t path = 0; path < members.size(); ++path) members[path] += own_b[path];
    auto pooled = PlanPooledCommitment(pool, members, 4, kRates);
    ASSERT_TRUE(pooled.ok()) << pooled.error().message;
    EXPECT_EQ(pooled->plan.recommended, 8);
    EXPECT_EQ(pooled->members_committed, 4);
    // Per path: 10 h x 8 x (0.10 - 0.06) = 3.2 pooled against 2 x 10 h x 2 x 0.04 = 1.6 apart.
    EXPECT_NEAR(pooled->plan.expected_saving, 3.2, 1e-9);
    EXPECT_NEAR(pooled->members_expected_saving, 1.6, 1e-9);
    EXPECT_NEAR(pooled->expected_gain, 1.6, 1e-9);
    EXPECT_NEAR(pooled->gain.p10, 1.6, 1e-9);
    EXPECT_DOUBLE_EQ(pooled->plan.expected_utilization, 1.0);

    InstancePaths other;
    other.step_hours = std::vector<double>(9, 1.0);
    other.paths.assign(3, std::vector<int>(9, 1));
    EXPECT_FALSE(AddInstancePaths(pool, other).ok());  // another span cannot be pooled
    EXPECT_FALSE(PlanPooledCommitment(pool, {1.0}, 4, kRates).ok());
}

// The same through the spend forecast: a day shift (hours 0-11) and a night shift (12-23), their forecast paths
// summed path-wise. Apart each commits its floor; pooled, their sum is flat and committed whole.
TEST(CommitmentPool, ForecastPathsOfShiftedFleetsSumToASteadyPool) {
    RegularSeries day{0, 3600, {}, {}}, night{0, 3600, {}, {}};
    for (int h = 0; h < 14 * 24; ++h) {
        day.values.push_back(h % 24 < 12 ? 7.5 : 1.5);  // 10 instances, then 2 (capacity 1, target 0.75)
        night.values.push_back(h % 24 < 12 ? 1.5 : 7.5);
    }
    SpendSizing sizing;
    sizing.target = 0.75;
    SpendOptions options;
    options.from = day.end();
    options.to = day.end() + 7 * 86400;
    options.paths = 20;
    options.instance_steps = true;
    InstancePaths pool;
    std::vector<double> members(20, 0.0);
    int members_committed = 0;
    for (const RegularSeries* load : {&day, &night}) {
        auto paths = ForecastSpend(*load, sizing, options);
        ASSERT_TRUE(paths.ok()) << paths.error().message;
        auto fleet = InstancePathsOf(*paths);
        ASSERT_TRUE(fleet.ok()) << fleet.error().message;
        ASSERT_EQ(fleet->step_hours.size(), 7u * 24u);
        auto plan = PlanCommitment(HoursPerCount(*fleet), kRates);
        ASSERT_TRUE(plan.ok());
        EXPECT_EQ(plan->recommended, 2);
        const std::vector<double> own = PathSavings(*fleet, plan->recommended, kRates);
        for (std::size_t path = 0; path < own.size(); ++path) members[path] += own[path];
        members_committed += plan->recommended;
        ASSERT_TRUE(AddInstancePaths(pool, *fleet).ok());
    }
    auto pooled = PlanPooledCommitment(pool, members, members_committed, kRates);
    ASSERT_TRUE(pooled.ok());
    EXPECT_EQ(pooled->plan.recommended, 12);
    EXPECT_GT(pooled->plan.recommended, members_committed);
    EXPECT_GE(pooled->expected_gain, 0.0);
    EXPECT_GE(pooled->plan.expected_saving, pooled->members_expected_saving);
    // 7 x 24 h x 12 x 0.04 pooled against 7 x 24 h x 4 x 0.04 apart.
    EXPECT_NEAR(pooled->plan.saving.p50, 7 * 24 * 12 * 0.04, 1e-6);
    EXPECT_NEAR(pooled->expected_gain, 7 * 24 * 8 * 0.04, 1e-6);
}

// What a commitment would have saved over a record of what ran: 4, 4, 2 and 0 instances for an hour each with 3
// committed: on demand 10 instance-hours x 0.10 = 1.00; saved 0.10 x (3 + 3 + 2 + 0) - 0.06 x 3 x 4 = 0.08.
TEST(CommitmentPast, SavingOverARecordIsWorkedByHand) {
    const PastCommitmentSaving past = SavingOverRecord({4, 4, 2, 0}, 1.0, 3, kRates);
    EXPECT_DOUBLE_EQ(past.hours, 4.0);
    EXPECT_NEAR(past.on_demand_cost, 1.0, 1e-12);
    EXPECT_NEAR(past.saving, 0.08, 1e-12);
    // A fractional hour (the fleet changed within it): 2.5 instances used of 3 committed.
    EXPECT_NEAR(SavingOverRecord({2.5}, 1.0, 3, kRates).saving, 0.25 - 0.18, 1e-12);
    EXPECT_DOUBLE_EQ(SavingOverRecord({5, 5}, 1.0, 0, kRates).saving, 0.0);
}

}  // namespace
}  // namespace cloudopt
