// The short sentence a decision is shown with, built from its fields (core/action.hpp SummarizeDecision).

#include <gtest/gtest.h>

#include "core/action.hpp"

namespace cloudopt {
namespace {

DecisionExplanation ForecastBound() {
    DecisionExplanation e;
    e.rule = "forecast";
    e.quantile = "p95";
    e.metric = "cores";
    e.has_forecast = true;
    e.forecast_peak = 17.5;
    e.forecast_peak_in = 240;
    e.target_utilization = 0.75;
    e.from = 10;
    e.to = 12;
    e.cost_before_per_hour = 0.95;
    e.cost_after_per_hour = 1.14;
    return e;
}

TEST(DecisionSummary, AForecastBoundChangeSaysTheBandThePeakWhenTheNeedAndTheCost) {
    EXPECT_EQ(SummarizeDecision(ForecastBound()),
              "10 -> 12: p95 forecast 17.5 cores in 4 min needs 12 at 75%; +$0.190/h");
    DecisionExplanation now = ForecastBound();
    now.forecast_peak_in = 0;  // the peak is in the step under way
    EXPECT_EQ(SummarizeDecision(now), "10 -> 12: p95 forecast 17.5 cores now needs 12 at 75%; +$0.190/h");
}

TEST(DecisionSummary, AScaleInHeldByARuleSaysTheRuleAndWhatItSaves) {
    DecisionExplanation e = ForecastBound();
    e.rule = "hysteresis";
    e.held_by = "scale-in sized at 65% utilization, not 75% (hysteresis: no one-instance back and forth)";
    e.from = 12;
    e.to = 11;
    e.cost_before_per_hour = 1.14;
    e.cost_after_per_hour = 1.045;
    EXPECT_EQ(SummarizeDecision(e),
              "12 -> 11: scale-in sized at 65% utilization, not 75% (hysteresis: no one-instance back and forth); "
              "-$0.095/h");
}

TEST(DecisionSummary, AHoldSaysHoldingAndNoCost) {
    DecisionExplanation e;
    e.rule = "hold";
    e.from = e.to = 4;
    EXPECT_EQ(SummarizeDecision(e), "holding 4: no forecast and no load measurement: nothing changes blind");
    e.from = 2;  // running under min_capacity 4
    EXPECT_EQ(SummarizeDecision(e),
              "2 -> 4: no forecast and no load measurement: only brought within min/max capacity");
}

TEST(DecisionSummary, AReactiveFloorSaysTheMeasuredLoad) {
    DecisionExplanation e;
    e.rule = "reactive_floor";
    e.metric = "rps";
    e.has_load = true;
    e.current_load = 1234.0;
    e.reactive_floor = 9;
    e.from = 5;
    e.to = 9;
    EXPECT_EQ(SummarizeDecision(e), "5 -> 9: the load now, 1234 rps, needs 9 (no forecast)");
    e.has_forecast = true;
    e.forecast_peak = 900;
    EXPECT_EQ(SummarizeDecision(e), "5 -> 9: the load now, 1234 rps, needs 9 (above the forecast)");
}

}  // namespace
}  // namespace cloudopt
