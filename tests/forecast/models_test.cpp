// The point models and season detection against series whose right answer is known.

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "forecast/five_minute_steps.hpp"
#include "forecast/holt_winters.hpp"
#include "forecast/point_model.hpp"

namespace cloudopt {
namespace {

using testing::kDay;
using testing::kStep;

std::vector<double> Daily(int days, double trend_per_step = 0.0, double noise = 0.0, bool multiplicative = false) {
    std::vector<double> y;
    for (int i = 0; i < days * kDay; ++i) {
        const double season = std::sin(2 * M_PI * (i % kDay) / kDay);
        const double level = 50 + trend_per_step * i;
        const double jitter = noise * (((i * 7919) % 13) - 6) / 6.0;
        y.push_back(multiplicative ? level * (1 + 0.4 * season) + jitter : level + 10 * season + jitter);
    }
    return y;
}

TEST(PointModels, AForecastNeverReadsTheValuesAtOrAfterItsOrigin) {
    // Forecasts from origin t must be the same whether the values after t are there or not, also from origins
    // inside the first seasons, where Holt-Winters builds its initial state (it once read two seasons ahead).
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> wild(0.0, 100.0);
    std::vector<double> y = Daily(4, 0.01, 2.0);
    for (double& v : y) v += wild(rng);  // unforeseeable: a look-ahead would show
    std::vector<std::unique_ptr<PointModel>> models;
    models.push_back(MakeNaiveModel());
    models.push_back(MakeSeasonalNaiveModel());
    models.push_back(MakeHoltWintersModel());
    models.push_back(MakeLinearModel());
    for (const auto& model : models) {
        ASSERT_TRUE(model->Fit(y, SeriesContext{.season = kDay, .horizon = 3}).ok()) << model->name();
        for (std::size_t origin : {5u, 100u, 300u, 600u, 1000u}) {
            std::vector<double> with_future, without;
            model->ForecastFromOrigins(y, origin, 3, with_future);
            model->ForecastFromOrigins(std::span<const double>(y).first(origin), origin, 3, without);
            ASSERT_EQ(without.size(), 3u);
            for (std::size_t h = 0; h < 3; ++h)
                EXPECT_DOUBLE_EQ(with_future[h], without[h])
                    << model->name() << " origin " << origin << " step " << h + 1;
        }
    }
}

TEST(NaiveModels, ForecastFromEveryOrigin) {
    const std::vector<double> y = {1, 2, 3, 4, 5, 6};
    std::vector<double> out;
    auto naive = MakeNaiveModel();
    ASSERT_TRUE(naive->Fit(y, SeriesContext{.season = 1}).ok());
    naive->ForecastFromOrigins(y, 4, 2, out);
    EXPECT_EQ(out, (std::vector<double>{4, 4, 5, 5, 6, 6}));  // origins 4, 5, 6

    auto seasonal = MakeSeasonalNaiveModel();
    ASSERT_TRUE(seasonal->Fit(y, SeriesContext{.season = 3}).ok());
    seasonal->ForecastFromOrigins(y, 3, 4, out);
    // Origin 3 (history 1,2,3): steps repeat 1,2,3,1; origin 6: 4,5,6,4.
    EXPECT_EQ(std::vector<double>(out.begin(), out.begin() + 4), (std::vector<double>{1, 2, 3, 1}));
    EXPECT_EQ(std::vector<double>(out.end() - 4, out.end()), (std::vector<double>{4, 5, 6, 4}));
}

TEST(DetectSeason, FindsADailyCycleAndNothingInNoise) {
    EXPECT_EQ(DetectSeason(Daily(4), kStep), kDay);
    std::mt19937 rng(42);
    std::normal_distribution<double> gauss(10.0, 1.0);
    std::vector<double> noise;
    for (int i = 0; i < 4 * kDay; ++i) noise.push_back(gauss(rng));
    EXPECT_EQ(DetectSeason(noise, kStep), 1);
    EXPECT_EQ(DetectSeason(Daily(1), kStep), 1);  // one day cannot show a daily repeat
}

TEST(HoltWinters, TracksTrendAndSeasonOnACleanSeries) {
    const std::vector<double> y = Daily(6, 0.01);
    const std::span<const double> train(y.data(), 5 * kDay);
    HoltWintersModel model;
    ASSERT_TRUE(model.Fit(train, SeriesContext{.season = kDay}).ok());
    std::vector<double> out;
    model.ForecastFromOrigins(train, train.size(), 12, out);
    for (int h = 0; h < 12; ++h) EXPECT_NEAR(out[h], y[5 * kDay + h], 0.5) << "step " << h + 1;
    // The fitted parameters beat an arbitrary setting on the objective they were fitted to.
    EXPECT_LT(HoltWintersModel::OneStepSse(train, kDay, model.params()),
              HoltWintersModel::OneStepSse(train, kDay, HoltWintersParams{}));
}

TEST(HoltWinters, PrefersMultiplicativeSeasonsWhenTheSwingGrowsWithTheLevel) {
    const std::vector<double> y = Daily(6, 0.05, 0.0, true);
    HoltWintersModel model;
    ASSERT_TRUE(model.Fit(y, SeriesContext{.season = kDay}).ok());
    EXPECT_TRUE(model.params().multiplicative);
    const std::vector<double> with_zero = {0, 1, 2, 3, 4, 5, 6, 7};
    ASSERT_TRUE(model.Fit(with_zero, SeriesContext{.season = 2}).ok());
    EXPECT_FALSE(model.params().multiplicative);  // zeros rule out a multiplicative season
}

TEST(HoltWinters, RejectsTooShortTraining) {
    HoltWintersModel model;
    EXPECT_EQ(model.Fit(std::vector<double>{1, 2, 3}, SeriesContext{.season = kDay}).error().code, ErrorCode::kUnprocessable);
}

}  // namespace
}  // namespace cloudopt
