#include "simulate/spend_forecast.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

namespace cloudopt {
namespace {

constexpr UnixSeconds kDay = 86400;
constexpr UnixSeconds kStart = 1'700'006'400 - 1'700'006'400 % kDay;

// Hourly load for `days` days from midnight: a weekly cycle (weekends at half) and a daily one.
RegularSeries Weekly(int days, double scale = 1.0) {
    RegularSeries s{kStart, 3600, {}, {}};
    for (int i = 0; i < days * 24; ++i) {
        const int day = i / 24, hour = i % 24;
        const double daily = hour >= 8 && hour < 20 ? 40.0 : 10.0;
        s.values.push_back(scale * daily * (day % 7 >= 5 ? 0.5 : 1.0));
    }
    return s;
}

RegularSeries Head(const RegularSeries& s, std::size_t n) {
    return {
        s.start, s.step, std::vector<double>(s.values.begin(), s.values.begin() + static_cast<std::ptrdiff_t>(n)), {}};
}
RegularSeries Tail(const RegularSeries& s, std::size_t from) {
    return {s.TimeOf(from),
            s.step,
            std::vector<double>(s.values.begin() + static_cast<std::ptrdiff_t>(from), s.values.end()),
            {}};
}

TEST(SpendForecast, AConstantLoadHasABandOfZeroWidthAtItsSpend) {
    RegularSeries s{kStart, 3600, std::vector<double>(3 * 24, 30.0), {}};
    SpendSizing sizing{.capacity_per_instance = 10, .target = 0.75, .price_per_instance_hour = 0.5};
    SpendOptions o{.from = s.end(), .to = s.end() + 2 * kDay};
    auto paths = ForecastSpend(s, sizing, o);
    ASSERT_TRUE(paths.ok()) << paths.error().message;
    const SpendBand total = paths->Total();
    // ceil(30 / 7.5) = 4 instances x 0.5 $/h x 48 h.
    EXPECT_DOUBLE_EQ(total.p10, 96.0);
    EXPECT_DOUBLE_EQ(total.p50, 96.0);
    EXPECT_DOUBLE_EQ(total.p90, 96.0);
    ASSERT_EQ(paths->Days().size(), 2u);
    EXPECT_DOUBLE_EQ(paths->Days()[0].p50, 48.0);
}

TEST(SpendForecast, AWeeklyLoadIsForecastExactlyFromFourWeeksOfIt) {
    const RegularSeries all = Weekly(35);
    const std::size_t cut = 28 * 24;
    SpendSizing sizing{.capacity_per_instance = 1, .target = 0.8};
    SpendOptions o{.from = all.TimeOf(cut), .to = all.end()};
    auto paths = ForecastSpend(Head(all, cut), sizing, o);
    ASSERT_TRUE(paths.ok()) << paths.error().message;
    const double actual = SizedSpend(Tail(all, cut), sizing);
    EXPECT_NEAR(paths->Total().p50, actual, 1e-9);  // same weekday, same load: the weekends are where they were
    EXPECT_NEAR(paths->Total().p10, actual, 1e-9);
}

TEST(SpendForecast, ALevelThatMovesWidensTheBandAroundIt) {
    RegularSeries s = Weekly(28);
    for (std::size_t i = 0; i < s.values.size(); ++i) s.values[i] *= 1.0 + 0.1 * static_cast<double>(i / (7 * 24));
    SpendSizing sizing{.capacity_per_instance = 1, .target = 0.8};
    auto paths = ForecastSpend(s, sizing, {.from = s.end(), .to = s.end() + 7 * kDay});
    ASSERT_TRUE(paths.ok());
    const SpendBand b = paths->Total();
    EXPECT_LT(b.p10, b.p90);
    EXPECT_LE(b.p10, b.p50);
    EXPECT_LE(b.p50, b.p90);
}

TEST(SpendForecast, WidensItsBandToCoverTheSpansOfItsOwnHistory) {
    // Five weeks whose level jumps from day to day (x0.6 .. x1.6): the raw level moves of week-long windows are
    // smaller than the day-to-day jumps a week's spend meets, so the calibration must widen the band.
    RegularSeries s = Weekly(35);
    for (std::size_t i = 0; i < s.values.size(); ++i) s.values[i] *= 0.6 + 0.1 * static_cast<double>((i / 24 * 7) % 11);
    SpendSizing sizing{.capacity_per_instance = 1, .target = 0.8};
    auto paths = ForecastSpend(s, sizing, {.from = s.end(), .to = s.end() + 7 * kDay});
    ASSERT_TRUE(paths.ok()) << paths.error().message;
    EXPECT_EQ(paths->calibration_origins, 14);
    // Ten days before a span of three weeks (a month's first days): the spans are shortened to leave three origins.
    auto early = ForecastSpend(Head(s, 10 * 24), sizing, {.from = s.TimeOf(240), .to = s.TimeOf(240) + 21 * kDay});
    ASSERT_TRUE(early.ok()) << early.error().message;
    EXPECT_GE(early->calibration_origins, 3);
    EXPECT_LT(early->Total().p10, early->Total().p90);
    // Three days of history leave one origin (two days before it, one after): too few, the raw band.
    auto short_history = ForecastSpend(Head(s, 3 * 24), sizing, {.from = s.TimeOf(72), .to = s.TimeOf(72) + kDay});
    ASSERT_TRUE(short_history.ok());
    EXPECT_EQ(short_history->calibration_origins, 0);
    EXPECT_EQ(short_history->width, 1.0);
}

// Hourly load with the weekly and daily shape of Weekly() and a level that is random per day: log-normal with
// sigma 0.25, independent from day to day, from `seed`.
RegularSeries NoisyWeekly(int days, std::uint64_t seed) {
    RegularSeries s = Weekly(days, 10.0);
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0.0, 0.25);
    double level = 1.0;
    for (std::size_t i = 0; i < s.values.size(); ++i) {
        if (i % 24 == 0) level = std::exp(noise(rng));
        s.values[i] *= level;
    }
    return s;
}

TEST(SpendBacktest, TheBandHoldsAboutEightyPercentOfTheSpendOfANoisyLoadOverManyOrigins) {
    // The noise is known and stationary, so a calibrated band must hold close to 80% of the week-long spans: not
    // 100% (a band that covers by being huge) and not half (the raw level moves of a noise without drift).
    int inside = 0, pairs = 0;
    double relative_width = 0.0;
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        const RegularSeries s = NoisyWeekly(42, seed);
        auto points = BacktestSpend(s, {.days = 7, .origins = 15, .every_days = 1, .paths = 100});
        ASSERT_TRUE(points.ok()) << points.error().message;
        ASSERT_EQ(points->size(), 15u);
        for (const SpendBacktestPoint& p : *points) {
            inside += p.band.p10 <= p.actual && p.actual <= p.band.p90;
            relative_width += (p.band.p90 - p.band.p10) / p.band.p50;
            ++pairs;
        }
    }
    const double coverage = static_cast<double>(inside) / pairs;
    EXPECT_GE(coverage, 0.7) << inside << " of " << pairs;
    EXPECT_LE(coverage, 0.95) << inside << " of " << pairs;
    std::printf("noisy weekly load: %d of %d spans inside p10-p90, mean width %.2f of p50\n", inside, pairs,
                relative_width / pairs);
    // A week's mean of seven independent days of sigma 0.25 has sigma 0.25 / sqrt(7) = 0.095, so its 80% band is
    // about 2 x 1.28 x 0.095 = 24% wide; the calibrated band must be of that order, not several times it.
    EXPECT_LT(relative_width / pairs, 0.6);
}

TEST(SpendBacktest, AnOriginsForecastNeverReadsTheLoadAfterIt) {
    // Two traces equal up to day 30 and five times apart after it: every origin up to day 30 must give the same
    // forecast on both (only the actual may differ), and the later origins must not (or the test proves nothing).
    const RegularSeries a = NoisyWeekly(40, 9);
    RegularSeries b = a;
    const std::size_t change = 30 * 24;
    for (std::size_t i = change; i < b.values.size(); ++i) b.values[i] *= 5.0;
    const SpendBacktestOptions o{.days = 5, .origins = 12, .every_days = 1, .paths = 50};
    auto pa = BacktestSpend(a, o), pb = BacktestSpend(b, o);
    ASSERT_TRUE(pa.ok() && pb.ok());
    ASSERT_EQ(pa->size(), 12u);
    ASSERT_EQ(pb->size(), 12u);
    int before = 0, after = 0;
    for (std::size_t k = 0; k < pa->size(); ++k) {
        const SpendBacktestPoint &x = (*pa)[k], &y = (*pb)[k];
        ASSERT_EQ(x.origin, y.origin);
        EXPECT_EQ(x.origin, a.end() - static_cast<UnixSeconds>(5 + k) * kDay);  // the last first, a day apart
        if (x.origin <= a.TimeOf(change)) {
            ++before;
            EXPECT_EQ(x.band.p10, y.band.p10) << "origin " << k;
            EXPECT_EQ(x.band.p50, y.band.p50) << "origin " << k;
            EXPECT_EQ(x.band.p90, y.band.p90) << "origin " << k;
            EXPECT_EQ(x.naive, y.naive) << "origin " << k;
        } else {
            ++after;
            EXPECT_NE(x.band.p50, y.band.p50) << "origin " << k;
        }
    }
    EXPECT_EQ(before, 7);  // origins at days 35 - k for k = 5..11, i.e. days 30 down to 24
    EXPECT_EQ(after, 5);
}

TEST(SpendBacktest, RefusesATraceItCannotScoreSayingWhy) {
    const RegularSeries s = Weekly(6);
    auto too_short = BacktestSpend(s, {.days = 7});
    ASSERT_FALSE(too_short.ok());
    EXPECT_NE(too_short.error().message.find("under 8 days"), std::string::npos);
    EXPECT_FALSE(BacktestSpend(s, {.days = 3, .origins = 0}).ok());
    // Origins that would leave under a day of history are left out, not scored on nothing.
    auto points = BacktestSpend(s, {.days = 3, .origins = 10, .paths = 20});
    ASSERT_TRUE(points.ok());
    EXPECT_EQ(points->size(), 3u);  // origins at days 3, 2 and 1
    EXPECT_DOUBLE_EQ(points->back().history_days, 1.0);
}

// The relative width (p90 - p10) / p50 of a forecast's total.
double RelativeWidth(const SpendPaths& paths) {
    const SpendBand b = paths.Total();
    return (b.p90 - b.p10) / b.p50;
}

TEST(SpendFleet, ACalmResourceTakesAPartOfTheFleetsErrorsAndANewOneTheFleetsBand) {
    // A repeats its week exactly: alone, its band has no width (its own forecasts never erred). B's level jumps
    // from day to day. In one fleet, A's band is shrunk toward the fleet's errors (two errors' worth against its
    // fourteen), so it widens, but stays narrower than B's; and C, with three days of history (too few for a
    // calibration of its own), takes the fleet's scale instead of its raw level moves.
    const RegularSeries a = Weekly(35);
    const RegularSeries b = NoisyWeekly(35, 3);
    const RegularSeries c = Tail(NoisyWeekly(35, 4), 32 * 24);
    SpendSizing sizing{.capacity_per_instance = 0.5, .target = 0.8};
    const SpendOptions o{.from = a.end(), .to = a.end() + 7 * kDay, .paths = 200};
    auto a_alone = ForecastSpend(a, sizing, o);
    auto c_alone = ForecastSpend(c, sizing, o);
    ASSERT_TRUE(a_alone.ok() && c_alone.ok());
    EXPECT_EQ(a_alone->Total().p10, a_alone->Total().p90);
    EXPECT_EQ(c_alone->calibration_origins, 0);
    auto fleet = ForecastFleetSpend({{&a, sizing}, {&b, sizing}, {&c, sizing}}, o);
    ASSERT_EQ(fleet.size(), 3u);
    for (const auto& f : fleet) ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_GT(RelativeWidth(*fleet[0]), 0.02);
    EXPECT_LT(RelativeWidth(*fleet[0]), RelativeWidth(*fleet[1]));
    EXPECT_EQ(fleet[0]->calibration_origins, 14);
    EXPECT_EQ(fleet[2]->calibration_origins, 1);  // one span of its own: alone, too few to calibrate on
    EXPECT_NE(RelativeWidth(*fleet[2]), RelativeWidth(*c_alone));  // calibrated, not the raw level moves
    // A member the fleet cannot forecast is refused alone; the others are still forecast.
    const RegularSeries hours = Head(a, 20);
    auto with_bad = ForecastFleetSpend({{&hours, sizing}, {&a, sizing}, {nullptr, sizing}}, o);
    ASSERT_EQ(with_bad.size(), 3u);
    EXPECT_FALSE(with_bad[0].ok());
    EXPECT_TRUE(with_bad[1].ok());
    EXPECT_FALSE(with_bad[2].ok());
}

TEST(SpendFleet, ResourcesWhoseForecastsNeverErredDoNotTurnTheOthersCalibrationOff) {
    // Five constant loads (their forecasts exact: every error 0) beside one whose level jumps. Pooled, the zeros were
    // five sixths of the errors: the 80% quantile was 0 and no resource was calibrated (a review finding). The jumpy
    // one must keep its own calibration's stretch; the constant ones are not widened by zeros.
    const RegularSeries jumpy = NoisyWeekly(35, 5);
    const RegularSeries flat{kStart, 3600, std::vector<double>(35 * 24, 30.0), {}};
    SpendSizing sizing{.capacity_per_instance = 0.5, .target = 0.8};
    const SpendOptions o{.from = jumpy.end(), .to = jumpy.end() + 7 * kDay, .paths = 200};
    auto alone = ForecastSpend(jumpy, sizing, o);
    ASSERT_TRUE(alone.ok());
    ASSERT_EQ(alone->calibration_origins, 14);
    std::vector<SpendMember> fleet(5, SpendMember{&flat, sizing});
    fleet.push_back({&jumpy, sizing});
    auto forecasts = ForecastFleetSpend(fleet, o);
    ASSERT_EQ(forecasts.size(), 6u);
    ASSERT_TRUE(forecasts[5].ok());
    EXPECT_EQ(forecasts[5]->calibration_origins, 14);
    EXPECT_DOUBLE_EQ(forecasts[5]->width, alone->width);
    EXPECT_NEAR(RelativeWidth(*forecasts[5]), RelativeWidth(*alone), 0.15 * RelativeWidth(*alone));
}

TEST(SpendBacktest, AFleetCalibratesOnEachOthersErrorsButNeverOnTheLoadAfterAnOrigin) {
    // Two fleets {a, b} and {a, b'}, b' five times b after day 30: a's forecasts at origins up to day 30 must be the
    // same in both (nothing after an origin is read, not even another member's), and later ones must differ (b's
    // errors calibrate a's band: the pooling is real).
    const RegularSeries a = NoisyWeekly(40, 11);
    const RegularSeries b = NoisyWeekly(40, 12);
    RegularSeries b2 = b;
    const std::size_t change = 30 * 24;
    for (std::size_t i = change; i < b2.values.size(); ++i) b2.values[i] *= 5.0;
    const SpendBacktestOptions o{.days = 5, .origins = 12, .every_days = 1, .paths = 50};
    auto one = BacktestFleetSpend({a, b}, o), two = BacktestFleetSpend({a, b2}, o);
    ASSERT_EQ(one.size(), 2u);
    ASSERT_TRUE(one[0].ok() && two[0].ok());
    ASSERT_EQ(one[0]->size(), 12u);
    ASSERT_EQ(two[0]->size(), 12u);
    int same = 0, moved = 0;
    for (std::size_t k = 0; k < 12; ++k) {
        const SpendBacktestPoint &x = (*one[0])[k], &y = (*two[0])[k];
        ASSERT_EQ(x.actual, y.actual);
        if (x.origin <= a.TimeOf(change)) {
            EXPECT_EQ(x.band.p10, y.band.p10) << "origin " << k;
            EXPECT_EQ(x.band.p90, y.band.p90) << "origin " << k;
            ++same;
        } else {
            EXPECT_EQ(x.band.p50, y.band.p50) << "origin " << k;  // a's own forecast: its load is the same
            moved += x.band.p10 != y.band.p10 || x.band.p90 != y.band.p90;
        }
    }
    EXPECT_EQ(same, 7);
    EXPECT_GE(moved, 3);
}

TEST(SpendForecast, IsTheSameForTheSameSeedAndSumsPathWise) {
    const RegularSeries s = Weekly(10);
    SpendSizing sizing{.capacity_per_instance = 1, .target = 0.8};
    SpendOptions o{.from = s.end(), .to = s.end() + 5 * kDay, .paths = 50, .seed = 7};
    auto a = ForecastSpend(s, sizing, o), b = ForecastSpend(s, sizing, o);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->path_days, b->path_days);
    auto sum = SumSpend({&*a, &*b});
    ASSERT_TRUE(sum.ok());
    EXPECT_NEAR(sum->Total().p50, 2 * a->Total().p50, 1e-9);
    SpendOptions other = o;
    other.to += kDay;
    auto c = ForecastSpend(s, sizing, other);
    ASSERT_TRUE(c.ok());
    EXPECT_FALSE(SumSpend({&*a, &*c}).ok());
}

TEST(SpendForecast, RefusesWhatItCannotForecastSayingWhy) {
    const RegularSeries s = Weekly(2);
    SpendSizing sizing;
    auto short_history = ForecastSpend(Head(s, 20), sizing, {.from = s.TimeOf(20), .to = s.TimeOf(20) + kDay});
    ASSERT_FALSE(short_history.ok());
    EXPECT_NE(short_history.error().message.find("one whole day"), std::string::npos);
    EXPECT_FALSE(ForecastSpend(s, sizing, {.from = s.end(), .to = s.end()}).ok());
    EXPECT_FALSE(ForecastSpend(s, sizing, {.from = s.end(), .to = s.end() + 90 * kDay}).ok());
    RegularSeries odd{kStart, 7000, std::vector<double>(100, 1.0), {}};
    EXPECT_FALSE(ForecastSpend(odd, sizing, {.from = odd.end(), .to = odd.end() + kDay}).ok());
}

}  // namespace
}  // namespace cloudopt
