#include "core/trace_csv.hpp"

#include <gtest/gtest.h>

namespace cloudopt {
namespace {

TEST(TraceCsv, ReadsManySeriesSortsAndDeduplicates) {
    auto t = ParseTraceCsv("timestamp,series,value\n20,a,2\n10,a,1\n10,b,5\n20,a,3\r\n");
    ASSERT_TRUE(t.ok()) << t.error().message;
    ASSERT_EQ(t->size(), 2u);
    EXPECT_EQ(t->at("a"), (std::vector<Sample>{{10, 1}, {20, 3}}));
    EXPECT_EQ(t->at("b"), (std::vector<Sample>{{10, 5}}));
}

TEST(TraceCsv, TwoColumnFormIsOneSeries) {
    auto t = ParseTraceCsv("1,2.5\n2,3.5\n", "x");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->at("x").size(), 2u);
}

TEST(TraceCsv, AMissingValueMarkerBecomesAMarkedGap) {
    const char* csv = "timestamp,series,value\n0,a,5\n60,a,0\n120,a,0\n180,a,7\n240,a,8\n";
    auto as_is = SeriesFromCsv(csv);
    ASSERT_TRUE(as_is.ok()) << as_is.error().message;
    EXPECT_EQ(as_is->at("a").values, (std::vector<double>{5, 0, 0, 7, 8}));
    EXPECT_TRUE(as_is->at("a").missing.empty());
    auto masked = SeriesFromCsv(csv, 0.0);
    ASSERT_TRUE(masked.ok()) << masked.error().message;
    const RegularSeries& a = masked->at("a");
    EXPECT_EQ(a.step, 60);
    EXPECT_EQ(a.values, (std::vector<double>{5, 5, 5, 7, 8}));  // held, not the marker
    EXPECT_EQ(a.missing, (std::vector<std::uint8_t>{0, 1, 1, 0, 0}));
    // A series with nothing but the marker has no data at all: say so.
    auto empty = SeriesFromCsv("0,0\n60,0\n120,0\n", 0.0);
    ASSERT_FALSE(empty.ok());
    EXPECT_NE(empty.error().message.find("missing-value"), std::string::npos) << empty.error().message;
}

TEST(TraceCsv, BadLinesNameTheirNumber) {
    auto t = ParseTraceCsv("timestamp,series,value\n1,a,1\n2,a,abc\n");
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message.find("line 3"), std::string::npos) << t.error().message;
    EXPECT_FALSE(ParseTraceCsv("1,a,1,4\n").ok());
    EXPECT_FALSE(ParseTraceCsv("1,a,1\n1.5,a,1\n").ok());
    EXPECT_FALSE(ParseTraceCsv("1,a,nan\n").ok());
}

}  // namespace
}  // namespace cloudopt
