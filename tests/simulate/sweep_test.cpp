#include "simulate/sweep.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace cloudopt {
namespace {

// Five-minute steps, 6 days of a daily cycle with noise-free ramps: enough to train on 80% and score a day.
RegularSeries Cycle() {
    RegularSeries s{1'700'006'400, 300, {}, {}};
    for (int i = 0; i < 6 * 288; ++i)
        s.values.push_back(100.0 + 80.0 * std::sin(2 * std::numbers::pi * i / 288.0) + (i % 288 == 100 ? 60.0 : 0.0));
    return s;
}

ReplayOptions Quick() {
    ReplayOptions o;
    o.model = "seasonal_naive";  // trained in milliseconds: the sweep's logic is under test, not the model
    return o;
}

const SweepPoint* Find(const std::vector<SweepPoint>& points, const std::string& policy, const std::string& key,
                       double value) {
    for (const SweepPoint& p : points)
        if (p.policy == policy && p.setting.count(key) && std::abs(p.setting.at(key) - value) < 1e-9) return &p;
    return nullptr;
}

TEST(Sweep, TheHpaRuleCostsMoreAndMissesLessAtALowerTarget) {
    SweepGrid grid;
    grid.hpa_targets = {0.3, 0.9};
    auto points = SweepFamily(Cycle(), "reactive", Quick(), grid);
    ASSERT_TRUE(points.ok()) << points.error().message;
    ASSERT_EQ(points->size(), 2u);
    const SweepPoint* low = Find(*points, "reactive", "target", 0.3);
    const SweepPoint* high = Find(*points, "reactive", "target", 0.9);
    ASSERT_TRUE(low && high);
    EXPECT_GT(low->cost_rel, high->cost_rel);
    EXPECT_LE(low->unmet, high->unmet);
    EXPECT_GT(high->unmet, 0.0);  // at 90% the boot delay leaves the ramps short
}

TEST(Sweep, TheOracleAndStaticAreOnePointEachAndStaticIsTheYardstick) {
    auto points = SweepFamily(Cycle(), "oracle", Quick(), {});
    ASSERT_TRUE(points.ok());
    ASSERT_EQ(points->size(), 2u);
    EXPECT_EQ((*points)[0].policy, "oracle");
    EXPECT_EQ((*points)[0].unmet, 0.0);
    EXPECT_LT((*points)[0].cost_rel, 1.0);
    EXPECT_EQ((*points)[1].policy, "static");
    EXPECT_DOUBLE_EQ((*points)[1].cost_rel, 1.0);
}

TEST(Sweep, PredictiveTrainsOnceAndAHigherQuantileCostsMore) {
    SweepGrid grid;
    grid.quantiles = {0.5, 0.99};
    grid.unmet_budgets = {0.005};
    auto points = SweepFamily(Cycle(), "predictive", Quick(), grid);
    ASSERT_TRUE(points.ok()) << points.error().message;
    const SweepPoint* p50 = Find(*points, "predictive", "quantile", 0.5);
    const SweepPoint* p99 = Find(*points, "predictive", "quantile", 0.99);
    ASSERT_TRUE(p50 && p99);
    EXPECT_GE(p99->cost_rel, p50->cost_rel);
    EXPECT_LE(p99->unmet, p50->unmet);
    grid.quantiles = {0.97};
    auto bad = SweepFamily(Cycle(), "predictive", Quick(), grid);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("calibrated"), std::string::npos);
}

// p99.9 has no band of its own: it is extrapolated from the p95-p99 spacing with an exponential tail's ratio
// (core/forecast.hpp), never below p99, and the sweep runs it as a setting that costs at least p99's.
TEST(Sweep, P999IsExtrapolatedFromTheBandsTailAndSwept) {
    ForecastPoint point{0, 100, 120, 130, 150};
    EXPECT_NEAR(PointQuantile(point, QuantileLevel::kP999), 150 + 20 * std::log(10.0) / std::log(5.0), 1e-9);
    EXPECT_NEAR(PointQuantile(point, QuantileLevel::kP999), 178.61, 0.01);
    ForecastPoint flat{0, 100, 100, 100, 100};
    EXPECT_DOUBLE_EQ(PointQuantile(flat, QuantileLevel::kP999), 100);  // no tail, no extrapolated headroom
    EXPECT_EQ(ParseQuantileLevel("p99.9"), QuantileLevel::kP999);
    EXPECT_STREQ(QuantileLevelName(QuantileLevel::kP999), "p99.9");
    EXPECT_EQ(SweepGrid{}.quantiles.back(), 0.999);  // in the default grid

    SweepGrid grid;
    grid.quantiles = {0.99, 0.999};
    grid.unmet_budgets = {0.005};
    auto points = SweepFamily(Cycle(), "predictive", Quick(), grid);
    ASSERT_TRUE(points.ok()) << points.error().message;
    const SweepPoint* p99 = Find(*points, "predictive", "quantile", 0.99);
    const SweepPoint* p999 = Find(*points, "predictive", "quantile", 0.999);
    ASSERT_TRUE(p99 && p999);
    EXPECT_GE(p999->cost_rel, p99->cost_rel - 1e-9);
    EXPECT_LE(p999->unmet, p99->unmet + 1e-9);
}

// RunSweepGrid: every family on every series, static once per series, means, and the cheapest named.
TEST(Sweep, RunSweepGridRunsEveryTaskAndNamesTheCheapest) {
    std::map<std::string, RegularSeries> all = {{"a", Cycle()}, {"b", Cycle()}};
    SweepRunOptions run;
    run.families = {"reactive", "oracle"};
    run.grid.hpa_targets = {0.3, 0.9};
    run.unmet_budget = 0.5;
    run.jobs = 2;
    std::size_t calls = 0;
    run.progress = [&calls](std::size_t done, std::size_t total, const std::string&, const std::string&) {
        ++calls;
        EXPECT_LE(done, total);
    };
    auto result = RunSweepGrid(all, Quick(), run);
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(calls, 4u);  // 2 series x 2 families
    EXPECT_EQ(result->ids, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(result->per_series.at("a").size(), 4u);  // reactive x 2, oracle, static
    EXPECT_EQ(result->points.size(), 4u);
    ASSERT_TRUE(result->cheapest.has_value());
    EXPECT_NE(result->cheapest->policy, "oracle");  // it sees the future: never named
    EXPECT_FALSE(result->cheapest_predictive.has_value());
    run.cancelled = [] { return true; };
    EXPECT_EQ(RunSweepGrid(all, Quick(), run).error().code, ErrorCode::kUnavailable);
    run.cancelled = {};
    run.families = {"spot"};
    EXPECT_EQ(RunSweepGrid(all, Quick(), run).error().code, ErrorCode::kInvalidArgument);
}

TEST(Sweep, TheSeasonalPolicyRunsAtEachTarget) {
    SweepGrid grid;
    grid.seasonal_targets = {0.4, 0.8};
    auto points = SweepFamily(Cycle(), "seasonal", Quick(), grid);
    ASSERT_TRUE(points.ok()) << points.error().message;
    ASSERT_EQ(points->size(), 2u);
    EXPECT_GT(Find(*points, "seasonal", "target", 0.4)->cost_rel, Find(*points, "seasonal", "target", 0.8)->cost_rel);
}

TEST(Sweep, AveragesPerSettingAndNamesTheCheapestWithinTheBudget) {
    const SweepPoint a{"reactive", {{"target", 0.5}}, 0.8, 0.01, 0, 0, 0};
    const SweepPoint b{"reactive", {{"target", 0.5}}, 0.6, 0.03, 0, 0, 0};
    const SweepPoint c{"predictive", {{"quantile", 0.95}}, 0.9, 0.001, 0, 0, 0};
    const auto mean = AverageSweep({{a, c}, {b}});
    ASSERT_EQ(mean.size(), 2u);
    EXPECT_DOUBLE_EQ(mean[0].cost_rel, 0.7);
    EXPECT_DOUBLE_EQ(mean[0].unmet, 0.02);
    EXPECT_EQ(CheapestWithin(mean, 0.02)->policy, "reactive");
    EXPECT_EQ(CheapestWithin(mean, 0.01)->policy, "predictive");
    EXPECT_FALSE(CheapestWithin(mean, 0.0001).has_value());
    EXPECT_EQ(CheapestWithin(mean, 0.02, "predictive")->Label(), "predictive quantile=0.95");
}

TEST(Sweep, RefusesUnknownPoliciesAndBadLists) {
    EXPECT_FALSE(SweepFamily(Cycle(), "spot", Quick(), {}).ok());
    EXPECT_FALSE(ParseSweepList("0.3,x", 0.1, 0.9, "--sweep-targets").ok());
    EXPECT_FALSE(ParseSweepList("0.95", 0.1, 0.9, "--sweep-targets").ok());
    auto ok = ParseSweepList(" 0.3, 0.5 ", 0.1, 0.9, "--sweep-targets");
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(*ok, (std::vector<double>{0.3, 0.5}));
}

}  // namespace
}  // namespace cloudopt
