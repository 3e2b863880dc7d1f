// The direct linear autoregression against series whose right forecasts are known.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "forecast/five_minute_steps.hpp"
#include "forecast/linear_model.hpp"

namespace cloudopt {
namespace {

using testing::kDay;
using testing::kStep;

// x[t] = 0.6 x[t-1] + 0.3 x[t-2] + 2 + noise: its best forecast is the recursion itself.
std::vector<double> Autoregressive(int points, double noise, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> gauss(0.0, noise);
    std::vector<double> x = {20, 20};
    while (static_cast<int>(x.size()) < points) x.push_back(0.6 * x.back() + 0.3 * x[x.size() - 2] + 2 + gauss(rng));
    return x;
}

std::vector<double> Forecasts(const PointModel& model, std::span<const double> values, std::size_t origin,
                              int horizon) {
    std::vector<double> out;
    model.ForecastFromOrigins(values.first(origin), origin, horizon, out);
    return out;
}

TEST(LinearModel, LearnsAnAutoregressionsOwnRecursionAtEveryStepAhead) {
    const std::vector<double> x = Autoregressive(3000, 0.5, 7);
    LinearModel model;
    ASSERT_TRUE(model.Fit(std::span<const double>(x).first(2500), SeriesContext{.step = kStep, .horizon = 3}).ok());
    double total = 0;
    int count = 0;
    for (std::size_t t = 2500; t < 2990; t += 7) {
        const std::vector<double> f = Forecasts(model, x, t, 3);
        // The noise-free recursion from the true history.
        double a = x[t - 1], b = x[t - 2];
        for (int h = 0; h < 3; ++h) {
            const double next = 0.6 * a + 0.3 * b + 2;
            total += std::abs(f[static_cast<std::size_t>(h)] - next);
            ++count;
            b = a, a = next;
        }
    }
    EXPECT_LT(total / count, 0.1);  // the noise is 0.5 per step; the fit is within a fraction of it
}

TEST(LinearModel, ReadsTheSameTimeYesterdayWhenADayIsWholeSteps) {
    // A daily shape no short window can foresee: a 2-hour job whose start only yesterday tells.
    std::vector<double> y;
    for (int i = 0; i < 10 * kDay; ++i) y.push_back((i % kDay) >= 100 && (i % kDay) < 124 ? 80.0 : 10.0);
    LinearModel model;
    const std::span<const double> first_days = std::span<const double>(y).first(8 * kDay);
    ASSERT_TRUE(model.Fit(first_days, SeriesContext{.step = kStep, .horizon = 12}).ok());
    EXPECT_EQ(model.day(), kDay);
    // From an origin 6 steps before the job starts, steps 7..12 ahead are inside it.
    const std::size_t origin = 8 * kDay + 94;
    const std::vector<double> f = Forecasts(model, y, origin, 12);
    for (int h = 1; h <= 12; ++h) EXPECT_NEAR(f[static_cast<std::size_t>(h - 1)], h >= 7 ? 80.0 : 10.0, 1.0) << h;

    LinearModel odd_step;  // a day is not a whole number of 7,000 s steps
    ASSERT_TRUE(odd_step.Fit(y, SeriesContext{.step = 7000, .horizon = 3}).ok());
    EXPECT_EQ(odd_step.day(), 0);
}

TEST(LinearModel, AbsoluteErrorIgnoresRareSpikesThatSquaredErrorWouldFollow) {
    // Flat at 10 with a spike to 1,000 in 2% of the steps: the forecast that minimizes the absolute error is 10;
    // least squares would lift every forecast by about 20.
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<double> y;
    for (int i = 0; i < 4000; ++i) y.push_back(u(rng) < 0.02 ? 1000.0 : 10.0 + 0.1 * u(rng));
    LinearModel model;
    ASSERT_TRUE(model.Fit(y, SeriesContext{.step = 60, .horizon = 2}).ok());
    std::vector<double> f;
    model.ForecastFromOrigins(y, 3500, 2, f);
    std::vector<double> sorted = f;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_NEAR(sorted[sorted.size() / 2], 10.05, 0.5);  // the median forecast
}

TEST(LinearModel, NeverForecastsBelowZeroForALoadThatNeverWas) {
    std::vector<double> y;  // falls steeply to 0 every hour: a trend extrapolated would go below
    for (int i = 0; i < 3000; ++i) y.push_back(std::max(0.0, 50.0 - 10.0 * (i % 12)));
    LinearModel model;
    ASSERT_TRUE(model.Fit(y, SeriesContext{.step = 300, .horizon = 6}).ok());
    std::vector<double> f;
    model.ForecastFromOrigins(y, 100, 6, f);
    EXPECT_GE(*std::min_element(f.begin(), f.end()), 0.0);
}

TEST(LinearModel, HoldsTheLastTrainedStepBeyondTheHorizon) {
    const std::vector<double> x = Autoregressive(2000, 0.5, 9);
    LinearModel model;
    ASSERT_TRUE(model.Fit(x, SeriesContext{.step = kStep, .horizon = 2}).ok());
    const std::vector<double> f = Forecasts(model, x, 1800, 5);
    ASSERT_EQ(f.size(), 5u);
    EXPECT_DOUBLE_EQ(f[2], f[1]);
    EXPECT_DOUBLE_EQ(f[4], f[1]);
}

TEST(LinearModel, ASeriesItCannotFitIsRefusedWithWhatItNeedsAndLeavesNoWeights) {
    const std::vector<double> long_enough = Autoregressive(2000, 0.5, 1);
    LinearModel model;
    ASSERT_TRUE(model.Fit(long_enough, SeriesContext{.step = kStep, .horizon = 3}).ok());
    const std::vector<double> x = Autoregressive(150, 0.5, 1);
    const Status s = model.Fit(x, SeriesContext{.step = kStep, .horizon = 3});
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("needs at least 246 points"), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find("has 150"), std::string::npos);
    EXPECT_TRUE(Forecasts(model, long_enough, 1000, 3).empty());  // not the earlier fit's weights

    std::vector<double> not_finite = long_enough;
    not_finite[700] = std::nan("");
    EXPECT_FALSE(model.Fit(not_finite, SeriesContext{.step = kStep, .horizon = 3}).ok());
    EXPECT_FALSE(model.Fit(long_enough, SeriesContext{.step = kStep, .horizon = 49}).ok());  // past its horizon
}

TEST(LinearModel, ItsStateLoadsIntoTheSameForecastsAndADamagedOneIsRefused) {
    std::vector<double> y;
    for (int i = 0; i < 6 * kDay; ++i) y.push_back(30 + 10 * std::sin(2 * M_PI * i / kDay) + (i * 7919 % 11));
    LinearModel fitted;
    ASSERT_TRUE(fitted.Fit(y, SeriesContext{.step = kStep, .horizon = 4}).ok());
    ASSERT_EQ(fitted.day(), kDay);
    const std::string state = fitted.SaveState();
    LinearModel loaded;
    ASSERT_TRUE(loaded.LoadState(state, SeriesContext{}).ok());
    EXPECT_EQ(Forecasts(loaded, y, y.size(), 4), Forecasts(fitted, y, y.size(), 4));
    EXPECT_EQ(loaded.SaveState(), state);

    const auto refused = [](std::string bytes) { return !LinearModel().LoadState(bytes, SeriesContext{}).ok(); };
    EXPECT_TRUE(refused(""));
    EXPECT_TRUE(refused("COLSTM02" + state.substr(8)));            // another model's format
    EXPECT_TRUE(refused(state.substr(0, state.size() - 8)));       // a weight missing
    EXPECT_TRUE(refused(state + std::string(8, '\0')));            // one too many
    std::string day_inside = state;                                 // a "day" of 2 steps, inside the 4-step horizon
    const std::int32_t two = 2;
    std::memcpy(day_inside.data() + 12, &two, sizeof two);
    EXPECT_TRUE(refused(day_inside));
    std::string not_finite = state;
    const double nan = std::nan("");
    std::memcpy(not_finite.data() + not_finite.size() - 8, &nan, sizeof nan);
    EXPECT_TRUE(refused(not_finite));
}

}  // namespace
}  // namespace cloudopt
