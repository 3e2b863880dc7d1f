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

}  // namespace
}  // namespace cloudopt
