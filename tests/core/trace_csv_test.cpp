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
