// The drift rule: a trained model is retrained early only when its forecasts since training are clearly and
// durably worse than when it was trained.

#include "control/model_health.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace cloudopt {
namespace {

// A model that scored `live` since training where repeating the last value scored `naive`.
ModelHealth Health(double trained, double live, std::size_t actuals, double naive = 0.5) {
    return {trained, {live, actuals, naive}, 0};
}

TEST(DriftReason, AModelThatLostMuchOfItsAccuracyOverEnoughStepsDrifted) {
    const DriftRule rule;  // 1.5 x the error, at least 0.05 lost, over 72 steps, worse than the last value
    const auto why = DriftReason(Health(0.90, 0.80, 96, 0.85), rule);  // error 0.10 -> 0.20
    ASSERT_TRUE(why);
    EXPECT_EQ(*why, "live accuracy 0.800 over 96 steps since training (the last value: 0.850), against 0.900 when "
                    "trained");
}

TEST(DriftReason, ALoadThatGotHarderForEveryForecastIsNoDrift) {
    // The last value did worse still: the stretch is noisier, and a model retrained on it would not be better.
    EXPECT_FALSE(DriftReason(Health(0.90, 0.60, 96, 0.55), DriftRule{}));
    EXPECT_FALSE(DriftReason(Health(0.90, 0.60, 96, 0.60), DriftRule{}));  // level: not worse than the last value
    DriftRule any_loss;
    any_loss.must_lose_to_naive = false;
    EXPECT_TRUE(DriftReason(Health(0.90, 0.60, 96, 0.55), any_loss));
}

TEST(DriftReason, HoldsUpWhileTheErrorGrewLessThanTheRatio) {
    EXPECT_FALSE(DriftReason(Health(0.90, 0.86, 96, 0.9), DriftRule{}));  // error 0.10 -> 0.14: 1.4x
    EXPECT_TRUE(DriftReason(Health(0.90, 0.85, 96, 0.9), DriftRule{}));   // 1.5x
}

TEST(DriftReason, ANearExactModelThatGotSlightlyLessExactHasNotDrifted) {
    EXPECT_FALSE(DriftReason(Health(0.99, 0.97, 500, 0.99), DriftRule{}));  // 3x the error, but only 0.02 lost
}

TEST(DriftReason, TooFewStepsOrNoScoreSayNothing) {
    EXPECT_FALSE(DriftReason(Health(0.90, 0.50, 71), DriftRule{}));
    EXPECT_FALSE(DriftReason(Health(0.90, std::numeric_limits<double>::quiet_NaN(), 200), DriftRule{}));
}

TEST(DriftReason, ARatioOfZeroTurnsItOff) {
    DriftRule off;
    off.error_ratio = 0.0;
    EXPECT_FALSE(DriftReason(Health(0.90, 0.10, 1000, 0.9), off));
}

}  // namespace
}  // namespace cloudopt
