// The drift rule: a trained model is retrained early only when its forecasts since training are clearly and
// durably worse than when it was trained.

#include "control/model_health.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace cloudopt {
namespace {

ModelHealth Health(double trained, double live, std::size_t actuals) { return {trained, {live, actuals}, 0}; }

TEST(DriftReason, AModelThatLostMuchOfItsAccuracyOverEnoughStepsDrifted) {
    const DriftRule rule;  // 1.5 x the error, at least 0.05 lost, over 72 steps
    const auto why = DriftReason(Health(0.90, 0.80, 96), rule);  // error 0.10 -> 0.20
    ASSERT_TRUE(why);
    EXPECT_EQ(*why, "live accuracy 0.800 over 96 steps since training, against 0.900 when trained");
}

TEST(DriftReason, HoldsUpWhileTheErrorGrewLessThanTheRatio) {
    EXPECT_FALSE(DriftReason(Health(0.90, 0.86, 96), DriftRule{}));  // error 0.10 -> 0.14: 1.4x
    EXPECT_TRUE(DriftReason(Health(0.90, 0.85, 96), DriftRule{}));   // 1.5x
}

TEST(DriftReason, ANearExactModelThatGotSlightlyLessExactHasNotDrifted) {
    EXPECT_FALSE(DriftReason(Health(0.99, 0.97, 500), DriftRule{}));  // 3x the error, but only 0.02 lost
}

TEST(DriftReason, TooFewStepsOrNoScoreSayNothing) {
    EXPECT_FALSE(DriftReason(Health(0.90, 0.50, 71), DriftRule{}));
    EXPECT_FALSE(DriftReason(Health(0.90, std::numeric_limits<double>::quiet_NaN(), 200), DriftRule{}));
}

TEST(DriftReason, ARatioOfZeroTurnsItOff) {
    DriftRule off;
    off.error_ratio = 0.0;
    EXPECT_FALSE(DriftReason(Health(0.90, 0.10, 1000), off));
}

}  // namespace
}  // namespace cloudopt
