// Bands by the phase of the hour or day: chosen where the errors follow the clock, and only there; tracked without
// losing their shape; kept in the model file; and narrower where it matters at the same coverage.

#include "forecast/phase_bands.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "forecast/backtest.hpp"
#include "forecast/band_tracker.hpp"
#include "forecast/model_file.hpp"

namespace cloudopt {
namespace {

constexpr UnixSeconds kMonday = 1700438400;  // 2023-11-20 00:00 UTC, on the hour

// Calibration errors of `steps` horizon steps at one-minute steps over `hours`: N(0, 1), plus `burst` in minutes
// 32..37 of the hours that `bursty` picks.
std::vector<std::vector<TimedError>> MinuteErrors(int hours, std::size_t steps, double burst,
                                                  const std::function<bool(int)>& bursty, std::uint32_t seed = 1) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<std::vector<TimedError>> errors(steps);
    for (int m = 0; m < hours * 60; ++m) {
        const UnixSeconds ts = kMonday + m * 60;
        const int minute = m % 60, hour = m / 60;
        const double extra = bursty(hour) && minute >= 32 && minute <= 37 ? burst : 0.0;
        for (std::size_t k = 0; k < steps; ++k) errors[k].push_back({ts, noise(rng) + extra});
    }
    return errors;
}

TEST(PhaseBands, BurstsAtAFixedMinuteOfTheHourGetTheirOwnBandAndTheRestOfTheHourANarrowOne) {
    // Half the hours burst at minute 32, as the twitter trace does: one offset per step would cover the bursts
    // everywhere.
    const auto errors = MinuteErrors(200, 2, 40.0, [](int hour) { return hour % 2 == 1; });
    const PhaseBands bands = ChoosePhaseBands(errors, 60);
    ASSERT_TRUE(bands.active());
    EXPECT_EQ(bands.period, 3600);
    EXPECT_EQ(bands.width, 60);
    EXPECT_EQ(bands.Describe(), "minute of the hour");
    ASSERT_EQ(bands.q95.size(), 2u * 60u);
    for (std::size_t k = 0; k < 2; ++k) {
        EXPECT_GT(bands.q95[k * 60 + 34], 35.0) << "step " << k;  // covers the bursting half of the hours
        EXPECT_LT(bands.q95[k * 60 + 10], 3.0) << "step " << k;   // about N(0, 1)'s 1.64
        EXPECT_GE(bands.q95[k * 60 + 10], bands.q90[k * 60 + 10]);
        // p99 by phase too: above the burst where it bursts, about N(0, 1)'s 2.33 elsewhere.
        EXPECT_GE(bands.q99[k * 60 + 34], bands.q95[k * 60 + 34]) << "step " << k;
        EXPECT_GT(bands.q99[k * 60 + 10], bands.q95[k * 60 + 10]) << "step " << k;
        EXPECT_LT(bands.q99[k * 60 + 10], 4.0) << "step " << k;
    }
}

TEST(PhaseBands, ErrorsThatDoNotDependOnTheClockKeepOneOffsetPerStep) {
    EXPECT_FALSE(ChoosePhaseBands(MinuteErrors(200, 3, 0.0, [](int) { return false; }), 60).active());
    // Bursts at random minutes of random hours: no phase knows them better than any other.
    std::mt19937 rng(4);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::bernoulli_distribution burst(0.05);
    std::vector<std::vector<TimedError>> random(1);
    for (int m = 0; m < 200 * 60; ++m) random[0].push_back({kMonday + m * 60, noise(rng) + (burst(rng) ? 40.0 : 0.0)});
    EXPECT_FALSE(ChoosePhaseBands(random, 60).active());
}

TEST(PhaseBands, TooFewErrorsPerPhaseOrNoPhasesKeepOneOffset) {
    // Ten hours of minutes: 10 errors per minute of the hour, 30 with its neighbours, 5 hours in each half.
    EXPECT_FALSE(ChoosePhaseBands(MinuteErrors(10, 1, 40.0, [](int) { return true; }), 60).active());
    // Hourly or daily samples have no phases of the hour to group by.
    std::vector<std::vector<TimedError>> hourly(1);
    for (int i = 0; i < 2000; ++i) hourly[0].push_back({kMonday + i * 3600, i % 24 == 3 ? 40.0 : 0.0});
    EXPECT_FALSE(ChoosePhaseBands(hourly, 7200).active());
    EXPECT_FALSE(ChoosePhaseBands({}, 60).active());
}

TEST(PhaseBands, ErrorsThatGrowInTheDaytimeGetBandsByTheHourOfTheDay) {
    // Five-minute steps for 20 days; the errors are five times larger from 09:00 to 17:00 UTC.
    std::mt19937 rng(2);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<std::vector<TimedError>> errors(1);
    for (int i = 0; i < 20 * 288; ++i) {
        const UnixSeconds ts = kMonday + i * 300;
        const int hour = static_cast<int>((ts % 86400) / 3600);
        errors[0].push_back({ts, noise(rng) * (hour >= 9 && hour < 17 ? 5.0 : 1.0)});
    }
    const PhaseBands bands = ChoosePhaseBands(errors, 300);
    ASSERT_TRUE(bands.active());
    EXPECT_EQ(bands.Describe(), "hour of the day");
    EXPECT_EQ(bands.PhaseOf(kMonday + 12 * 3600 + 1799), 12u);
    EXPECT_GT(bands.q95[12], 3.0 * bands.q95[3]);
}

TEST(PhaseBands, PhasesCountFromTheEpochAlsoBeforeIt) {
    PhaseBands bands;
    bands.period = 3600;
    bands.width = 60;
    EXPECT_EQ(bands.PhaseOf(kMonday + 32 * 60 + 5), 32u);
    EXPECT_EQ(bands.PhaseOf(-60), 59u);
    EXPECT_EQ(bands.PhaseOf(-3600), 0u);
    EXPECT_EQ(PhaseBands{}.PhaseOf(12345), 0u);
}

TEST(PhaseBands, TrackingMovesEveryPhaseOfAStepByTheSameAmount) {
    Calibration c;
    c.q90 = {1.0};
    c.q95 = {2.0};
    c.mae = {1.0};
    c.phase.period = 3600;
    c.phase.width = 60;
    c.phase.q90.assign(60, 1.0);
    c.phase.q95.assign(60, 2.0);
    c.phase.q90[32] = 30.0;
    c.phase.q95[32] = 40.0;
    BandTracker tracker(c);
    // Errors far above the minute-10 band: the band of every minute rises, minute 32's by as much.
    for (int i = 0; i < 10; ++i) tracker.Observe(0, 100.0, kMonday + 10 * 60);
    const Calibration& tracked = tracker.Bands();
    const double rise = tracked.Offset95(0, kMonday + 10 * 60, 0.0) - 2.0;
    EXPECT_GT(rise, 1.0);
    EXPECT_NEAR(tracked.Offset95(0, kMonday + 32 * 60, 0.0) - 40.0, rise, 1e-9);
    EXPECT_NEAR(tracked.q95[0] - 2.0, rise, 1e-9);
    EXPECT_GE(tracked.Offset95(0, kMonday + 32 * 60, 0.0), tracked.Offset90(0, kMonday + 32 * 60, 0.0));
    // Bands calibrated without p99 offsets start p99 at p95's, and it moves alike in every phase as well.
    const double rise99 = tracked.Offset99(0, kMonday + 10 * 60, 0.0) - 2.0;
    EXPECT_GT(rise99, rise);
    EXPECT_NEAR(tracked.Offset99(0, kMonday + 32 * 60, 0.0) - 40.0, rise99, 1e-9);
}

// One-minute load at 100: N(0, 5) noise, but N(0, 60) in minutes 30..39 of every hour (a batch that runs then),
// for `days` days.
RegularSeries ClockNoise(int days, std::uint32_t seed = 3) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0.0, 1.0);
    RegularSeries s{kMonday, 60, {}, {}};
    for (int m = 0; m < days * 1440; ++m) {
        const int minute = m % 60;
        s.values.push_back(100.0 + noise(rng) * (minute >= 30 && minute <= 39 ? 60.0 : 5.0));
    }
    return s;
}

TEST(PhaseBands, OnALoadWhoseNoiseFollowsTheClockTheBacktestKeepsCoverageWithANarrowerBand) {
    const RegularSeries s = ClockNoise(10);
    BacktestOptions o;
    o.horizon = 3;
    o.start = s.start;
    o.step_seconds = s.step;
    BacktestOptions off = o;
    off.models.phase_bands = false;
    auto by_phase = Backtest("naive", s.values, o);
    auto plain = Backtest("naive", s.values, off);
    ASSERT_TRUE(by_phase.ok() && plain.ok());
    EXPECT_EQ(by_phase->phase_bands, "minute of the hour");
    EXPECT_EQ(plain->phase_bands, "none");
    EXPECT_GE(by_phase->coverage_p95, 0.93);
    EXPECT_GE(by_phase->coverage_p90, 0.87);
    // One band must cover the noisy sixth of the hour everywhere; bands by minute cover it where it is.
    EXPECT_LT(by_phase->band_width_p95, 0.85 * plain->band_width_p95)
        << by_phase->band_width_p95 << " against " << plain->band_width_p95;
}

TEST(PhaseBands, AModelFileKeepsThemAndForecastsUseTheBandOfEachStepsMinute) {
    const RegularSeries s = ClockNoise(8);
    auto trained = TrainModel("naive", s, 3);
    ASSERT_TRUE(trained.ok()) << trained.error().message;
    ASSERT_TRUE(trained->bands.phase.active());
    std::vector<NamedModel> models;
    models.push_back({"web", std::move(*trained)});
    auto loaded = LoadModels(SaveModels(models));
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    const TrainedModel& t = (*loaded)[0].trained;
    EXPECT_EQ(t.bands.phase, models[0].trained.bands.phase);
    // A history that ends at minute 31: the next steps fall in the noisy minutes and get their wide band.
    RegularSeries history = s;
    const std::size_t end = static_cast<std::size_t>(7 * 1440 + 31);
    history.values.resize(end);
    auto f = ForecastWith(t, history, 3);
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ((f->points[1].ts % 3600) / 60, 32);
    EXPECT_GT(f->points[1].p95 - f->points[1].p50, 80.0);
    EXPECT_GE(f->points[1].p99, f->points[1].p95);
    // Minute 25's band, away from the noisy minutes and their neighbours, is the calm noise's.
    history.values.resize(end - 6);
    auto calm = ForecastWith(t, history, 3);
    ASSERT_TRUE(calm.ok());
    EXPECT_EQ((calm->points[0].ts % 3600) / 60, 25);
    EXPECT_LT(calm->points[0].p95 - calm->points[0].p50, 30.0);
    EXPECT_LT(calm->points[0].p99 - calm->points[0].p50, 30.0);
}

TEST(PhaseBands, AModelFileWithImplausiblePhasesIsRefused) {
    auto trained = TrainModel("naive", ClockNoise(8), 3);
    ASSERT_TRUE(trained.ok());
    ASSERT_TRUE(trained->bands.phase.active());
    std::vector<NamedModel> models;
    models.push_back({"web", std::move(*trained)});
    // A width that does not divide the hour, and one that makes 3,600 phases: refused before any table is read.
    for (UnixSeconds width : {7, 1}) {
        models[0].trained.bands.phase.width = width;
        auto loaded = LoadModels(SaveModels(models));
        ASSERT_FALSE(loaded.ok()) << width;
        EXPECT_NE(loaded.error().message.find("phase bands"), std::string::npos) << loaded.error().message;
    }
}

}  // namespace
}  // namespace cloudopt
