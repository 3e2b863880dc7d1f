#include "core/sample.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace cloudopt {
namespace {

TEST(Downsample, AggregatesEachBucket) {
    const std::vector<Sample> s = {{0, 1}, {30, 3}, {59, 5}, {60, 10}, {150, 7}};
    EXPECT_EQ(Downsample(s, 60, Aggregation::kAvg), (std::vector<Sample>{{0, 3}, {60, 10}, {120, 7}}));
    EXPECT_EQ(Downsample(s, 60, Aggregation::kMin), (std::vector<Sample>{{0, 1}, {60, 10}, {120, 7}}));
    EXPECT_EQ(Downsample(s, 60, Aggregation::kMax), (std::vector<Sample>{{0, 5}, {60, 10}, {120, 7}}));
}

TEST(Downsample, LeavesEmptyBucketsOut) {
    const std::vector<Sample> s = {{0, 1}, {600, 2}};
    EXPECT_EQ(Downsample(s, 60, Aggregation::kAvg).size(), 2u);
}

TEST(Downsample, P95IsNearestRank) {
    std::vector<Sample> s;
    for (int i = 1; i <= 100; ++i) s.push_back({i, static_cast<double>(i)});
    auto out = Downsample(s, 1000, Aggregation::kP95);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_DOUBLE_EQ(out[0].value, 95.0);
}

TEST(Quantile, Edges) {
    EXPECT_EQ(Quantile({}, 0.5), 0.0);
    EXPECT_EQ(Quantile({3, 1, 2}, 0.0), 1.0);
    EXPECT_EQ(Quantile({3, 1, 2}, 1.0), 3.0);
    EXPECT_EQ(Quantile({3, 1, 2}, 0.5), 2.0);
}

TEST(FloorTo, HandlesNegativeTimes) {
    EXPECT_EQ(FloorTo(119, 60), 60);
    EXPECT_EQ(FloorTo(120, 60), 120);
    EXPECT_EQ(FloorTo(-1, 60), -60);
}

TEST(Regularize, HoldsTheLastValueThroughAGapAndMarksItMissing) {
    const std::vector<Sample> s = {{0, 0}, {10, 4}, {300, 10}};  // buckets 0 (mean 2), 300 (10); 100, 200 missing
    RegularSeries r = Regularize(s, 100);
    EXPECT_EQ(r.start, 0);
    EXPECT_EQ(r.step, 100);
    ASSERT_EQ(r.values.size(), 4u);
    EXPECT_EQ(r.values, (std::vector<double>{2.0, 2.0, 2.0, 10.0}));
    EXPECT_EQ(r.missing, (std::vector<std::uint8_t>{0, 1, 1, 0}));
    EXPECT_FALSE(r.IsMissing(0));
    EXPECT_TRUE(r.IsMissing(2));
    EXPECT_EQ(r.end(), 400);
}

TEST(Regularize, ASeriesWithoutGapsHasNoMissingFlags) {
    const std::vector<Sample> s = {{0, 1}, {100, 2}, {200, 3}};
    RegularSeries r = Regularize(s, 100);
    EXPECT_TRUE(r.missing.empty());
    EXPECT_FALSE(r.IsMissing(1));
}

TEST(Regularize, EmptyInputGivesEmptySeries) { EXPECT_TRUE(Regularize({}, 60).values.empty()); }

TEST(ParseAggregation, KnowsTheFourNames) {
    EXPECT_EQ(ParseAggregation("p95"), Aggregation::kP95);
    EXPECT_FALSE(ParseAggregation("median"));
}

}  // namespace
}  // namespace cloudopt
