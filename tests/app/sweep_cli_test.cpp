// `cloudopt simulate --sweep` and `cloudopt costs backtest` through the binary, and the adopted settings the service
// reads at start.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/adopted_settings.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

using nlohmann::json;

// Two series of 9 days at 5-minute steps with a daily cycle: 80% trains, the last ~2 days are scored.
std::string WriteTrace(const testing::TempDir& dir) {
    const std::string path = dir.File("trace.csv");
    std::ofstream out(path);
    out << "timestamp,series,value\n";
    for (const char* id : {"a", "b"})
        for (int i = 0; i < 9 * 288; ++i)
            out << 1'700'006'400 + 300LL * i << "," << id << ","
                << 100.0 + 70.0 * std::sin(2 * 3.141592653589793 * i / 288.0) + (id[0] == 'b' ? (i % 37) : 0) << "\n";
    return path;
}

int RunCloudopt(const testing::TempDir& dir, const std::string& args) {
    return testing::RunToExit(
        {"/bin/sh", "-c",
         std::string(CLOUDOPT_BINARY) + " " + args + " > " + dir.File("out") + " 2> " + dir.File("err")},
        dir.File("log"));
}

TEST(SweepCli, PrintsEveryPolicysPointsNamesTheCheapestAndAdoptsThePredictiveOne) {
    testing::TempDir dir;
    const std::string trace = WriteTrace(dir);
    const std::string data_dir = dir.File("data");
    ASSERT_EQ(RunCloudopt(dir, "simulate --sweep --data " + trace +
                                   " --sweep-quantiles 0.5,0.99 --sweep-budgets 0.005 --sweep-targets 0.4,0.8 --jobs 2 "
                                   "--epochs 1 --unmet-budget 0.05 --json --report " +
                                   dir.File("r.html") + " --adopt --data-dir " + data_dir),
              0)
        << testing::ReadFile(dir.File("err"));
    const json out = json::parse(testing::ReadFile(dir.File("out")));
    EXPECT_EQ(out["series"], 2);
    std::map<std::string, int> per_policy;
    for (const json& p : out["points"]) ++per_policy[p["policy"].get<std::string>()];
    EXPECT_EQ(per_policy["predictive"], 2);
    EXPECT_EQ(per_policy["reactive"], 2);
    EXPECT_EQ(per_policy["seasonal"], 2);
    EXPECT_EQ(per_policy["oracle"], 1);
    EXPECT_EQ(per_policy["static"], 1);
    ASSERT_FALSE(out["cheapest"].is_null());
    EXPECT_NE(out["cheapest"]["policy"], "oracle");  // it sees the future: drawn, never named
    EXPECT_LE(out["cheapest"]["unmet"].get<double>(), 0.05);
    for (const json& p : out["points"]) {
        if (p["policy"] != "oracle" && p["unmet"].get<double>() <= 0.05) {
            EXPECT_GE(p["cost_rel"].get<double>(), out["cheapest"]["cost_rel"].get<double>());
        }
    }
    EXPECT_EQ(out["per_series"].size(), 2u);
    EXPECT_NE(testing::ReadFile(dir.File("r.html")).find("Cost against risk"), std::string::npos);

    // Adopted: the cheapest predictive setting, with the sweep beside it, read by the service at start.
    const std::string adopted = testing::ReadFile(data_dir + "/adopted.yaml");
    const double q = out["cheapest_predictive"]["setting"]["quantile"].get<double>();
    EXPECT_NE(adopted.find(q == 0.5 ? "quantile: p50" : "quantile: p99"), std::string::npos) << adopted;
    ASSERT_TRUE(std::filesystem::exists(data_dir + "/evidence"));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(data_dir + "/evidence"),
                            std::filesystem::directory_iterator()),
              1);
    Config config;
    config.data_dir = data_dir;
    auto applied = ApplyAdoptedSettings(config);
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    ASSERT_TRUE(applied->has_value());
    EXPECT_EQ(config.quantile, q == 0.5 ? "p50" : "p99");
    EXPECT_DOUBLE_EQ(config.unmet_budget, 0.005);
}

TEST(SweepCli, RefusesBadSettingsAndAnAdoptWithoutADataDir) {
    testing::TempDir dir;
    const std::string trace = WriteTrace(dir);
    EXPECT_EQ(RunCloudopt(dir, "simulate --sweep --data " + trace + " --sweep-targets 0.3,2"), 2);
    EXPECT_NE(testing::ReadFile(dir.File("err")).find("--sweep-targets"), std::string::npos);
    EXPECT_EQ(RunCloudopt(dir, "simulate --sweep --data " + trace + " --sweep-policies spot"), 2);
    EXPECT_EQ(RunCloudopt(dir, "simulate --sweep --data " + trace + " --adopt"), 2);
    EXPECT_NE(testing::ReadFile(dir.File("err")).find("--data-dir"), std::string::npos);
}

TEST(AdoptedSettings, AFileThatSetsAnythingElseStopsTheStartSayingWhatToDo) {
    testing::TempDir dir;
    Config config;
    config.data_dir = dir.path();
    auto none = ApplyAdoptedSettings(config);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
    std::ofstream(dir.File("adopted.yaml")) << "loop:\n  tick_seconds: 5\n";
    auto bad = ApplyAdoptedSettings(config);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("cannot be adopted"), std::string::npos);
    std::ofstream(dir.File("adopted.yaml")) << "loop:\n  quantile: p97\n";
    EXPECT_FALSE(ApplyAdoptedSettings(config).ok());
}

// p99.9 (extrapolated from the band's tail) is adopted like any other quantile, and the start applies it.
TEST(AdoptedSettings, P999IsWrittenAndAppliedAtStart) {
    testing::TempDir dir;
    AdoptedSettings p999;
    p999.quantile = 0.999;
    p999.unmet_budget = 0.001;
    p999.reason = "a test";
    auto written = WriteAdoptedSettings(dir.path(), p999, "{\"sweep\": true}");
    ASSERT_TRUE(written.ok()) << written.error().message;
    EXPECT_NE(testing::ReadFile(*written).find("quantile: p99.9"), std::string::npos);
    Config config;
    config.data_dir = dir.path();
    auto applied = ApplyAdoptedSettings(config);
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    EXPECT_EQ(config.quantile, "p99.9");
    EXPECT_DOUBLE_EQ(config.unmet_budget, 0.001);
    auto record = ReadAdoptedSettings(dir.path());
    ASSERT_TRUE(record.ok() && record->has_value());
    EXPECT_EQ((*record)->quantile, QuantileLevel::kP999);
    EXPECT_EQ((*record)->reason, "a test");
    EXPECT_EQ((*record)->evidence.rfind("evidence/sweep-", 0), 0u) << (*record)->evidence;
    p999.quantile = 0.98;
    EXPECT_FALSE(WriteAdoptedSettings(dir.path(), p999, "{}").ok());
}

// Every adoption writes its sweep as evidence: the data directory keeps the newest 20 (by the UTC time in their
// names), never deleting the one adopted.yaml names, nor anything but evidence/sweep-*.json.
TEST(AdoptedSettings, TheNewest20EvidenceFilesAreKeptAndTheAdoptedOneNeverGoes) {
    testing::TempDir dir;
    const std::string evidence = dir.File("evidence");
    std::filesystem::create_directories(evidence);
    auto name = [](int i) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "sweep-20260101T0000%02d.000Z.json", i);
        return std::string(buf);
    };
    for (int i = 0; i < 25; ++i) std::ofstream(evidence + "/" + name(i)) << "{}\n";
    std::ofstream(evidence + "/notes.txt") << "kept\n";
    std::ofstream(dir.File("adopted.yaml"))
        << "# Written by a test: the oldest sweep.\n# Evidence: evidence/" << name(0)
        << ". cloudopt serve applies these keys.\nloop:\n  quantile: p95\n"
           "  unmet_budget: 0.005\n";
    EXPECT_EQ(PruneEvidence(dir.path(), 20), 4);
    for (int i = 0; i < 25; ++i)
        EXPECT_EQ(std::filesystem::exists(evidence + "/" + name(i)), i == 0 || i >= 5) << name(i);
    EXPECT_TRUE(std::filesystem::exists(evidence + "/notes.txt"));
    EXPECT_EQ(PruneEvidence(dir.path(), 20), 0) << "nothing more to prune";

    // An adoption prunes after it wrote: its own evidence is the newest and adopted.yaml names it, so the old one
    // named before goes, with the oldest beyond the newest 20.
    AdoptedSettings settings;
    settings.reason = "a test";
    auto written = WriteAdoptedSettings(dir.path(), settings, "{\"sweep\": true}");
    ASSERT_TRUE(written.ok()) << written.error().message;
    auto record = ReadAdoptedSettings(dir.path());
    ASSERT_TRUE(record.ok() && record->has_value());
    const std::string newest = (*record)->evidence;
    EXPECT_TRUE(std::filesystem::exists(dir.File(newest))) << newest;
    int sweeps = 0;
    for (const auto& entry : std::filesystem::directory_iterator(evidence))
        sweeps += entry.path().filename().string().rfind("sweep-", 0) == 0 ? 1 : 0;
    EXPECT_EQ(sweeps, static_cast<int>(kKeptEvidence));
    EXPECT_FALSE(std::filesystem::exists(evidence + "/" + name(0)));
    EXPECT_FALSE(std::filesystem::exists(evidence + "/" + name(5)));
    EXPECT_TRUE(std::filesystem::exists(evidence + "/" + name(6)));
}

TEST(CostsBacktestCli, ReportsTheP50ErrorTheBandsCoverageAndTheNaiveProjection) {
    testing::TempDir dir;
    const std::string path = dir.File("weeks.csv");
    {
        std::ofstream out(path);
        out << "timestamp,value\n";
        for (int i = 0; i < 23 * 24; ++i)
            out << 1'700'006'400 + 3600LL * i << "," << ((i / 24) % 7 >= 5 ? 20 : 40) + (i % 24 >= 8 ? 30 : 0) << "\n";
    }
    ASSERT_EQ(RunCloudopt(dir, "costs backtest --data " + path + " --json"), 0) << testing::ReadFile(dir.File("err"));
    const json out = json::parse(testing::ReadFile(dir.File("out")));
    EXPECT_EQ(out["series"], 1);
    // A load that repeats every week is forecast exactly; the naive projection of 16 days (two weekends in two weeks
    // and two days) is not.
    EXPECT_LT(out["p50_mape"].get<double>(), 1e-9);
    EXPECT_EQ(out["coverage_p10_p90"].get<double>(), 1.0);
    EXPECT_GT(out["naive_mape"].get<double>(), 0.0);
    // The band is calibrated on forecasts from the first days (16 days of history leave no three origins with two
    // weeks before them), which erred: not zero wide, but narrow.
    EXPECT_LT(out["mean_relative_width"].get<double>(), 0.5);
    // Rolling origins: 7-day spans ending each of the last 10 days, each from the 16 to 7 days of load before it.
    const json& rolling = out["rolling"];
    EXPECT_EQ(rolling["pairs"], 10);
    EXPECT_EQ(out["per_series"].begin().value()["origins"], 10);
    EXPECT_GE(rolling["coverage_p10_p90"].get<double>(), 0.0);
    EXPECT_NEAR(rolling["below_p10"].get<double>() + rolling["above_p90"].get<double>() +
                    rolling["coverage_p10_p90"].get<double>(),
                1.0, 1e-3);
    ASSERT_EQ(RunCloudopt(dir, "costs backtest --data " + path + " --origins 1 --json"), 0);
    EXPECT_EQ(json::parse(testing::ReadFile(dir.File("out")))["rolling"]["pairs"], 1);
    EXPECT_EQ(RunCloudopt(dir, "costs backtest --data " + path + " --days 40"), 2);
}

TEST(CostsBacktestCli, CalibratesAFilesSeriesAsOneFleetUnlessToldOtherwise) {
    // Two series: one repeats its week exactly, one's level jumps from day to day. As one fleet (the default), the
    // calm one's band takes a part of the other's errors and widens; each on its own (--calibration series), it
    // stays as narrow as its own exact forecasts.
    testing::TempDir dir;
    const std::string path = dir.File("fleet.csv");
    {
        std::ofstream out(path);
        out << "timestamp,series,value\n";
        for (int i = 0; i < 35 * 24; ++i) {
            const long long t = 1'700'006'400 + 3600LL * i;
            const int weekly = ((i / 24) % 7 >= 5 ? 20 : 40) + (i % 24 >= 8 ? 30 : 0);
            out << t << ",calm," << weekly << "\n";
            out << t << ",jumpy," << weekly * (0.6 + 0.1 * ((i / 24 * 7) % 11)) << "\n";
        }
    }
    auto calm_width = [&](const std::string& flags) {
        EXPECT_EQ(RunCloudopt(dir, "costs backtest --data " + path + " --origins 3 --paths 100 --json" + flags), 0)
            << testing::ReadFile(dir.File("err"));
        const json out = json::parse(testing::ReadFile(dir.File("out")));
        EXPECT_EQ(out["series"], 2);
        const json& calm = out["per_series"]["calm"];
        return std::make_pair(out["calibration"].get<std::string>(),
                              (calm["p90"].get<double>() - calm["p10"].get<double>()) / calm["p50"].get<double>());
    };
    const auto fleet = calm_width("");
    const auto alone = calm_width(" --calibration series");
    EXPECT_EQ(fleet.first, "fleet");
    EXPECT_EQ(alone.first, "series");
    EXPECT_LT(alone.second, 0.01);
    EXPECT_GT(fleet.second, 0.05);
    EXPECT_EQ(RunCloudopt(dir, "costs backtest --data " + path + " --calibration pooled"), 2);
}

}  // namespace
}  // namespace cloudopt
