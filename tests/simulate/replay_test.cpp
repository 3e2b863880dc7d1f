// Trace replay: each policy under the shared time model on a series whose right answers are known.

#include "simulate/replay.hpp"

#include <gtest/gtest.h>

#include <random>
#include <tuple>

#include "forecast/lstm_model.hpp"
#include "simulate/service_comparison.hpp"

namespace cloudopt {
namespace {

// 10 days of 5-minute load: 20 at night, 60 from 09:00 to 17:00.
RegularSeries OfficeHours(UnixSeconds step = 300, int days = 10) {
    RegularSeries s;
    s.start = 1'700'006'400;  // a midnight
    s.step = step;
    for (UnixSeconds t = 0; t < days * 86400; t += step) {
        const UnixSeconds tod = t % 86400;
        s.values.push_back(tod >= 9 * 3600 && tod < 17 * 3600 ? 60.0 : 20.0);
    }
    return s;
}

ReplayOptions Options() {
    ReplayOptions o;
    o.capacity_per_instance = 10;
    o.models.auto_includes_lstm = false;  // the statistical auto: quick and exact on this pattern
    return o;
}

TEST(Replay, PoliciesKeepTheirPromisesOnAKnownPattern) {
    auto r = ReplaySeries(OfficeHours(), {"static", "reactive", "predictive", "oracle"}, Options());
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& p = r->policies;
    // Static: ceil(60 / (10 x 0.80)) = 8 instances all the time; 2 days scored.
    EXPECT_EQ(p.at("static").actions, 0);
    EXPECT_DOUBLE_EQ(p.at("static").cost, 8 * 48.0);
    EXPECT_EQ(p.at("static").unmet, 0.0);
    for (int ready : p.at("static").ready) EXPECT_EQ(ready, 8);
    // The oracle never lets demand exceed ready capacity, and is the cheapest of those that don't.
    EXPECT_EQ(p.at("oracle").unmet, 0.0);
    EXPECT_EQ(p.at("oracle").hot, 0.0);
    EXPECT_LT(p.at("oracle").cost, p.at("static").cost);
    // The HPA only sees the 09:00 jump after it happened, then waits out the boot delay.
    EXPECT_GT(p.at("reactive").unmet, 0.0);
    EXPECT_LT(p.at("reactive").cost, p.at("static").cost);
    // Forecasting sees the jump coming: no unmet demand, and cheaper than static.
    EXPECT_EQ(p.at("predictive").unmet, 0.0);
    EXPECT_LT(p.at("predictive").cost, p.at("static").cost);
    EXPECT_GE(p.at("predictive").cost, p.at("oracle").cost);
    EXPECT_EQ(r->demand.size(), r->policies.at("oracle").ready.size());
}

// 10 days of 1-minute load: 100 with a little noise, but from minute 30 to 39 of every hour a batch adds up to
// 300 at random. No model foresees those minutes' load, but they come at the same minutes every hour.
RegularSeries ClockNoise() {
    RegularSeries s;
    s.start = 1'700'006'400;
    s.step = 60;
    std::mt19937 rng(8);
    std::normal_distribution<double> calm(0.0, 3.0);
    std::uniform_real_distribution<double> batch(0.0, 300.0);
    for (int m = 0; m < 10 * 1440; ++m) {
        const int minute = m % 60;
        s.values.push_back(100.0 + calm(rng) + (minute >= 30 && minute <= 39 ? batch(rng) : 0.0));
    }
    return s;
}

TEST(Replay, BandsByTheMinuteOfTheHourPutTheReserveWhereTheClockBoundLoadComes) {
    ReplayOptions by_phase = Options();
    // The bands are what this test reads: the flap budget would, by design, hold capacity through the calm minutes
    // of a resource that follows an hourly batch (each batch's scale-in is undone within 30 minutes).
    by_phase.engine.flap_guard.flap_budget_per_day = 0;
    ReplayOptions plain = by_phase;
    plain.models.phase_bands = false;
    const RegularSeries load = ClockNoise();
    auto with = ReplaySeries(load, {"predictive"}, by_phase);
    auto without = ReplaySeries(load, {"predictive"}, plain);
    ASSERT_TRUE(with.ok() && without.ok());
    const PolicyResult& a = with->policies.at("predictive");
    const PolicyResult& b = without->policies.at("predictive");
    // Mean ready instances in the batch's minutes and in the calm half hour before them.
    auto mean_ready = [&](const PolicyResult& r, int from_minute, int to_minute) {
        double sum = 0.0;
        int n = 0;
        for (std::size_t i = 0; i < r.ready.size(); ++i) {
            const UnixSeconds ts = load.TimeOf(with->first_scored + i);
            const int minute = static_cast<int>((ts % 3600) / 60);
            if (minute >= from_minute && minute <= to_minute) {
                sum += r.ready[i];
                ++n;
            }
        }
        return sum / n;
    };
    // One band for every minute is as wide in the calm minutes as in the batch's; bands by minute are narrow in
    // the calm minutes and wide in the batch's, and starve it no more often.
    EXPECT_LT(mean_ready(a, 0, 25), 0.9 * mean_ready(b, 0, 25));
    EXPECT_GT(mean_ready(a, 30, 39), mean_ready(b, 30, 39));
    EXPECT_LE(a.unmet, b.unmet);
    EXPECT_LE(a.unmet, 0.01);
}

TEST(Replay, LaunchesServeOnlyAfterTheBootDelayRoundedUpToAStep) {
    // One-minute steps and a 10-minute boot delay: the oracle must launch 10 steps ahead of the jump, and the
    // reactive policy leaves demand unmet for 10 steps or more after it.
    ReplayOptions o = Options();
    o.boot_delay_s = 600;
    auto r = ReplaySeries(OfficeHours(60, 5), {"reactive", "oracle"}, o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->policies.at("oracle").unmet, 0.0);
    const std::size_t scored = r->demand.size();
    EXPECT_GE(r->policies.at("reactive").unmet * static_cast<double>(scored), 10.0);
}

TEST(Replay, StepsWithoutDataAreBilledButNotScored) {
    // The HPA misses the first two steps after each 09:00 jump (it sees the jump one step late, then waits out
    // the boot delay). Flag exactly those steps as having no data: the same decisions, billed alike, none unmet.
    RegularSeries flagged = OfficeHours();
    flagged.missing.assign(flagged.values.size(), 0);
    for (std::size_t i = 0; i < flagged.values.size(); ++i) {
        const UnixSeconds tod = static_cast<UnixSeconds>(i) * flagged.step % 86400;
        if (tod == 9 * 3600 || tod == 9 * 3600 + 300) flagged.missing[i] = 1;
    }
    auto measured = ReplaySeries(OfficeHours(), {"reactive"}, Options());
    auto masked = ReplaySeries(flagged, {"reactive"}, Options());
    ASSERT_TRUE(measured.ok() && masked.ok());
    const PolicyResult& before = measured->policies.at("reactive");
    const PolicyResult& after = masked->policies.at("reactive");
    EXPECT_GT(before.unmet, 0.0);
    EXPECT_EQ(after.unmet, 0.0);
    EXPECT_DOUBLE_EQ(after.cost, before.cost);
    EXPECT_EQ(after.actions, before.actions);
}

TEST(Replay, AFleetNetworkTrainsOnTheTrainingPartsOnlyAndReplacesThePerSeriesLstm) {
    ReplayOptions o = Options();
    o.models.auto_includes_lstm = true;
    o.models.lstm.hidden = 8;
    o.models.lstm.window = 12;
    o.models.lstm.train.epochs = 1;
    std::map<std::string, RegularSeries> all = {{"a", OfficeHours()}, {"b", OfficeHours()}};
    for (double& v : all["b"].values) v *= 3;
    ReplayOptions with_fleet = o;
    ASSERT_TRUE(AddFleetNetwork(all, {"static", "predictive"}, with_fleet).ok());
    ASSERT_TRUE(static_cast<bool>(with_fleet.models.fleet));
    EXPECT_TRUE(with_fleet.models.fleet_replaces_lstm);
    // The scored part changed: the same weights, bit for bit, so the replay learns nothing of what it scores.
    std::map<std::string, RegularSeries> changed = all;
    const std::size_t first = ReplayTrainingPoints(changed["a"].values.size(), o.test_fraction);
    for (std::size_t i = first; i < changed["a"].values.size(); ++i) changed["a"].values[i] = 500.0;
    ReplayOptions again = o;
    ASSERT_TRUE(AddFleetNetwork(changed, {"predictive"}, again).ok());
    EXPECT_EQ(again.models.fleet.full->params, with_fleet.models.fleet.full->params);
    EXPECT_EQ(again.models.fleet.calibration->params, with_fleet.models.fleet.calibration->params);
    // The predictive policy forecasts with it.
    auto r = ReplaySeries(all["a"], {"predictive"}, with_fleet);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_LE(r->policies.at("predictive").unmet, 0.01);
    // No fleet for one series, without the predictive policy, or for a model other than auto.
    for (auto [series, policy, model] : {std::tuple{1, "predictive", "auto"}, std::tuple{2, "static", "auto"},
                                         std::tuple{2, "predictive", "holt_winters"}}) {
        ReplayOptions none = o;
        none.model = model;
        std::map<std::string, RegularSeries> some(all.begin(), std::next(all.begin(), series));
        ASSERT_TRUE(AddFleetNetwork(some, {policy}, none).ok());
        EXPECT_FALSE(static_cast<bool>(none.models.fleet)) << series << " " << policy << " " << model;
    }
}

TEST(Replay, DefaultUnitPutsTheTrainingP99AtTwentyInstances) {
    ReplayOptions o = Options();
    o.capacity_per_instance = 0;
    auto r = ReplaySeries(OfficeHours(), {"static"}, o);
    ASSERT_TRUE(r.ok());
    EXPECT_DOUBLE_EQ(r->capacity_per_instance, 3.0);  // p99 = 60, / 20
}

// The planner fed the load that came: never short, dearer than the oracle by what its rules cost (sizing at the
// target rather than the band's top, the reactive floor, the scale-in window), and cheaper than forecasts that
// cannot see the batch's random minutes.
TEST(Replay, PerfectForecastsShowWhatThePlannersRulesCostOnTheirOwn) {
    // Batches of a few minutes every hour are flaps by definition: with the flap budget on, once it is spent both
    // policies hold each batch's capacity through the hour (docs/SAVINGS.md, "The flap budget"), and the test is
    // about what foresight buys, so the budget is off here.
    ReplayOptions options = Options();
    options.engine.flap_guard.flap_budget_per_day = 0;
    auto r = ReplaySeries(ClockNoise(), {"predictive", "oracle", "perfect_forecast"}, options);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const PolicyResult& perfect = r->policies.at("perfect_forecast");
    EXPECT_EQ(perfect.unmet, 0.0);
    EXPECT_EQ(perfect.hot, 0.0);
    EXPECT_GT(perfect.cost, r->policies.at("oracle").cost);
    EXPECT_LT(perfect.cost, 0.9 * r->policies.at("predictive").cost);
    // The scale-in window holds each batch's capacity for 5 minutes after it: without one, less.
    ReplayOptions loose = options;
    loose.engine.stabilization_seconds = 0;
    auto l = ReplaySeries(ClockNoise(), {"perfect_forecast"}, loose);
    ASSERT_TRUE(l.ok());
    EXPECT_LT(l->policies.at("perfect_forecast").cost, perfect.cost);
}

// The service's loop.stabilization_seconds: after the 17:00 drop the predictive policy keeps the day's capacity
// for the window it is given, and pays for it.
TEST(Replay, ThePredictiveScaleInWaitsOutTheStabilizationWindowItIsGiven) {
    const RegularSeries load = OfficeHours(60);
    std::vector<double> costs;
    for (UnixSeconds window : {60, 300, 1800}) {
        ReplayOptions o = Options();
        o.engine.stabilization_seconds = window;
        auto r = ReplaySeries(load, {"predictive"}, o);
        ASSERT_TRUE(r.ok()) << r.error().message;
        const PolicyResult& p = r->policies.at("predictive");
        EXPECT_EQ(p.unmet, 0.0) << window;
        // Minutes after 17:00 in which the day's capacity (60 / (10 x 0.75) = 8 instances) was still ready, per day.
        int held = 0, evenings = 0;
        for (std::size_t i = 0; i < p.ready.size(); ++i) {
            const UnixSeconds tod = load.TimeOf(r->first_scored + i) % 86400;
            evenings += tod == 17 * 3600;
            held += tod >= 17 * 3600 && tod < 18 * 3600 && p.ready[i] >= 8;
        }
        ASSERT_GT(evenings, 0);
        const double minutes = static_cast<double>(held) / evenings;
        EXPECT_GE(minutes, static_cast<double>(window) / 60 - 1) << window;
        EXPECT_LE(minutes, static_cast<double>(window) / 60 + 5) << window;  // + the boot delay and a step
        costs.push_back(p.cost);
    }
    EXPECT_LT(costs[0], costs[1]);
    EXPECT_LT(costs[1], costs[2]);
    ReplayOptions bad = Options();
    bad.engine.stabilization_seconds = -1;
    EXPECT_EQ(ReplaySeries(load, {"predictive"}, bad).error().code, ErrorCode::kInvalidArgument);
}

TEST(Replay, RejectsBadInputWithAReason) {
    EXPECT_EQ(ReplaySeries(OfficeHours(), {"magic"}, Options()).error().code, ErrorCode::kInvalidArgument);
    ReplayOptions o = Options();
    o.target = 1.5;
    EXPECT_EQ(ReplaySeries(OfficeHours(), {"static"}, o).error().code, ErrorCode::kInvalidArgument);
    RegularSeries tiny = OfficeHours();
    tiny.values.resize(5);
    EXPECT_EQ(ReplaySeries(tiny, {"static"}, Options()).error().code, ErrorCode::kUnprocessable);
}

}  // namespace
}  // namespace cloudopt

namespace cloudopt {
namespace {

TEST(ServiceComparison, ReplaysTheBaselinesOnRecordedLoadBesideWhatRan) {
    Resource r;
    r.capacity_per_instance = 10;
    r.boot_delay_s = 180;  // one 300 s step
    std::vector<Sample> demand, ready, cost;
    const UnixSeconds t0 = 1'000'000 - 1'000'000 % 300;
    for (int i = 0; i < 13; ++i) {
        const UnixSeconds ts = t0 + i * 300;
        demand.push_back({ts, i == 6 ? 75.0 : 30.0});  // one spike the recorded fleet missed
        ready.push_back({ts, 5.0});
        cost.push_back({ts, 0.5});
    }
    demand.insert(demand.begin(), Sample{t0 - 300, 500.0});  // before cloudopt managed it: not compared
    auto c = CompareWithBaselines(r, 0.1, demand, ready, cost, 300);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->steps, 12u);
    // static: ceil(75 / (10 x 0.8)) = 10 instances over 12 steps of 5 minutes, at $0.1.
    EXPECT_NEAR(c->policies["static"].instance_hours, 10.0, 1e-9);
    EXPECT_NEAR(c->policies["static"].cost, 1.0, 1e-9);
    EXPECT_EQ(c->policies["static"].unmet, 0.0);
    // The oracle holds the spike at the lowest cost; HPA meets it late.
    EXPECT_EQ(c->policies["oracle"].unmet, 0.0);
    EXPECT_LT(c->policies["oracle"].cost, c->policies["static"].cost);
    EXPECT_GT(c->policies["reactive"].unmet, 0.0);
    // What ran: $0.5/h for an hour, 5 instances that missed the spike in 1 of 12 steps.
    EXPECT_NEAR(c->policies["actual"].cost, 0.5, 1e-9);
    EXPECT_NEAR(c->policies["actual"].instance_hours, 5.0, 1e-9);
    EXPECT_NEAR(c->policies["actual"].unmet, 1.0 / 12.0, 1e-9);
    EXPECT_EQ(c->policies["actual"].actions, 0);

    EXPECT_EQ(CompareWithBaselines(r, 0.1, demand, {}, cost, 300).error().code, ErrorCode::kUnprocessable);
    EXPECT_FALSE(CompareWithBaselines(r, 0.1, {demand.begin(), demand.begin() + 2}, ready, cost, 300).ok());
}

}  // namespace
}  // namespace cloudopt

namespace cloudopt {
namespace {

TEST(Flaps, AChangeThatUndoesThePreviousOneWithinThirtyMinutesIsAFlap) {
    EXPECT_TRUE(IsFlap({0, 3, 4}, {1800, 4, 3}));
    EXPECT_FALSE(IsFlap({0, 3, 4}, {1801, 4, 3})) << "outside the window";
    EXPECT_FALSE(IsFlap({0, 3, 4}, {600, 4, 5})) << "onward, not back";
    EXPECT_FALSE(IsFlap({0, 3, 4}, {600, 4, 2})) << "past where it was";
}

TEST(Flaps, TheReplayCountsChangesAndFlapsPerResourceDay) {
    RegularSeries steady = OfficeHours();
    RegularSeries flapping = OfficeHours();
    for (std::size_t i = 0; i < flapping.values.size(); ++i)
        flapping.values[i] = i % 6 < 3 ? 60.0 : 20.0;  // 30-min swings
    ReplayOptions o = Options();
    auto calm = ReplaySeries(steady, {"static", "reactive"}, o);
    auto swinging = ReplaySeries(flapping, {"static", "reactive"}, o);
    ASSERT_TRUE(calm.ok() && swinging.ok());
    const PolicyResult& c = calm->policies.at("reactive");  // the HPA rule follows what it sees
    const PolicyResult& s = swinging->policies.at("reactive");
    EXPECT_NEAR(c.days, s.days, 1e-9);
    EXPECT_GT(c.days, 1.9);  // the scored part of 10 days
    EXPECT_EQ(calm->policies.at("static").flaps, 0);
    EXPECT_LE(c.flaps, c.actions);
    EXPECT_EQ(c.flaps, 0) << "twice a day up and down, hours apart";
    EXPECT_GT(s.flaps, 100) << s.actions << " changes";
}

}  // namespace
}  // namespace cloudopt
