#include "allocate/capacity_planner.hpp"

#include <gtest/gtest.h>

#include "allocate/plan_history.hpp"

namespace cloudopt {
namespace {

constexpr UnixSeconds kNow = 1'000'000;

PlanInput Input(std::vector<double> p95_per_minute, std::optional<double> load, int current) {
    PlanInput in;
    in.resource.name = "web";
    in.resource.capacity_per_instance = 10;
    in.resource.min_capacity = 1;
    in.resource.max_capacity = 50;
    in.resource.boot_delay_s = 180;
    in.now = kNow;
    in.tick_seconds = 60;
    in.current_capacity = current;
    in.current_load = load;
    Forecast f;
    f.step = 60;
    for (std::size_t i = 0; i < p95_per_minute.size(); ++i) {
        const double v = p95_per_minute[i];
        f.points.push_back({kNow + static_cast<UnixSeconds>(i) * 60, v * 0.8, v * 0.9, v, v * 1.2});
    }
    if (!p95_per_minute.empty()) in.forecast = f;
    return in;
}

TEST(InstancesFor, RoundsUpWithoutFloatNoise) {
    EXPECT_EQ(InstancesFor(75, 10, 0.75), 10);
    EXPECT_EQ(InstancesFor(75.01, 10, 0.75), 11);
    EXPECT_EQ(InstancesFor(0, 10, 0.75), 0);
}

TEST(Planner, CoversTheForecastPeakWithinBootDelayPlusOneTick) {
    // Peak 150 at +4 min (inside 180 s + 60 s), a bigger peak at +10 min (outside): only the first counts.
    PlanDecision d = CapacityPlanner().Plan(Input({50, 60, 70, 80, 150, 60, 60, 60, 60, 60, 400}, 40, 5));
    EXPECT_EQ(d.desired, 20);  // ceil(150 / (10 * 0.75))
    EXPECT_EQ(d.bound_by, "forecast");
    EXPECT_NE(d.reason.find("p95 peak 150.00"), std::string::npos) << d.reason;
    EXPECT_NE(d.reason.find("boot delay 180s"), std::string::npos) << d.reason;
}

TEST(Planner, ScaleOutIsSizedByTheStepsALaunchCanServe) {
    // The peak is in the step under way, over before anything launched now is ready (180 s): the 5 running
    // hold it, and the scale-out covers the 60 expected once a launch can serve.
    PlanDecision d = CapacityPlanner().Plan(Input({150, 60, 60, 60, 60}, 40, 5));
    EXPECT_EQ(d.desired, 8);  // ceil(60 / 7.5)
    EXPECT_NE(d.reason.find("held by the 5 running"), std::string::npos) << d.reason;
    // The sentence names the peak that set the size (the one a launch can serve), not the earlier one.
    const std::string summary = SummarizeDecision(d.explanation);
    EXPECT_NE(summary.find("forecast 60 "), std::string::npos) << summary;
    EXPECT_NE(summary.find("in 3 min needs 8 at 75%"), std::string::npos) << summary;
    // Scaling in, the same early peak keeps the running instances: they are what serves it.
    EXPECT_EQ(CapacityPlanner().Plan(Input({150, 60, 60, 60, 60}, 40, 30)).desired, 20);
}

TEST(Planner, ReactiveFloorWinsWhenLoadExceedsTheForecast) {
    PlanDecision d = CapacityPlanner().Plan(Input({10, 10, 10, 10, 10}, 100, 5));
    EXPECT_EQ(d.desired, 13);  // ceil(100 / (10 * 0.80))
    EXPECT_EQ(d.bound_by, "reactive_floor");
}

TEST(Planner, ScaleInWaitsForTheStabilizationWindow) {
    PlanInput in = Input({20, 20, 20, 20, 20}, 20, 10);
    in.stabilization_floor = 8;
    PlanDecision d = CapacityPlanner().Plan(in);
    EXPECT_EQ(d.recommended, 3);
    EXPECT_EQ(d.desired, 8);
    EXPECT_EQ(d.bound_by, "stabilization");
    in.stabilization_floor = 0;
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 3);
}

TEST(Planner, MinAndMaxAreHardLimits) {
    PlanInput low = Input({1, 1, 1, 1}, 1, 3);
    low.resource.min_capacity = 2;
    PlanDecision d = CapacityPlanner().Plan(low);
    EXPECT_EQ(d.desired, 2);
    EXPECT_EQ(d.bound_by, "min_capacity");
    PlanInput high = Input({10000, 10000, 10000, 10000}, 1, 3);
    d = CapacityPlanner().Plan(high);
    EXPECT_EQ(d.desired, 50);
    EXPECT_EQ(d.bound_by, "max_capacity");
}

TEST(Planner, NeverScalesInWithoutAFreshMeasurementButMayScaleOut) {
    PlanDecision d = CapacityPlanner().Plan(Input({10, 10, 10, 10}, std::nullopt, 9));
    EXPECT_EQ(d.desired, 9);
    EXPECT_EQ(d.bound_by, "stale_metrics");
    EXPECT_NE(d.reason.find("no fresh load measurement"), std::string::npos);
    d = CapacityPlanner().Plan(Input({150, 150, 150, 150}, std::nullopt, 9));
    EXPECT_EQ(d.desired, 20);
    EXPECT_EQ(d.bound_by, "forecast");
}

TEST(Planner, HoldsWhenBlind) {
    PlanDecision d = CapacityPlanner().Plan(Input({}, std::nullopt, 7));
    EXPECT_EQ(d.desired, 7);
    EXPECT_EQ(d.bound_by, "hold");
}

TEST(Planner, ScaleInNeverGoesBelowWhatTheForecastNeedsWithinTheWindow) {
    // The lead window (180 s + 60 s) sees 20s only; the stabilization window (300 s) also sees 150 at +300 s.
    PlanInput in = Input({20, 20, 20, 20, 20, 150}, 20, 30);
    in.stabilization_seconds = 300;
    PlanDecision d = CapacityPlanner().Plan(in);
    EXPECT_EQ(d.recommended, 3);
    EXPECT_EQ(d.desired, 20);
    EXPECT_EQ(d.bound_by, "stabilization");
    EXPECT_NE(d.reason.find("within the next 300s"), std::string::npos) << d.reason;
    in.stabilization_seconds = 120;  // a shorter window does not reach the peak
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 3);
}

TEST(Planner, AtMostOneChangeOfDirectionPerWindow) {
    PlanInput in = Input({20, 20, 20, 20, 20}, 20, 10);
    in.recent_directions = {-1, +1};  // in, then out: a further scale-in would be the second reversal
    PlanDecision d = CapacityPlanner().Plan(in);
    EXPECT_EQ(d.desired, 10);
    EXPECT_EQ(d.bound_by, "no_flapping");
    in.recent_directions = {+1};  // the first reversal is allowed
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 3);
    in.recent_directions = {+1, -1};   // a scale-out is never held back, whatever came before
    in.forecast->points[3].p95 = 150;  // at +180 s, when a launch is ready
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 20);
}

TEST(Planner, MaxStepLimitsEachChange) {
    PlanInput in = Input({150, 150, 150, 150}, 40, 5);
    in.resource.max_step = 4;
    PlanDecision d = CapacityPlanner().Plan(in);
    EXPECT_EQ(d.desired, 9);
    EXPECT_EQ(d.bound_by, "max_step");
    in = Input({10, 10, 10, 10}, 10, 20);
    in.resource.max_step = 4;
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 16);
}

TEST(Planner, TheResourcesRiskSettingNamesTheQuantile) {
    PlanInput in = Input({100, 100, 100, 100}, 10, 5);  // p50 = 80, p95 = 100
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 14);  // ceil(100 / 7.5)
    in.resource.risk_quantile = "p50";
    PlanDecision d = CapacityPlanner().Plan(in);
    EXPECT_EQ(d.desired, 11);  // ceil(80 / 7.5)
    EXPECT_NE(d.reason.find("p50 peak 80.00"), std::string::npos) << d.reason;
    // A careful one sizes for the rare peak.
    in.resource.risk_quantile = "p99";
    d = CapacityPlanner().Plan(in);
    EXPECT_EQ(d.desired, 16);  // ceil(120 / 7.5)
    EXPECT_NE(d.reason.find("p99 peak 120.00"), std::string::npos) << d.reason;
}

Catalog TestCatalog() {
    return Catalog({{"aws", "m5.large", 2, 8, 0.096, 0.034, "us-east-1"},
                    {"aws", "m6g.large", 2, 8, 0.077, 0.027, "us-east-1"},
                    {"aws", "c5.large", 2, 4, 0.085, 0.030, "us-east-1"},
                    {"aws", "r5.large", 2, 16, 0.126, 0.044, "us-east-1"},
                    {"gcp", "e2-standard-2", 2, 8, 0.067006, 0.020, "us-central1"}});
}

TEST(Planner, PricesTheChangeAndFindsTheCheapestMixAmongAllowedTypes) {
    const Catalog catalog = TestCatalog();
    PlanInput in = Input({150, 150, 150, 150}, 40, 5);  // 150 / 7.5 = 20 instances of m5.large
    in.resource.provider = "aws";
    in.resource.instance_type = "m5.large";
    in.catalog = &catalog;
    PlanDecision d = CapacityPlanner().Plan(in);
    EXPECT_EQ(d.desired, 20);
    EXPECT_NEAR(d.cost_before_per_hour, 5 * 0.096, 1e-9);
    EXPECT_NEAR(d.cost_after_per_hour, 20 * 0.096, 1e-9);
    ASSERT_EQ(d.mix.size(), 1u);  // only its own type is allowed
    EXPECT_EQ(d.mix[0].name, "m5.large");
    EXPECT_EQ(d.mix[0].count, 20);

    // c5.large lacks the memory (the workload needs 8 GiB per 2 vCPU), m6g.large is the cheapest that fits.
    in.resource.allowed_types = {"c5.large", "m6g.large", "r5.large"};
    d = CapacityPlanner().Plan(in);
    ASSERT_EQ(d.mix.size(), 1u);
    EXPECT_EQ(d.mix[0].name, "m6g.large");
    EXPECT_EQ(d.mix[0].count, 20);
    EXPECT_NEAR(d.mix_cost_per_hour, 20 * 0.077, 1e-9);
    EXPECT_NE(d.reason.find("40.00 vCPU / 160.00 GiB among 4 allowed type(s): 20 x m6g.large = $1.540/h"),
              std::string::npos)
        << d.reason;
    EXPECT_NE(d.reason.find("saves $0.380/h"), std::string::npos) << d.reason;

    // Across clouds by provider/name, and a bounded spot share.
    in.resource.allowed_types = {"gcp/e2-standard-2"};
    in.resource.spot_share_max = 0.25;
    d = CapacityPlanner().Plan(in);
    int spot_vcpu = 0, all_vcpu = 0;
    for (const MixLine& l : d.mix) {
        all_vcpu += 2 * l.count;
        if (l.spot) spot_vcpu += 2 * l.count;
    }
    EXPECT_GE(all_vcpu, 40);
    EXPECT_LE(spot_vcpu, all_vcpu / 4);
    EXPECT_EQ(spot_vcpu, 10);  // 5 spot + 15 on-demand e2-standard-2: spot as far as the share allows
    EXPECT_NE(d.reason.find("up to 25.00% spot"), std::string::npos) << d.reason;
}

TEST(PlanHistory, KeepsTheWindowsRecommendationsAndChanges) {
    PlanHistory history(300);
    history.RecordRecommendation(1000, 12);
    history.RecordChange(1000, 8, 12);
    history.RecordRecommendation(1100, 9);
    history.RecordChange(1100, 12, 9);
    PlanInput in;
    history.Fill(1200, in);
    EXPECT_EQ(in.stabilization_floor, 12);
    EXPECT_EQ(in.recent_directions, (std::vector<int>{+1, -1}));
    EXPECT_EQ(in.stabilization_seconds, 300);
    history.Fill(1300, in);  // 1000 has left the window
    EXPECT_EQ(in.stabilization_floor, 9);
    EXPECT_EQ(in.recent_directions, (std::vector<int>{-1}));
    history.RecordChange(1300, 9, 9);  // no change, no direction
    history.Fill(1500, in);
    EXPECT_EQ(in.stabilization_floor, 0);
    EXPECT_TRUE(in.recent_directions.empty());
}


TEST(Planner, TheServiceLevelCorrectionMovesTheBandAboveTheMedianByItsUsualWidth) {
    // p50 = 0.8 x p95: a p95 peak of 150 has a band of 30 above its median of 120.
    PlanInput in = Input({50, 60, 70, 80, 150, 60}, 40, 5);
    in.band_correction = 1.0;  // without a usual width, the point's own: 150 + 30 = 180
    PlanDecision wide = CapacityPlanner().Plan(in);
    EXPECT_EQ(wide.desired, 24);  // ceil(180 / 7.5)
    EXPECT_NE(wide.reason.find("band above the median + 1.00 x its usual width"), std::string::npos) << wide.reason;
    EXPECT_NE(wide.reason.find("widened after starved steps"), std::string::npos) << wide.reason;
    in.band_correction = -5.0;  // never under the median: 120
    PlanDecision median = CapacityPlanner().Plan(in);
    EXPECT_EQ(median.desired, 16);  // ceil(120 / 7.5)
    EXPECT_NE(median.reason.find("narrowed while none came"), std::string::npos) << median.reason;
    in.band_correction = 0.0;
    EXPECT_EQ(CapacityPlanner().Plan(in).reason.find("service-level"), std::string::npos);
    // Bands by the phase of the hour: the peak's band of 30 is wide for its phase, and usually it is 5 wide. The
    // correction moves it by the usual width, 150 + 5 = 155, not by its own (180).
    in.band_correction = 1.0;
    in.band_unit90.assign(6, 2.5);
    in.band_unit95.assign(6, 5.0);
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 21);  // ceil(155 / 7.5)
    in.band_correction = -10.0;  // never under the median: 120
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 16);
}

TEST(PlanHistory, TheUsualBandWidthIsARunningMeanOverADayOfPasses) {
    PlanHistory history(300, ServiceLevel{});
    PlanInput calm = Input({100, 100}, 80, 5);  // bands 10 (p90) and 20 (p95) above a median of 80
    PlanInput burst = Input({300, 100}, 80, 5); // the first step's p95 band is 60 at a bursting phase
    history.Fill(kNow, calm);
    ASSERT_EQ(calm.band_unit95.size(), 2u);
    EXPECT_DOUBLE_EQ(calm.band_unit95[0], 20.0);
    EXPECT_DOUBLE_EQ(calm.band_unit90[0], 10.0);
    // A pass a minute later at a bursting phase moves the usual width by 60 / 86400 of the difference only.
    history.Fill(kNow + 60, burst);
    EXPECT_NEAR(burst.band_unit95[0], 20.0 + (60.0 - 20.0) * 60.0 / 86400.0, 1e-9);
    EXPECT_DOUBLE_EQ(burst.band_unit95[1], 20.0);
    // Without a forecast there is nothing to measure the correction in.
    PlanInput none = Input({}, 80, 5);
    history.Fill(kNow + 120, none);
    EXPECT_TRUE(none.band_unit95.empty());
}

TEST(PlanHistory, TheServiceLevelCorrectionSettlesWhereStarvedStepsAreTheBudget) {
    PlanHistory history(300, ServiceLevel{.budget = 0.01, .rate = 0.5});
    history.ObserveService(true);
    EXPECT_DOUBLE_EQ(history.band_correction(), 0.5 * 0.99);
    history.ObserveService(false);
    EXPECT_DOUBLE_EQ(history.band_correction(), 0.5 * 0.99 - 0.5 * 0.01);
    PlanInput in;
    history.Fill(1000, in);
    EXPECT_DOUBLE_EQ(in.band_correction, history.band_correction());
    // One starved step in a hundred leaves it where it was; none narrows it down to the median and no further.
    const double before = history.band_correction();
    for (int i = 0; i < 100; ++i) history.ObserveService(i == 50);
    EXPECT_NEAR(history.band_correction(), before, 1e-9);
    for (int i = 0; i < 10000; ++i) history.ObserveService(false);
    EXPECT_DOUBLE_EQ(history.band_correction(), -1.0);
    // Off: nothing moves.
    PlanHistory off(300, ServiceLevel{.budget = 0.01, .rate = 0.0});
    off.ObserveService(true);
    EXPECT_DOUBLE_EQ(off.band_correction(), 0.0);
}
}  // namespace
}  // namespace cloudopt

namespace cloudopt {
namespace {

TEST(FlapGuard, ScaleInIsSizedWithHysteresisAndWaitsAfterAScaleOut) {
    FlapGuard guard{1800, 0.10, 8};
    PlanInput in = Input({70, 70, 70, 70, 70}, 60, 12);
    // Without the guard: ceil(70 / 7.5) = 10.
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 10);
    in.flap_guard = guard;
    PlanDecision d = CapacityPlanner().Plan(in);
    EXPECT_EQ(d.desired, 11);  // ceil(70 / (10 x 0.65))
    EXPECT_EQ(d.bound_by, "hysteresis");
    EXPECT_NE(d.reason.find("hysteresis 0.10"), std::string::npos) << d.reason;

    in.last_change = CapacityChange{kNow - 600, 8, 12};  // a scale-out ten minutes ago
    d = CapacityPlanner().Plan(in);
    EXPECT_EQ(d.desired, 12);
    EXPECT_EQ(d.bound_by, "no_flapping");
    EXPECT_NE(d.reason.find("scale-out 10 min ago (flap window 30 min"), std::string::npos) << d.reason;
    in.last_change = CapacityChange{kNow - 1800, 8, 12};
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 11) << "the window has passed";
    in.last_change = CapacityChange{kNow - 600, 14, 12};  // the last change was a scale-in: no wait
    EXPECT_EQ(CapacityPlanner().Plan(in).desired, 11);

    // A scale-out is never held back.
    PlanInput burst = Input({150, 150, 150, 150, 150}, 140, 12);
    burst.flap_guard = guard;
    burst.last_change = CapacityChange{kNow - 60, 14, 12};
    EXPECT_EQ(CapacityPlanner().Plan(burst).desired, 20);
}

TEST(FlapGuard, TheLookaheadRidesOutADipTheForecastSeesEnding) {
    // Load 60 now (8 at 75%), a dip to 20 for ten minutes, then 90 back from +15 min.
    std::vector<double> p95(40, 90.0);
    for (int i = 0; i < 15; ++i) p95[static_cast<std::size_t>(i)] = i < 2 ? 60.0 : 20.0;
    PlanInput in = Input(p95, 20, 12);
    in.stabilization_seconds = 0;
    PlanDecision without = CapacityPlanner().Plan(in);
    EXPECT_LT(without.desired, 12) << "without a lookahead the dip is scaled in";
    in.flap_guard.lookahead_seconds = 1800;
    PlanDecision with = CapacityPlanner().Plan(in);
    EXPECT_EQ(with.desired, 12);  // ceil(90 / 7.5) = 12: what the load coming back needs
    EXPECT_EQ(with.bound_by, "lookahead");
    EXPECT_NE(with.explanation.held_by.find("within the next 30 min (scale-in lookahead)"), std::string::npos)
        << with.explanation.held_by;
    // A dip the forecast expects to last beyond the lookahead is scaled in.
    in.flap_guard.lookahead_seconds = 600;
    EXPECT_LT(CapacityPlanner().Plan(in).desired, 12);
    // Scale-out is never held: the lookahead reads only scale-in.
    PlanInput out = Input(std::vector<double>(40, 150.0), 140, 12);
    out.flap_guard.lookahead_seconds = 1800;
    EXPECT_EQ(CapacityPlanner().Plan(out).desired, 20);
}

TEST(FlapGuard, AResourceThatFlapsWaitsLongerAndCalmsDown) {
    PlanHistory history(300, {}, FlapGuard{1800, 0.10, 8});
    auto window = [&](UnixSeconds now) {
        PlanInput in;
        history.Fill(now, in);
        return in.flap_guard.window_seconds;
    };
    history.RecordChange(0, 3, 4);
    EXPECT_EQ(window(0), 1800);
    history.RecordChange(600, 4, 3);  // back within 30 minutes: a flap
    EXPECT_EQ(window(600), 3600);
    history.RecordChange(900, 3, 4);  // and again
    EXPECT_EQ(window(900), 7200);
    for (int i = 0; i < 5; ++i) history.RecordChange(1000 + i, 4 + i % 2, 5 - i % 2);
    EXPECT_EQ(window(2000), 8 * 1800) << "at most max_backoff times";
    history.RecordChange(2000 + 8 * 1800, 4, 6);  // a whole window without a flap halves it
    EXPECT_EQ(window(2000 + 8 * 1800), 4 * 1800);
}

}  // namespace
}  // namespace cloudopt
