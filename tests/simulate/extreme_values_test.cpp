// Extreme and non-finite values through the planner, the forecaster and the simulator: ingest refuses them
// (api/ingest_limits.hpp), but a store written before that rule, a cloud's answer or a model may still carry them,
// and no count may ever overflow into a negative capacity or a reason that says -2147483648.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "allocate/capacity_planner.hpp"
#include "forecast/auto_forecaster.hpp"
#include "simulate/replay.hpp"

namespace cloudopt {
namespace {

constexpr UnixSeconds kStart = 1'700'006'400;
const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

PlanInput InputWith(double forecast_value, std::optional<double> load) {
    PlanInput in;
    in.resource.name = "web";
    in.resource.capacity_per_instance = 10;
    in.resource.min_capacity = 1;
    in.resource.max_capacity = 50;
    in.resource.boot_delay_s = 180;
    in.now = kStart;
    in.tick_seconds = 60;
    in.current_capacity = 5;
    in.current_load = load;
    Forecast f;
    f.step = 60;
    for (int i = 0; i < 6; ++i)
        f.points.push_back({kStart + i * 60, forecast_value, forecast_value, forecast_value, forecast_value});
    in.forecast = f;
    return in;
}

TEST(ExtremeValues, InstanceCountsSaturateInsteadOfOverflowing) {
    EXPECT_EQ(InstancesFor(1e300, 10, 0.75), kMaxInstanceCount);
    EXPECT_EQ(InstancesFor(kInf, 10, 0.75), kMaxInstanceCount);
    EXPECT_EQ(InstancesFor(10, 0, 0.75), kMaxInstanceCount);
    EXPECT_EQ(InstancesFor(kNaN, 10, 0.75), 0);
    EXPECT_EQ(InstancesFor(-1e300, 10, 0.75), 0);
}

TEST(ExtremeValues, ThePlannerStaysWithinTheGroupLimitsAndSaysSo) {
    for (double forecast : {1e300, kInf, -1e300, kNaN, 0.0}) {
        for (std::optional<double> load : {std::optional<double>(), std::optional<double>(1e300),
                                           std::optional<double>(kNaN), std::optional<double>(-5.0)}) {
            const PlanDecision d = CapacityPlanner().Plan(InputWith(forecast, load));
            EXPECT_GE(d.desired, 1) << forecast << " / " << load.value_or(-1) << ": " << d.reason;
            EXPECT_LE(d.desired, 50) << forecast << ": " << d.reason;
            EXPECT_EQ(d.reason.find("-2147483648"), std::string::npos) << d.reason;
            EXPECT_TRUE(std::isfinite(d.cost_after_per_hour) || d.cost_after_per_hour == 0) << d.reason;
        }
    }
    EXPECT_EQ(CapacityPlanner().Plan(InputWith(1e300, std::nullopt)).desired, 50);
}

RegularSeries DailyWithSpike(double spike) {
    RegularSeries s;
    s.start = kStart;
    s.step = 300;
    for (int i = 0; i < 8 * 288; ++i) s.values.push_back(20.0 + 10.0 * std::sin(i * 2 * M_PI / 288));
    s.values[5 * 288 + 100] = spike;
    return s;
}

TEST(ExtremeValues, TheForecasterGivesFiniteBandsOrAClearError) {
    for (double spike : {1e300, 1e12, -1e300}) {
        auto f = AutoForecaster().Predict(DailyWithSpike(spike), 12);
        if (!f.ok()) {
            EXPECT_FALSE(f.error().message.empty());
            continue;
        }
        for (const ForecastPoint& p : f->points) {
            EXPECT_FALSE(std::isnan(p.p50)) << spike;
            EXPECT_FALSE(std::isnan(p.p95)) << spike;
        }
        // Whatever the bands, the planner turns them into a count within the limits.
        PlanInput in = InputWith(0, 30.0);
        in.forecast = *f;
        const PlanDecision d = CapacityPlanner().Plan(in);
        EXPECT_GE(d.desired, 1);
        EXPECT_LE(d.desired, 50);
    }
}

TEST(ExtremeValues, TheSimulatorRefusesWhatNoGroupCouldHoldAndReplaysTheRest) {
    ReplayOptions o;
    o.capacity_per_instance = 10;
    o.models.auto_includes_lstm = false;
    const std::vector<std::string> policies = {"static", "reactive", "predictive", "oracle"};
    for (double spike : {1e300, 1e9}) {  // a billion instances of 10 would be one record each
        auto refused = ReplaySeries(DailyWithSpike(spike), policies, o);
        ASSERT_FALSE(refused.ok());
        EXPECT_NE(refused.error().message.find("check the unit"), std::string::npos) << refused.error().message;
        EXPECT_FALSE(ReplayBaselines(DailyWithSpike(spike), 10, 180, 0.75, 0.8).ok());
    }
    auto r = ReplaySeries(DailyWithSpike(5e3), policies, o);  // a spike 100 times the load: replayed
    ASSERT_TRUE(r.ok()) << r.error().message;
    for (const auto& [name, policy] : r->policies) {
        for (int ready : policy.ready) EXPECT_GE(ready, 0) << name;
        EXPECT_GE(policy.actions, 0) << name;
        EXPECT_FALSE(std::isnan(policy.cost)) << name;
    }
}

}  // namespace
}  // namespace cloudopt

namespace cloudopt {
namespace {

// Hourly steps (the dashboard's month window): the HPA rule's scale-up limit doubles per 15 s sync, 240 times per
// step. It saturates instead of overflowing int (UBSan found it), and the baseline scales up like HPA would.
TEST(ExtremeValues, TheHpaRuleOnHourlyStepsSaturatesItsScaleUpLimit) {
    RegularSeries hourly;
    hourly.step = 3600;
    for (int h = 0; h < 72; ++h) hourly.values.push_back(h % 24 < 12 ? 20.0 : 400.0);
    auto replayed = ReplayBaselines(hourly, 10, 180, 0.75, 0.8);
    ASSERT_TRUE(replayed.ok()) << replayed.error().message;
    const PolicyResult& hpa = replayed->at("reactive");
    EXPECT_GT(hpa.actions, 0);
    EXPECT_LT(hpa.cost, replayed->at("static").cost);
    for (int ready : hpa.ready) EXPECT_LE(ready, 60);  // ceil(400 / (10 x 0.75)) = 54, never a runaway count
    EXPECT_GE(*std::max_element(hpa.ready.begin(), hpa.ready.end()), 54) << "it scales up to the afternoon's load";
}

}  // namespace
}  // namespace cloudopt
