#include "forecast/seasonal_naive.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace cloudopt {
namespace {

RegularSeries Daily(int days, UnixSeconds step, double noise = 0.0) {
    RegularSeries s;
    s.start = 1'700'006'400;  // a midnight
    s.step = step;
    const int per_day = static_cast<int>(86400 / step);
    for (int i = 0; i < days * per_day; ++i) {
        const double phase = 2 * M_PI * (i % per_day) / per_day;
        s.values.push_back(10 + 5 * std::sin(phase) + noise * ((i * 7919) % 13 - 6) / 6.0);
    }
    return s;
}

TEST(SeasonalNaive, RepeatsYesterdayOnAPerfectlyDailySeries) {
    const RegularSeries s = Daily(3, 3600);
    auto f = SeasonalNaiveForecaster().Predict(s, 30);
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->model, "seasonal_naive");
    ASSERT_EQ(f->points.size(), 30u);
    for (int h = 0; h < 30; ++h) {
        EXPECT_EQ(f->points[h].ts, s.end() + h * 3600);
        EXPECT_NEAR(f->points[h].p50, s.values[s.values.size() - 24 + (h % 24)], 1e-12);
        // No error in the past: the bands collapse onto the median.
        EXPECT_NEAR(f->points[h].p95, f->points[h].p50, 1e-9);
    }
    EXPECT_NEAR(f->accuracy, 1.0, 1e-12);
}

TEST(SeasonalNaive, BandsWidenWithPastErrorsAndStayOrdered) {
    auto f = SeasonalNaiveForecaster().Predict(Daily(4, 3600, 2.0), 12);
    ASSERT_TRUE(f.ok());
    for (const ForecastPoint& p : f->points) {
        EXPECT_GE(p.p90, p.p50);
        EXPECT_GE(p.p95, p.p90);
    }
    EXPECT_GT(f->points[0].p95 - f->points[0].p50, 0.5);
    EXPECT_LT(f->accuracy, 1.0);
    EXPECT_GT(f->accuracy, 0.8);
}

TEST(SeasonalNaive, FallsBackToNaiveWithLessThanTwoSeasons) {
    RegularSeries s;
    s.start = 0;
    s.step = 300;
    s.values = {1, 2, 3, 4, 5};
    auto f = SeasonalNaiveForecaster().Predict(s, 3);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->model, "naive");
    for (const ForecastPoint& p : f->points) EXPECT_DOUBLE_EQ(p.p50, 5.0);
    // Errors of the naive rule grow with the lag on a trending series.
    EXPECT_GT(f->points[2].p95, f->points[0].p95);
}

TEST(SeasonalNaive, NeverForecastsNegativeLoad) {
    RegularSeries s;
    s.step = 300;
    s.values = {5, 3, 0};
    auto f = SeasonalNaiveForecaster().Predict(s, 1);
    ASSERT_TRUE(f.ok());
    EXPECT_GE(f->points[0].p50, 0.0);
}

TEST(SeasonalNaive, RejectsTooLittleHistoryAndBadHorizon) {
    RegularSeries s;
    s.step = 300;
    s.values = {1, 2};
    auto f = SeasonalNaiveForecaster().Predict(s, 3);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.error().code, ErrorCode::kUnprocessable);
    s.values = {1, 2, 3};
    EXPECT_EQ(SeasonalNaiveForecaster().Predict(s, 0).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cloudopt
