#include "forecast/backtest.hpp"

#include "forecast/auto_forecaster.hpp"
#include "forecast/five_minute_steps.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace cloudopt {
namespace {

using testing::kDay;

// A daily sine plus Gaussian noise (fixed seed, so the test is deterministic).
std::vector<double> Periodic(int days, double noise) {
    std::mt19937 rng(7);
    std::normal_distribution<double> gauss(0.0, 1.0);
    std::vector<double> y;
    for (int i = 0; i < days * kDay; ++i) y.push_back(20 + 8 * std::sin(2 * M_PI * (i % kDay) / kDay) + noise * gauss(rng));
    return y;
}

TEST(Backtest, SeasonalNaiveIsExactOnAnExactlyRepeatingSeries) {
    auto s = Backtest("seasonal_naive", Periodic(5, 0.0), {});
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_NEAR(s->accuracy, 1.0, 1e-12);
    EXPECT_DOUBLE_EQ(s->coverage_p95, 1.0);
    // Every origin in the last 20% forecasts up to 12 steps, cut at the end of the data.
    const std::size_t test = 5 * kDay - static_cast<std::size_t>(std::floor(5 * kDay * 0.8));
    EXPECT_EQ(s->forecasts, test * 12 - 11 * 12 / 2);
}

TEST(Backtest, FilledGapsAreNeitherScoredNorCalibratedOn) {
    // An exactly repeating series with a stretch the export wrote as 0 ("no data") in the calibration window and
    // in the test part. Flagged missing and held at the value before, as Regularize fills them.
    std::vector<double> y = Periodic(5, 0.0);
    std::vector<std::uint8_t> missing(y.size(), 0);
    const std::size_t test_start = static_cast<std::size_t>(std::floor(5 * kDay * 0.8));
    const std::size_t gap = 30;
    for (std::size_t start : {test_start - 100, test_start + 60}) {
        for (std::size_t i = start; i < start + gap; ++i) {
            y[i] = y[start - 1];
            missing[i] = 1;
        }
    }
    BacktestOptions o;
    o.horizon = 1;
    auto masked = Backtest("seasonal_naive", y, o, missing);
    auto scored_as_is = Backtest("seasonal_naive", y, o);
    ASSERT_TRUE(masked.ok() && scored_as_is.ok());
    // Every measured test value is forecast exactly by last day's: the held values are not counted against it.
    EXPECT_EQ(masked->forecasts, scored_as_is->forecasts - gap);
    EXPECT_LT(scored_as_is->accuracy, 0.999);
    // A day later, last day's value is a held one: those forecasts of measured values miss and count.
    EXPECT_LT(masked->accuracy, 0.999);
    EXPECT_GT(masked->accuracy, scored_as_is->accuracy);
}

TEST(Backtest, AutoIsAtLeastAsGoodAsTheWorstBaselineAndBandsAreCalibrated) {
    const std::vector<double> y = Periodic(8, 3.0);
    BacktestOptions o;
    o.horizon = 3;
    auto naive = Backtest("naive", y, o);
    auto seasonal = Backtest("seasonal_naive", y, o);
    auto chosen = Backtest("auto", y, o);
    ASSERT_TRUE(naive.ok() && seasonal.ok() && chosen.ok());
    EXPECT_GE(chosen->accuracy, std::min(naive->accuracy, seasonal->accuracy));
    EXPECT_FALSE(chosen->chosen.empty());
    // Split-conformal bands on stationary noise land near their nominal level.
    EXPECT_NEAR(chosen->coverage_p90, 0.90, 0.05);
    EXPECT_NEAR(chosen->coverage_p95, 0.95, 0.04);
    EXPECT_NEAR(chosen->coverage_p99, 0.99, 0.02);
    EXPECT_NEAR(chosen->split_coverage_p99, 0.99, 0.02);
}

TEST(Backtest, AutoCombinesModelsThatErrDifferently) {
    // Business hours (a jump at 09:00 and back at 17:00) on top of a random walk: seasonal naive misses the walk,
    // naive misses the jumps.
    std::mt19937 rng(3);
    std::normal_distribution<double> step(0.0, 1.0);
    std::vector<double> y;
    double walk = 100;
    for (int i = 0; i < 8 * kDay; ++i) {
        walk += step(rng);
        const int minute = (i % kDay) * 5;
        y.push_back(walk + (minute >= 9 * 60 && minute < 17 * 60 ? 40.0 : 0.0));
    }
    BacktestOptions o;
    o.horizon = 6;
    auto chosen = Backtest("auto", y, o);
    ASSERT_TRUE(chosen.ok());
    // A mix, printed as name=weight for the models that got weight; the weights sum to one.
    const std::string& d = chosen->chosen;
    ASSERT_EQ(d.rfind("combination(", 0), 0u) << d;
    double sum = 0;
    int parts = 0;
    for (std::size_t at = d.find('='); at != std::string::npos; at = d.find('=', at + 1)) {
        const std::size_t name_start = d.find_last_of("(,", at) + 1;
        EXPECT_TRUE(IsKnownModel(d.substr(name_start, at - name_start))) << d;
        const double w = std::stod(d.substr(at + 1));
        EXPECT_GT(w, 0.0) << d;
        sum += w;
        ++parts;
    }
    EXPECT_GE(parts, 2) << d;
    EXPECT_NEAR(sum, 1.0, 0.02);
    for (const char* single : {"naive", "seasonal_naive"}) {
        auto s = Backtest(single, y, o);
        EXPECT_GT(chosen->accuracy, s->accuracy) << single;
    }
}

TEST(Backtest, RejectsBadInputWithAReason) {
    EXPECT_EQ(Backtest("lstm2", Periodic(3, 0), {}).error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(Backtest("naive", std::vector<double>(20, 1.0), {}).error().code, ErrorCode::kUnprocessable);
    BacktestOptions bad;
    bad.test_fraction = 1.5;
    EXPECT_EQ(Backtest("naive", Periodic(3, 0), bad).error().code, ErrorCode::kInvalidArgument);
}

TEST(ForecastSeries, GivesOrderedBandsAfterTheEndOfTheSeries) {
    RegularSeries s;
    s.start = 1'700'006'400;
    s.step = 300;
    s.values = Periodic(4, 2.0);
    auto f = ForecastSeries("auto", s, 6);
    ASSERT_TRUE(f.ok()) << f.error().message;
    ASSERT_EQ(f->points.size(), 6u);
    EXPECT_EQ(f->points[0].ts, s.end());
    for (const ForecastPoint& p : f->points) {
        EXPECT_LE(p.p50, p.p90);
        EXPECT_LE(p.p90, p.p95);
        EXPECT_LT(p.p95, p.p99);
        EXPECT_GT(p.p95, p.p50);  // noisy data: the bands have width
    }
    EXPECT_GT(f->accuracy, 0.8);
    s.values.resize(20);
    EXPECT_EQ(ForecastSeries("auto", s, 6).error().code, ErrorCode::kUnprocessable);
}

TEST(AutoForecaster, UsesTheEngineAndFallsBackOnShortHistory) {
    RegularSeries s;
    s.start = 1'700'006'400;
    s.step = 300;
    s.values = Periodic(4, 1.0);
    auto full = AutoForecaster().Predict(s, 12);
    ASSERT_TRUE(full.ok()) << full.error().message;
    EXPECT_NE(full->model, "naive_fallback");
    EXPECT_EQ(full->points.size(), 12u);
    s.values.resize(30);  // too short for calibrated bands at 12 steps: seasonal naive's own bands
    auto short_history = AutoForecaster().Predict(s, 12);
    ASSERT_TRUE(short_history.ok()) << short_history.error().message;
    EXPECT_EQ(short_history->model, "naive");
    EXPECT_EQ(AutoForecaster().Predict(s, 0).error().code, ErrorCode::kInvalidArgument);
}

TEST(AutoForecaster, LeavesTheLinearModelToTrainedModels) {
    // An autoregression: the linear model's own kind of series, where a trained auto gives it weight.
    RegularSeries s;
    s.start = 1'700'006'400;
    s.step = 300;
    s.values = {20, 20};
    std::mt19937 rng(4);
    std::normal_distribution<double> noise(0.0, 1.0);
    while (s.values.size() < 3000) {
        const std::size_t n = s.values.size();
        s.values.push_back(0.6 * s.values[n - 1] + 0.3 * s.values[n - 2] + 2 + noise(rng));
    }
    auto trained = ForecastSeries("auto", s, 3);
    ASSERT_TRUE(trained.ok()) << trained.error().message;
    EXPECT_NE(trained->model.find("linear"), std::string::npos) << trained->model;
    auto fallback = AutoForecaster().Predict(s, 3);  // refitted on every forecast: the cheaper candidates only
    ASSERT_TRUE(fallback.ok()) << fallback.error().message;
    EXPECT_EQ(fallback->model.find("linear"), std::string::npos) << fallback->model;
}

}  // namespace
}  // namespace cloudopt
