// `cloudopt detect` on a slice of the NAB dev half: the results files, the scores it prints, and bad input.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "anomaly/nab_test_data.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

using testing::NabDir;

TEST(DetectCli, WritesNabResultsAndScoresASlice) {
    if (!std::filesystem::exists(NabDir() / "data")) GTEST_SKIP() << "the NAB dev half is not at " << NabDir();
    testing::TempDir dir;
    const std::filesystem::path data = std::filesystem::path(dir.path()) / "data";
    for (const char* file : {"realAdExchange/exchange-3_cpc_results.csv", "realTraffic/speed_7578.csv"}) {
        std::filesystem::create_directories((data / file).parent_path());
        std::filesystem::copy_file(NabDir() / "data" / file, data / file);
    }
    const std::string out = dir.File("results");
    ASSERT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "detect", "--data", data.string(), "--nab-out", out, "--score",
                                  "--json", "--labels", (NabDir() / "labels" / "combined_windows.json").string()},
                                 dir.File("log")),
              0)
        << testing::ReadFile(dir.File("log"));
    const nlohmann::json doc = nlohmann::json::parse(testing::ReadFile(dir.File("log")));
    EXPECT_EQ(doc["files"], 2);
    EXPECT_EQ(doc["points"], 1538 + 1127);
    for (const char* profile : {"standard", "reward_low_FP_rate", "reward_low_FN_rate"}) {
        const nlohmann::json& p = doc["profiles"][profile];
        EXPECT_GT(p["score"].get<double>(), 0.0) << profile;  // the slice's 7 windows: some are found
        EXPECT_LE(p["score"].get<double>(), 100.0) << profile;
        EXPECT_EQ(p["perfect_raw"].get<double>(), 7.0);
        EXPECT_GT(p["tp_rows"].get<int>(), 0);
    }

    // NAB's results format at the same relative path: every row, a score in [0, 1], the label of each row.
    const auto columns = testing::ReadResultColumns(std::filesystem::path(out) / "realTraffic/speed_7578.csv");
    ASSERT_EQ(columns.at("anomaly_score").size(), 1127u);
    ASSERT_EQ(columns.at("value").size(), 1127u);
    double labelled = 0.0;
    for (const double label : columns.at("label")) labelled += label;
    EXPECT_EQ(labelled, 4 * 29);  // four windows of 29 rows
    for (const double score : columns.at("anomaly_score")) {
        EXPECT_GE(score, 0.0);
        EXPECT_LE(score, 1.0);
    }
    EXPECT_EQ(testing::ReadFile(std::filesystem::path(out) / "realTraffic/speed_7578.csv").substr(0, 36),
              "timestamp,value,anomaly_score,label\n");
}

TEST(DetectCli, BadInputFailsWithAMessage) {
    testing::TempDir dir;
    const std::string out = dir.File("results");
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "detect", "--data", dir.File("missing.csv"), "--nab-out", out},
                                 dir.File("log")),
              2);
    EXPECT_NE(testing::ReadFile(dir.File("log")).find("missing.csv"), std::string::npos);

    {
        std::ofstream bad(dir.File("bad.csv"));
        bad << "timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,oops\n";
    }
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "detect", "--data", dir.File("bad.csv"), "--nab-out", out},
                                 dir.File("log")),
              2);
    EXPECT_NE(testing::ReadFile(dir.File("log")).find("line 3"), std::string::npos);

    {
        std::ofstream good(dir.File("good.csv"));
        good << "timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,2\n";
        std::ofstream labels(dir.File("labels.json"));
        labels << R"({"other.csv": []})";
    }
    // --score without labels, and labels that do not name the file.
    EXPECT_EQ(
        testing::RunToExit({CLOUDOPT_BINARY, "detect", "--data", dir.File("good.csv"), "--nab-out", out, "--score"},
                           dir.File("log")),
        2);
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "detect", "--data", dir.File("good.csv"), "--nab-out", out,
                                  "--score", "--labels", dir.File("labels.json")},
                                 dir.File("log")),
              2);
    EXPECT_NE(testing::ReadFile(dir.File("log")).find("good.csv"), std::string::npos);
    // Without --score the same file is written, without a label column.
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "detect", "--data", dir.File("good.csv"), "--nab-out", out},
                                 dir.File("log")),
              0);
    EXPECT_EQ(testing::ReadFile(out + "/good.csv").substr(0, 30), "timestamp,value,anomaly_score\n");
}

}  // namespace
}  // namespace cloudopt
