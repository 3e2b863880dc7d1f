// How auto weighs its models: the fitted weights are the best split on the grid, and between trainings they
// follow the models' errors since training, the same whoever replays them (backtest, simulator, service).

#include "forecast/combination_weights.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "forecast/backtest.hpp"
#include "forecast/band_tracker.hpp"

namespace cloudopt {
namespace {

constexpr int kHorizon = 3;

// Forecasts laid out as ForecastFromOrigins writes them, from origins [first, values.size()]: model `f(t + k)`.
std::vector<double> ForecastsOf(std::size_t first, std::size_t n, const std::function<double(std::size_t)>& f) {
    std::vector<double> out;
    for (std::size_t t = first; t <= n; ++t)
        for (std::size_t k = 0; k < kHorizon; ++k) out.push_back(f(t + k));
    return out;
}

// The plain search: every split of 20 units, the mix summed from scratch for each.
std::vector<double> ReferenceWeights(std::span<const double> values, std::size_t first,
                                     const std::vector<std::vector<double>>& forecasts) {
    const std::size_t m = forecasts.size();
    std::vector<int> units(m), best(m);
    double best_error = std::numeric_limits<double>::infinity();
    std::function<void(std::size_t, int)> visit = [&](std::size_t i, int left) {
        if (i + 1 == m) {
            units[i] = left;
            double error = 0.0;
            for (std::size_t t = first; t < values.size(); ++t) {
                for (std::size_t k = 0; k < kHorizon && t + k < values.size(); ++k) {
                    double mix = 0.0;
                    for (std::size_t j = 0; j < m; ++j)
                        if (units[j] > 0) mix += units[j] / 20.0 * forecasts[j][(t - first) * kHorizon + k];
                    error += std::abs(mix - values[t + k]);
                }
            }
            if (error < best_error) {
                best_error = error;
                best = units;
            }
            return;
        }
        for (int u = 0; u <= left; ++u) {
            units[i] = u;
            visit(i + 1, left - u);
        }
    };
    visit(0, 20);
    std::vector<double> weights;
    for (int u : best) weights.push_back(u / 20.0);
    return weights;
}

std::vector<std::span<const double>> Views(const std::vector<std::vector<double>>& v) { return {v.begin(), v.end()}; }

TEST(FitCombinationWeights, FindsTheMixThatForecastsBest) {
    std::vector<double> values;
    for (int i = 0; i < 300; ++i) values.push_back(100.0 + 10.0 * std::sin(i * 0.1));
    const std::size_t first = 100, n = values.size();
    const auto exact = ForecastsOf(first, n, [&](std::size_t i) { return i < n ? values[i] : 0.0; });
    const auto low = ForecastsOf(first, n, [&](std::size_t i) { return i < n ? values[i] - 8.0 : 0.0; });
    const auto high = ForecastsOf(first, n, [&](std::size_t i) { return i < n ? values[i] + 8.0 : 0.0; });
    // One exact model takes all the weight.
    EXPECT_EQ(FitCombinationWeights(values, {}, first, kHorizon, Views({low, exact, high})),
              (std::vector<double>{0.0, 1.0, 0.0}));
    // Two that err by as much either way are exact half and half.
    const auto halves = FitCombinationWeights(values, {}, first, kHorizon, Views({low, high}));
    ASSERT_EQ(halves.size(), 2u);
    EXPECT_DOUBLE_EQ(halves[0], 0.5);
    EXPECT_DOUBLE_EQ(halves[1], 0.5);
    // Without one measured actual there is nothing to fit on.
    const std::vector<std::uint8_t> all_missing(n, 1);
    EXPECT_TRUE(FitCombinationWeights(values, all_missing, first, kHorizon, Views({low, high})).empty());
}

TEST(FitCombinationWeights, MatchesThePlainSearch) {
    std::mt19937 rng(7);
    std::normal_distribution<double> noise(0.0, 1.0);
    for (int trial = 0; trial < 5; ++trial) {
        std::vector<double> values;
        for (int i = 0; i < 200; ++i) values.push_back(50.0 + 5.0 * std::sin(i * 0.2) + noise(rng));
        const std::size_t first = 120, n = values.size();
        std::vector<std::vector<double>> models;
        for (int j = 0; j < 4; ++j) {
            const double bias = noise(rng), spread = 1.0 + j;
            models.push_back(ForecastsOf(first, n, [&](std::size_t i) {
                return (i < n ? values[i] : 50.0) + bias + spread * noise(rng);
            }));
        }
        EXPECT_EQ(FitCombinationWeights(values, {}, first, kHorizon, Views(models)),
                  ReferenceWeights(values, first, models))
            << "trial " << trial;
    }
}

TEST(ReweighSchedule, IsADayOfWarmupThenEveryFourHoursOnThreeDays) {
    const ReweighSchedule five_minutes = DefaultReweighSchedule(300);
    EXPECT_EQ(five_minutes.warmup, 288u);
    EXPECT_EQ(five_minutes.every, 48u);
    EXPECT_EQ(five_minutes.window, 864u);
    const ReweighSchedule minutes = DefaultReweighSchedule(60);
    EXPECT_EQ(minutes.warmup, 1440u);
    EXPECT_EQ(minutes.every, 240u);
    EXPECT_EQ(minutes.window, 4320u);
    EXPECT_GE(DefaultReweighSchedule(86400).every, 1u);  // a daily series still re-weighs
}

// Two models: `before` is exact until `change` and off by 10 after it; `after` is off by 10 before and exact after.
struct RegimeChange {
    std::vector<double> values;
    std::vector<double> before, after;  // forecasts from origin 1 on
    static constexpr std::size_t kN = 600, kChange = 300;

    RegimeChange() {
        for (std::size_t i = 0; i < kN; ++i) values.push_back(100.0 + static_cast<double>(i % 17));
        auto value = [&](std::size_t i) { return i < kN ? values[i] : 100.0; };
        before = ForecastsOf(1, kN, [&](std::size_t i) { return value(i) + (i < kChange ? 0.0 : 10.0); });
        after = ForecastsOf(1, kN, [&](std::size_t i) { return value(i) + (i < kChange ? 10.0 : 0.0); });
    }
    // The forecasts from origin `from` on.
    std::vector<std::span<const double>> From(std::size_t from) const {
        const std::size_t skip = (from - 1) * kHorizon;
        return {std::span<const double>(before).subspan(skip), std::span<const double>(after).subspan(skip)};
    }
};

TEST(CombineReweighed, KeepsThePriorWeightsUntilADayOfForecastsSinceTrainingThenFollowsTheErrors) {
    const RegimeChange r;
    const ReweighSchedule schedule{.warmup = 50, .every = 20, .window = 100};
    const std::vector<double> prior = {1.0, 0.0};
    // Trained on the values before 280: the warmup ends at 330, after the change at 300.
    const std::size_t fresh = 280, first = 280;
    const std::size_t from = ReweighFrom(first, fresh, schedule);
    EXPECT_EQ(from, fresh);  // no forecast from before training is needed
    const Reweighed out =
        CombineReweighed(r.values, {}, r.From(from), from, first, fresh, kHorizon, prior, schedule);
    ASSERT_EQ(out.forecasts.size(), (RegimeChange::kN - first + 1) * kHorizon);
    // Until then, exactly the trained combination: the model that is now off by 10.
    for (std::size_t t = first; t < fresh + schedule.warmup; ++t)
        EXPECT_EQ(out.forecasts[(t - first) * kHorizon], r.before[(t - 1) * kHorizon]) << "origin " << t;
    // From the first re-weighing on, the weights follow the errors: at 330 the window (280..330) holds 20 origins
    // before the change and 30 after, so `after` wins, and it is exact from then on.
    for (std::size_t t = fresh + schedule.warmup; t < RegimeChange::kN - kHorizon; ++t)
        EXPECT_NEAR(out.forecasts[(t - first) * kHorizon], r.values[t], 1e-9) << "origin " << t;
    EXPECT_EQ(out.weights, (std::vector<double>{0.0, 1.0}));
    EXPECT_EQ(out.refits, 1 + (RegimeChange::kN - fresh - schedule.warmup) / schedule.every);
}

TEST(CombineReweighed, NeverFitsOnForecastsFromBeforeTraining) {
    const RegimeChange r;
    // Trained on everything before 400 (after the change): `after` is exact on all the values since training, but
    // `before` is exact on the 300 values before the change, which a window reaching back would count.
    const ReweighSchedule schedule{.warmup = 10, .every = 10, .window = 400};
    const std::size_t fresh = 400;
    const std::vector<double> prior = {0.5, 0.5};
    const Reweighed out = CombineReweighed(r.values, {}, r.From(fresh), fresh, fresh, fresh, kHorizon, prior, schedule);
    EXPECT_EQ(out.weights, (std::vector<double>{0.0, 1.0}));
}

TEST(CombineReweighed, GivesTheSameForecastsFromAnyFirstOriginAsTheServiceReplaysThem) {
    // The backtest combines from the first origin after training; the service replays only its last day. Both
    // must land on the same weights and forecasts for the origins they share.
    const RegimeChange r;
    const ReweighSchedule schedule{.warmup = 30, .every = 25, .window = 60};
    const std::vector<double> prior = {0.7, 0.3};
    const std::size_t fresh = 250;
    const Reweighed all = CombineReweighed(r.values, {}, r.From(fresh), fresh, fresh, fresh, kHorizon, prior, schedule);
    for (std::size_t first : {260u, 281u, 305u, 333u, 480u, 599u}) {
        const std::size_t from = ReweighFrom(first, fresh, schedule);
        EXPECT_LE(from, first);
        EXPECT_GE(from, fresh);
        const Reweighed part =
            CombineReweighed(r.values, {}, r.From(from), from, first, fresh, kHorizon, prior, schedule);
        ASSERT_EQ(part.forecasts.size(), (RegimeChange::kN - first + 1) * kHorizon);
        for (std::size_t i = 0; i < part.forecasts.size(); ++i)
            ASSERT_EQ(part.forecasts[i], all.forecasts[(first - fresh) * kHorizon + i]) << "first " << first;
        EXPECT_EQ(part.weights, all.weights);
    }
}

// Five days of a daily pattern that an hour of noise cannot hide, then a load that keeps its level and forgets
// the pattern: seasonal naive fits the first days best and naive the later ones.
RegularSeries PatternThatStops(std::size_t days_with_pattern, std::size_t days) {
    RegularSeries s{1'700'000'000, 300, {}, {}};
    std::mt19937 rng(11);
    std::normal_distribution<double> noise(0.0, 1.0);
    double walk = 100.0;
    for (std::size_t i = 0; i < days * 288; ++i) {
        const double daily = 40.0 * std::sin(2.0 * M_PI * static_cast<double>(i % 288) / 288.0);
        walk += 0.5 * noise(rng);
        s.values.push_back(i < days_with_pattern * 288 ? 100.0 + daily + noise(rng) : walk);
    }
    return s;
}

TEST(Reweighing, AutoFollowsALoadThatChangesAfterTrainingInTheBacktestAndTheService) {
    const RegularSeries s = PatternThatStops(8, 10);  // it stops a day into the 3 days scored
    BacktestOptions o;
    o.horizon = kHorizon;
    o.start = s.start;
    o.step_seconds = s.step;
    o.test_fraction = 0.3;  // 3 days scored: a day of warmup, then two re-weighed
    const auto with = Backtest("auto", s.values, o);
    ASSERT_TRUE(with.ok()) << with.error().message;
    o.models.reweigh = false;
    const auto without = Backtest("auto", s.values, o);
    ASSERT_TRUE(without.ok()) << without.error().message;
    EXPECT_GT(with->accuracy, without->accuracy + 0.02) << with->chosen << " -> " << with->chosen_at_end;
    EXPECT_GT(with->reweighings, 0u);
    EXPECT_EQ(without->reweighings, 0u);
    EXPECT_TRUE(without->chosen_at_end.empty());

    // The service: a model trained on the first 7 days, asked 3 days later, forecasts with the weights the
    // re-weighing reached, and says so.
    const RegularSeries trained_on{s.start, s.step, {s.values.begin(), s.values.begin() + 7 * 288}, {}};
    auto trained = TrainModel("auto", trained_on, kHorizon);
    ASSERT_TRUE(trained.ok()) << trained.error().message;
    ASSERT_TRUE(trained->Reweighs()) << trained->chosen;
    EXPECT_EQ(trained->parts.size(), trained->candidates.size());  // models without weight stand by
    const Tracked tracked = TrackTrainedModel(*trained, s, 288, BandTracker::kDefaultRate, 3 * 288);
    ASSERT_EQ(tracked.weights.size(), trained->parts.size());
    EXPECT_GT(tracked.reweighings, 0u);
    EXPECT_NE(tracked.weights, trained->weights);
    auto f = ForecastWith(*trained, s, kHorizon, &tracked.bands, tracked.weights);
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_NE(f->model.find("re-weighed since training from " + trained->chosen), std::string::npos) << f->model;
    // Less than a day since training: the trained weights.
    EXPECT_TRUE(TrackTrainedModel(*trained, s, 200, BandTracker::kDefaultRate, 200).weights.empty());
    // Without re-weighing, auto drops the models without weight, as before.
    ModelOptions off;
    off.reweigh = false;
    auto plain = TrainModel("auto", trained_on, kHorizon, off);
    ASSERT_TRUE(plain.ok()) << plain.error().message;
    for (double w : plain->weights) EXPECT_GT(w, 0.0);
    EXPECT_TRUE(TrackTrainedModel(*plain, s, 288, BandTracker::kDefaultRate, 3 * 288).weights.empty());
}

}  // namespace
}  // namespace cloudopt
