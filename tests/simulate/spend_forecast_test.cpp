#include "simulate/spend_forecast.hpp"

#include <gtest/gtest.h>

#include <cmath>

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
    EXPECT_NE(paths->width, 1.0);
    // Three days of history leave no origin to calibrate on: the raw band.
    auto short_history = ForecastSpend(Head(s, 3 * 24), sizing, {.from = s.TimeOf(72), .to = s.TimeOf(72) + kDay});
    ASSERT_TRUE(short_history.ok());
    EXPECT_EQ(short_history->width, 1.0);
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
