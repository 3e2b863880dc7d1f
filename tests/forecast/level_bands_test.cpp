// Bands by the level of the forecast: chosen where the errors depend on it (a VM that idles and runs pegged at its
// maximum by turns), and only there; tracked without losing their shape; kept in the model file.

#include <gtest/gtest.h>

#include <random>

#include "forecast/backtest.hpp"
#include "forecast/band_tracker.hpp"
#include "forecast/model_file.hpp"
#include "forecast/phase_bands.hpp"

namespace cloudopt {
namespace {

constexpr UnixSeconds kStart = 1700438400;  // on the hour
constexpr UnixSeconds kFiveMinutes = 300;

// Five-minute load for `days` days that idles near 10 and runs pegged at its maximum, 100, by turns of 20 to 80
// steps; while idle, 5% of its steps jump to the maximum for one step. Nothing ever comes above 100.
RegularSeries IdleOrPegged(int days, std::uint32_t seed = 5) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0.0, 0.5);
    std::uniform_int_distribution<int> run(20, 80);
    std::bernoulli_distribution spike(0.05);
    RegularSeries s{kStart, kFiveMinutes, {}, {}};
    bool pegged = false;
    while (s.values.size() < static_cast<std::size_t>(days * 288)) {
        for (int i = run(rng); i > 0; --i) {
            if (pegged) s.values.push_back(100.0 - std::abs(noise(rng)));
            else s.values.push_back(spike(rng) ? 100.0 : 10.0 + noise(rng));
        }
        pegged = !pegged;
    }
    s.values.resize(static_cast<std::size_t>(days * 288));
    return s;
}

TEST(LevelBands, ErrorsThatDependOnTheForecastsLevelGetAnOffsetPerLevel) {
    // Calibration errors of one step: above an idle forecast (about 10) N(0, 1) with 8% jumps of +90; under a pegged
    // one (about 100) never above it.
    std::mt19937 rng(3);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::bernoulli_distribution jump(0.08);
    std::uniform_real_distribution<double> jitter(0.0, 2.0);
    std::vector<std::vector<TimedError>> errors(1);
    for (int i = 0; i < 20 * 288; ++i) {
        const bool pegged = (i / 50) % 2 == 1;
        const double forecast = pegged ? 100.0 - jitter(rng) : 10.0 + jitter(rng);
        const double error = pegged ? -std::abs(noise(rng)) : noise(rng) + (jump(rng) ? 90.0 : 0.0);
        errors[0].push_back({kStart + i * kFiveMinutes, error, forecast});
    }
    const PhaseBands bands = ChoosePhaseBands(errors, kFiveMinutes);
    ASSERT_TRUE(bands.by_level());
    EXPECT_EQ(bands.Describe(), "forecast level");
    EXPECT_EQ(bands.period, 0);
    ASSERT_TRUE(bands.Consistent(1));
    EXPECT_EQ(bands.GroupOf(0, 5.0), 0u);
    EXPECT_EQ(bands.GroupOf(0, 1000.0), bands.groups() - 1);
    const std::size_t idle = bands.LevelOf(11.0), top = bands.LevelOf(99.0);
    EXPECT_GT(bands.q95[idle], 50.0);  // covers the jumps
    EXPECT_LT(bands.q95[top], 1.0);    // nothing comes above a pegged forecast
    EXPECT_GE(bands.q99[idle], bands.q95[idle]);
}

TEST(LevelBands, ErrorsThatDoNotDependOnTheLevelKeepOneOffsetPerStep) {
    std::mt19937 rng(4);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::uniform_real_distribution<double> level(0.0, 100.0);
    std::vector<std::vector<TimedError>> errors(2);
    for (int i = 0; i < 20 * 288; ++i)
        for (auto& at_step : errors) at_step.push_back({kStart + i * kFiveMinutes, noise(rng), level(rng)});
    EXPECT_FALSE(ChoosePhaseBands(errors, kFiveMinutes).active());
    // A forecast that never changes has no levels to group by.
    for (auto& at_step : errors)
        for (TimedError& e : at_step) e.forecast = 7.0;
    EXPECT_FALSE(ChoosePhaseBands(errors, kFiveMinutes).active());
}

TEST(LevelBands, TrackingMovesEveryLevelOfAStepByTheSameAmount) {
    Calibration c;
    c.q90 = {1.0};
    c.q95 = {2.0};
    c.mae = {1.0};
    c.phase.levels = {50.0};
    c.phase.q90 = {15.0, 0.2};
    c.phase.q95 = {20.0, 0.5};
    BandTracker tracker(c);
    // Errors far above the idle level's band: the pegged level's band rises by as much, not more.
    for (int i = 0; i < 10; ++i) tracker.Observe(0, 100.0, kStart, /*forecast=*/10.0);
    const Calibration& tracked = tracker.Bands();
    const double rise = tracked.Offset95(0, kStart, 10.0) - 20.0;
    EXPECT_GT(rise, 1.0);
    EXPECT_NEAR(tracked.Offset95(0, kStart, 90.0) - 0.5, rise, 1e-9);
}

TEST(LevelBands, OnAnIdleOrPeggedLoadTheBacktestKeepsCoverageAndTheForecastsFollowTheLevel) {
    const RegularSeries s = IdleOrPegged(20);
    BacktestOptions o;
    o.horizon = 3;
    o.start = s.start;
    o.step_seconds = s.step;
    auto by_level = Backtest("naive", s.values, o);
    ASSERT_TRUE(by_level.ok()) << by_level.error().message;
    EXPECT_EQ(by_level->phase_bands, "forecast level");
    EXPECT_GE(by_level->coverage_p95, 0.93);
    EXPECT_GE(by_level->coverage_p90, 0.87);

    // Trained and kept in a model file: a pegged history gets a narrow band, an idle one a band up to the maximum.
    auto trained = TrainModel("naive", s, 3);
    ASSERT_TRUE(trained.ok()) << trained.error().message;
    ASSERT_TRUE(trained->bands.phase.by_level());
    std::vector<NamedModel> models;
    models.push_back({"vm", std::move(*trained)});
    auto loaded = LoadModels(SaveModels(models));
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    const TrainedModel& t = (*loaded)[0].trained;
    EXPECT_EQ(t.bands.phase, models[0].trained.bands.phase);
    RegularSeries history = s;
    std::size_t end = history.values.size();
    while (history.values[end - 1] < 90.0) --end;  // ends pegged
    history.values.resize(end);
    auto pegged = ForecastWith(t, history, 3);
    ASSERT_TRUE(pegged.ok()) << pegged.error().message;
    while (history.values[end - 1] > 20.0 || history.values[end - 2] > 20.0) --end;  // ends idle
    history.values.resize(end);
    auto idle = ForecastWith(t, history, 3);
    ASSERT_TRUE(idle.ok()) << idle.error().message;
    EXPECT_LT(pegged->points[0].p95 - pegged->points[0].p50, 5.0);
    EXPECT_GT(idle->points[0].p95 - idle->points[0].p50, 50.0);

    // Bounds that do not ascend are refused.
    models[0].trained.bands.phase.levels = {50.0, 40.0};
    auto refused = LoadModels(SaveModels(models));
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("phase bands"), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace cloudopt
