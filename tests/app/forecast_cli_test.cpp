// `cloudopt backtest` and `cloudopt forecast` as tools call them.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

const std::string kSlice = std::string(CLOUDOPT_REPO_DIR) + "/tests/data/alibaba2018_cpu.csv";


TEST(BacktestCli, PrintsTheDocumentedJson) {
    testing::TempDir dir;
    ASSERT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "backtest", "--data", kSlice, "--horizon", "3", "--json"},
                                 dir.File("out")),
              0)
        << testing::ReadFile(dir.File("out"));
    const nlohmann::json j = nlohmann::json::parse(testing::ReadFile(dir.File("out")));
    EXPECT_EQ(j["horizon"], 3);
    EXPECT_EQ(j["series"], 1);
    for (const char* model : {"naive", "seasonal_naive", "holt_winters", "auto"}) {
        ASSERT_TRUE(j["accuracy"].contains(model)) << model;
        EXPECT_GT(j["accuracy"][model].get<double>(), 0.8) << model;  // a smooth cluster aggregate
        EXPECT_TRUE(j["seconds"].contains(model));
        EXPECT_TRUE(j["per_series"]["ali_cpu"].contains(model));
    }
    EXPECT_GT(j["coverage"]["p90"].get<double>(), 0.8);
    EXPECT_GE(j["coverage"]["p95"].get<double>(), j["coverage"]["p90"].get<double>());
}

TEST(ForecastCli, ForecastsWithBands) {
    testing::TempDir dir;
    ASSERT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "forecast", "--data", kSlice, "--horizon", "4", "--json"},
                                 dir.File("out")),
              0);
    const nlohmann::json j = nlohmann::json::parse(testing::ReadFile(dir.File("out")));
    ASSERT_EQ(j["ali_cpu"]["points"].size(), 4u);
    EXPECT_EQ(j["ali_cpu"]["points"][0]["ts"], 1578009600 + 1728 * 300);
}

TEST(ForecastCli, BadInputExitsTwoWithTheLine) {
    testing::TempDir dir;
    std::ofstream(dir.File("bad.csv")) << "timestamp,series,value\n1,a,1\n2,a,oops\n";
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "backtest", "--data", dir.File("bad.csv"), "--horizon", "3"},
                                 dir.File("log")),
              2);
    EXPECT_NE(testing::ReadFile(dir.File("log")).find("line 3"), std::string::npos) << testing::ReadFile(dir.File("log"));
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "backtest", "--data", kSlice, "--horizon", "3", "--models", "magic"},
                                 dir.File("log")),
              2);
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "forecast", "--data", kSlice}, dir.File("log")), 2);  // no horizon
}

}  // namespace
}  // namespace cloudopt
