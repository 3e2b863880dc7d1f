// `cloudopt backtest`, `forecast` and `train` as tools call them.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "forecast/lstm_model.hpp"
#include "forecast/model_file.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

const std::string kSlice = std::string(CLOUDOPT_REPO_DIR) + "/tests/data/alibaba2018_cpu.csv";


TEST(BacktestCli, PrintsTheDocumentedJson) {
    testing::TempDir dir;
    ASSERT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "backtest", "--data", kSlice, "--horizon", "3", "--epochs", "2", "--json"},
                                 dir.File("out")),
              0)
        << testing::ReadFile(dir.File("out"));
    const nlohmann::json j = nlohmann::json::parse(testing::ReadFile(dir.File("out")));
    EXPECT_EQ(j["horizon"], 3);
    EXPECT_EQ(j["series"], 1);
    for (const char* model : {"naive", "seasonal_naive", "holt_winters", "linear", "auto"}) {
        ASSERT_TRUE(j["accuracy"].contains(model)) << model;
        EXPECT_GT(j["accuracy"][model].get<double>(), 0.8) << model;  // a smooth cluster aggregate
        EXPECT_TRUE(j["seconds"].contains(model));
        EXPECT_TRUE(j["per_series"]["ali_cpu"].contains(model));
    }
    EXPECT_GT(j["coverage"]["p90"].get<double>(), 0.8);
    EXPECT_GE(j["coverage"]["p95"].get<double>(), j["coverage"]["p90"].get<double>());
    EXPECT_GE(j["coverage"]["p99"].get<double>(), j["coverage"]["p95"].get<double>());
    // The bands as calibrated, without tracking, beside them.
    EXPECT_GT(j["split_coverage"]["p90"].get<double>(), 0.5);
    EXPECT_GE(j["split_coverage"]["p95"].get<double>(), j["split_coverage"]["p90"].get<double>());
    EXPECT_GE(j["split_coverage"]["p99"].get<double>(), j["split_coverage"]["p95"].get<double>());
    // What the p95 band costs, relative to the load.
    EXPECT_GT(j["band_width_p95"]["auto"].get<double>(), 0.0);
}

TEST(BacktestCli, BandsByThePhaseOfTheHourCanBeTurnedOffAndABadChoiceIsRefused) {
    testing::TempDir dir;
    // Minute data whose noise is ten times larger in minutes 30..39 of every hour.
    {
        std::ofstream csv(dir.File("clock.csv"));
        csv << "timestamp,value\n";
        std::uint32_t state = 1;
        for (int m = 0; m < 6 * 1440; ++m) {
            state = state * 1664525u + 1013904223u;
            const double u = static_cast<double>(state >> 8) / 16777216.0 - 0.5;  // uniform in [-0.5, 0.5)
            const int minute = m % 60;
            csv << 1700006400 + m * 60 << "," << 100.0 + u * (minute >= 30 && minute <= 39 ? 100.0 : 10.0) << "\n";
        }
    }
    auto run = [&](const std::string& phase_bands) {
        EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "backtest", "--data", dir.File("clock.csv"), "--horizon", "2",
                                      "--models", "naive", "--phase-bands", phase_bands, "--json"},
                                     dir.File(phase_bands)),
                  0)
            << testing::ReadFile(dir.File(phase_bands));
        return nlohmann::json::parse(testing::ReadFile(dir.File(phase_bands)));
    };
    const nlohmann::json by_phase = run("auto"), plain = run("off");
    EXPECT_EQ(by_phase["per_series"]["series"]["naive_phase_bands"], "minute of the hour") << by_phase.dump();
    EXPECT_FALSE(plain["per_series"]["series"].contains("naive_phase_bands"));
    EXPECT_LT(by_phase["band_width_p95"]["naive"].get<double>(), plain["band_width_p95"]["naive"].get<double>());
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "backtest", "--data", dir.File("clock.csv"), "--phase-bands", "yes"},
                                 dir.File("bad")),
              2);
    const std::string refused = testing::ReadFile(dir.File("bad"));
    EXPECT_NE(refused.find("phase-bands"), std::string::npos) << refused;
}

TEST(BacktestCli, AMissingValueMarkerIsNotScored) {
    // Ten days of 5-minute load whose export wrote 0 for the last half hour of every day (no data).
    testing::TempDir dir;
    {
        std::ofstream csv(dir.File("gaps.csv"));
        csv << "timestamp,series,value\n";
        for (int i = 0; i < 10 * 288; ++i) {
            const int tod = i % 288;
            const double value = tod >= 282 ? 0.0 : 50.0 + 10.0 * std::sin(2 * M_PI * tod / 288.0);
            csv << 1'700'006'400 + i * 300 << ",web," << value << "\n";
        }
    }
    auto accuracy = [&](std::vector<std::string> extra) {
        std::vector<std::string> args = {CLOUDOPT_BINARY, "backtest", "--data", dir.File("gaps.csv"), "--horizon", "1",
                                         "--models", "naive", "--json"};
        args.insert(args.end(), extra.begin(), extra.end());
        const std::string out = dir.File("out" + std::to_string(extra.size()));
        EXPECT_EQ(testing::RunToExit(args, out), 0) << testing::ReadFile(out);
        return nlohmann::json::parse(testing::ReadFile(out))["accuracy"]["naive"].get<double>();
    };
    const double as_is = accuracy({});
    const double masked = accuracy({"--missing-value", "0"});
    // Scored as-is, the daily drop to 0 and the climb back cost 0.007; masked, only the smooth measured load is scored.
    EXPECT_GT(masked, as_is + 0.005);
    EXPECT_GT(masked, 0.99);
    std::ofstream(dir.File("zeros.csv")) << "0,0\n300,0\n600,0\n";
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "backtest", "--data", dir.File("zeros.csv"), "--horizon", "1",
                                  "--missing-value", "0"},
                                 dir.File("log")),
              2);
    EXPECT_NE(testing::ReadFile(dir.File("log")).find("missing-value"), std::string::npos)
        << testing::ReadFile(dir.File("log"));
}

TEST(ForecastCli, ForecastsWithBands) {
    testing::TempDir dir;
    ASSERT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "forecast", "--data", kSlice, "--horizon", "4", "--json"},
                                 dir.File("out")),
              0);
    const nlohmann::json j = nlohmann::json::parse(testing::ReadFile(dir.File("out")));
    ASSERT_EQ(j["ali_cpu"]["points"].size(), 4u);
    EXPECT_EQ(j["ali_cpu"]["points"][0]["ts"], 1578009600 + 1728 * 300);
    for (const nlohmann::json& p : j["ali_cpu"]["points"]) {
        EXPECT_LE(p["p50"].get<double>(), p["p90"].get<double>()) << p;
        EXPECT_LE(p["p90"].get<double>(), p["p95"].get<double>()) << p;
        EXPECT_LE(p["p95"].get<double>(), p["p99"].get<double>()) << p;
    }
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

TEST(TrainCli, TrainsSavesAndForecastsFromTheSavedModel) {
    testing::TempDir dir;
    const std::string model = dir.File("model.bin");
    ASSERT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "train", "--data", kSlice, "--epochs", "2", "--horizon", "3", "--out",
                                  model},
                                 dir.File("log")),
              0)
        << testing::ReadFile(dir.File("log"));
    const std::string log = testing::ReadFile(dir.File("log"));
    EXPECT_NE(log.find("epoch 2/2"), std::string::npos) << log;  // a plain line per epoch off a terminal
    EXPECT_NE(log.find("mean accuracy"), std::string::npos) << log;
    EXPECT_NE(log.find("saved 1 model(s)"), std::string::npos) << log;
    ASSERT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "forecast", "--data", kSlice, "--horizon", "3", "--model-file", model,
                                  "--json"},
                                 dir.File("out")),
              0)
        << testing::ReadFile(dir.File("out"));
    const nlohmann::json j = nlohmann::json::parse(testing::ReadFile(dir.File("out")));
    EXPECT_EQ(j["ali_cpu"]["model"], "lstm");
    ASSERT_EQ(j["ali_cpu"]["points"].size(), 3u);
    const double p50 = j["ali_cpu"]["points"][0]["p50"].get<double>();
    EXPECT_GT(p50, 10.0);  // the cluster runs at 20-60% CPU
    EXPECT_LT(p50, 90.0);
    // A file's only model forecasts a file's only series whatever its name (one exported from the service is named
    // for its resource); with more series each needs its own.
    {
        std::ifstream in(kSlice);
        std::ofstream renamed(dir.File("renamed.csv"));
        std::string line;
        std::getline(in, line);
        renamed << "timestamp,value\n";
        while (std::getline(in, line))
            renamed << line.substr(0, line.find(',')) << "," << line.substr(line.rfind(',') + 1) << "\n";
    }
    ASSERT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "forecast", "--data", dir.File("renamed.csv"), "--horizon", "3",
                                  "--model-file", model, "--json"},
                                 dir.File("renamed.out")),
              0)
        << testing::ReadFile(dir.File("renamed.out"));
    const std::string renamed_out = testing::ReadFile(dir.File("renamed.out"));
    const nlohmann::json by_only_model = nlohmann::json::parse(renamed_out.substr(renamed_out.find('{')));
    EXPECT_DOUBLE_EQ(by_only_model.begin().value()["points"][0]["p50"].get<double>(), p50);
    // Beyond the trained horizon the model cannot answer.
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "forecast", "--data", kSlice, "--horizon", "4", "--model-file", model},
                                 dir.File("log")),
              2);
    EXPECT_NE(testing::ReadFile(dir.File("log")).find("horizons 1..3"), std::string::npos) << testing::ReadFile(dir.File("log"));
}

// The network's shape is the user's: the flags reach the trained network, which the model file keeps.
TEST(TrainCli, TheLstmShapeFlagsShapeTheSavedNetwork) {
    testing::TempDir dir;
    const std::string model = dir.File("model.bin");
    ASSERT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "train", "--data", kSlice, "--epochs", "1", "--horizon", "3",
                                  "--lstm-hidden", "8", "--lstm-layers", "2", "--lstm-window", "24", "--lstm-scale",
                                  "log", "--out", model},
                                 dir.File("log")),
              0)
        << testing::ReadFile(dir.File("log"));
    auto models = LoadModels(testing::ReadFile(model));
    ASSERT_TRUE(models.ok()) << models.error().message;
    ASSERT_EQ(models->size(), 1u);
    const auto* lstm = dynamic_cast<const LstmModel*>((*models)[0].trained.point.get());
    ASSERT_NE(lstm, nullptr);
    EXPECT_EQ(lstm->shape().hidden, 8);
    EXPECT_EQ(lstm->shape().layers, 2);
    EXPECT_EQ(lstm->shape().window, 24);
    EXPECT_TRUE(lstm->scaling().log());
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "forecast", "--data", kSlice, "--horizon", "3", "--model-file", model},
                                 dir.File("out")),
              0)
        << testing::ReadFile(dir.File("out"));
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "backtest", "--data", kSlice, "--lstm-layers", "3"}, dir.File("bad")),
              2);
    EXPECT_NE(testing::ReadFile(dir.File("bad")).find("--lstm-layers"), std::string::npos) << testing::ReadFile(dir.File("bad"));
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "backtest", "--data", kSlice, "--lstm-tuning", "maybe"}, dir.File("bad2")),
              2);
    EXPECT_NE(testing::ReadFile(dir.File("bad2")).find("--lstm-tuning"), std::string::npos) << testing::ReadFile(dir.File("bad2"));
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "backtest", "--data", kSlice, "--lstm-scale", "sqrt"}, dir.File("bad3")),
              2);
    EXPECT_NE(testing::ReadFile(dir.File("bad3")).find("--lstm-scale"), std::string::npos) << testing::ReadFile(dir.File("bad3"));
}

// Two series in one file: the slice's first 3 days and a copy at ten times their scale, so one network serves
// both (3 days keep the sanitizer build's training short).
std::string TwoSeriesFile(const testing::TempDir& dir) {
    std::ifstream in(kSlice);
    std::ofstream out(dir.File("two.csv"));
    std::string line;
    std::getline(in, line);
    out << line << "\n";
    for (int points = 0; points < 3 * 288 && std::getline(in, line); ++points) {
        const auto first = line.find(','), second = line.find(',', first + 1);
        out << line << "\n"
            << line.substr(0, first) << ",ali_cpu_x10," << 10 * std::stod(line.substr(second + 1)) << "\n";
    }
    return dir.File("two.csv");
}

TEST(BacktestCli, TrainsOneNetworkAcrossTheSeriesOfAFile) {
    testing::TempDir dir;
    const std::string data = TwoSeriesFile(dir);
    ASSERT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "backtest", "--data", data, "--horizon", "3", "--epochs", "2",
                                  "--models", "lstm_fleet,naive", "--json"},
                                 dir.File("out")),
              0)
        << testing::ReadFile(dir.File("out"));
    const nlohmann::json j = nlohmann::json::parse(testing::ReadFile(dir.File("out")));
    EXPECT_EQ(j["series"], 2);
    EXPECT_GT(j["fleet_seconds"].get<double>(), 0.0);
    // The copy is the same shape at ten times the scale: each is served at its own scale, equally well.
    const double small = j["per_series"]["ali_cpu"]["lstm_fleet"].get<double>();
    const double large = j["per_series"]["ali_cpu_x10"]["lstm_fleet"].get<double>();
    EXPECT_GT(small, 0.8);
    EXPECT_NEAR(small, large, 0.01);
    EXPECT_GT(small, j["per_series"]["ali_cpu"]["naive"].get<double>() - 0.02);
}

TEST(TrainCli, SavesFleetMembersThatForecastWithoutTheFleet) {
    testing::TempDir dir;
    const std::string data = TwoSeriesFile(dir);
    const std::string model = dir.File("fleet.bin");
    ASSERT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "train", "--data", data, "--model", "lstm_fleet", "--epochs", "1",
                                  "--horizon", "3", "--out", model},
                                 dir.File("log")),
              0)
        << testing::ReadFile(dir.File("log"));
    EXPECT_NE(testing::ReadFile(dir.File("log")).find("saved 2 model(s)"), std::string::npos);
    ASSERT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "forecast", "--data", data, "--horizon", "3", "--model-file", model,
                                  "--json"},
                                 dir.File("out")),
              0)
        << testing::ReadFile(dir.File("out"));
    const nlohmann::json j = nlohmann::json::parse(testing::ReadFile(dir.File("out")));
    EXPECT_EQ(j["ali_cpu_x10"]["model"], "lstm_fleet");
    const double p50 = j["ali_cpu"]["points"][0]["p50"].get<double>();
    const double p50_x10 = j["ali_cpu_x10"]["points"][0]["p50"].get<double>();
    EXPECT_NEAR(p50_x10 / p50, 10.0, 0.5);
}

TEST(TrainCli, BadInputExitsTwoWithAReason) {
    testing::TempDir dir;
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "train", "--data", kSlice, "--series", "nope"}, dir.File("log")), 2);
    EXPECT_NE(testing::ReadFile(dir.File("log")).find("it has: ali_cpu"), std::string::npos) << testing::ReadFile(dir.File("log"));
    std::ofstream(dir.File("junk.bin")) << "not a model";
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "forecast", "--data", kSlice, "--horizon", "3", "--model-file",
                                  dir.File("junk.bin")},
                                 dir.File("log")),
              2);
    EXPECT_NE(testing::ReadFile(dir.File("log")).find("wrong magic"), std::string::npos) << testing::ReadFile(dir.File("log"));
}

TEST(SimulateCli, ComparesThePoliciesAndWritesAnOfflineReport) {
    testing::TempDir dir;
    ASSERT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "simulate", "--data", kSlice, "--epochs", "1", "--json", "--report",
                                  dir.File("report.html")},
                                 dir.File("out")),
              0)
        << testing::ReadFile(dir.File("out"));
    const std::string text = testing::ReadFile(dir.File("out"));
    const nlohmann::json j = nlohmann::json::parse(text.substr(text.find('{')));
    EXPECT_EQ(j["series"], 1);
    EXPECT_EQ(j["boot_delay_s"], 180);
    for (const char* policy : {"static", "reactive", "predictive", "oracle"}) {
        for (const char* key : {"cost", "cost_rel", "unmet", "hot", "util", "actions"})
            EXPECT_TRUE(j["policies"][policy].contains(key)) << policy << " " << key;
    }
    EXPECT_DOUBLE_EQ(j["policies"]["static"]["cost_rel"].get<double>(), 1.0);
    EXPECT_EQ(j["policies"]["oracle"]["unmet"].get<double>(), 0.0);
    EXPECT_LT(j["policies"]["oracle"]["cost_rel"].get<double>(), 1.0);
    const std::string report = testing::ReadFile(dir.File("report.html"));
    EXPECT_NE(report.find("<svg"), std::string::npos);
    EXPECT_NE(report.find("<td>ali_cpu</td>"), std::string::npos);  // the table per series
    EXPECT_EQ(report.find("http"), std::string::npos);  // nothing to fetch: it opens offline
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "simulate", "--data", kSlice, "--quantile", "0.7"}, dir.File("log")), 2);
    EXPECT_NE(testing::ReadFile(dir.File("log")).find("--quantile"), std::string::npos);
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "simulate", "--data", kSlice, "--policies", "static,yolo"}, dir.File("log")), 2);
}

// The budget is the service's loop.unmet_budget: a looser one lets the correction narrow the bands, so the
// predictive policy runs less capacity for more starved steps.
TEST(SimulateCli, UnmetBudgetTradesCostForStarvedSteps) {
    testing::TempDir dir;
    auto predictive_at = [&](const char* budget) {
        EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "simulate", "--data", kSlice, "--epochs", "1", "--policies",
                                      "predictive", "--unmet-budget", budget, "--json"},
                                     dir.File(budget)),
                  0)
            << testing::ReadFile(dir.File(budget));
        const std::string text = testing::ReadFile(dir.File(budget));  // stdout's JSON line among stderr's
        const std::size_t begin = text.find('{');
        const nlohmann::json j = nlohmann::json::parse(text.substr(begin, text.find('\n', begin) - begin));
        EXPECT_DOUBLE_EQ(j["unmet_budget"].get<double>(), std::stod(budget));
        return j["policies"]["predictive"];
    };
    const nlohmann::json strict = predictive_at("0");
    const nlohmann::json loose = predictive_at("0.2");
    EXPECT_LT(loose["cost"].get<double>(), strict["cost"].get<double>());
    EXPECT_GE(loose["unmet"].get<double>(), strict["unmet"].get<double>());
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "simulate", "--data", kSlice, "--unmet-budget", "0.6"}, dir.File("log")), 2);
    EXPECT_NE(testing::ReadFile(dir.File("log")).find("--unmet-budget"), std::string::npos) << testing::ReadFile(dir.File("log"));
}

}  // namespace
}  // namespace cloudopt
