// `cloudopt costs commitments --data` through the binary: a steady fleet is committed to and saves; a fleet idle
// most of the time is not.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/service.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

using nlohmann::json;

// 10 days at 5-minute steps: "steady" runs a daily wave on a high base; "bursty" idles but for an hour a day.
std::string WriteCommitTrace(const testing::TempDir& dir) {
    const std::string path = dir.File("trace.csv");
    std::ofstream out(path);
    out << "timestamp,series,value\n";
    for (int i = 0; i < 10 * 288; ++i) {
        const long long ts = 1'700'006'400 + 300LL * i;
        out << ts << ",steady," << 100.0 + 20.0 * std::sin(2 * 3.141592653589793 * i / 288.0) << "\n";
        out << ts << ",bursty," << (i % 288 < 12 ? 100.0 : 1.0) << "\n";
    }
    return path;
}

TEST(CommitmentsCli, CommitsTheSteadyBaseAndNothingForAnIdleFleet) {
    testing::TempDir dir;
    const std::string trace = WriteCommitTrace(dir);
    ASSERT_EQ(testing::RunToExit({"/bin/sh", "-c",
                                  std::string(CLOUDOPT_BINARY) + " costs commitments --data " + trace +
                                      " --paths 50 --json > " + dir.File("out") + " 2> " + dir.File("err")},
                                 dir.File("log")),
              0)
        << testing::ReadFile(dir.File("err"));
    const json out = json::parse(testing::ReadFile(dir.File("out")));
    EXPECT_EQ(out["series"], 2);
    EXPECT_DOUBLE_EQ(out["break_even_utilization"].get<double>(), 0.625);  // m5.large: 0.060 / 0.096
    const json& steady = out["per_series"]["steady"];
    // 80-120 at 120/20 per instance and 75%: 18-27 instances, 18 all the time and ~21 for 62.5% of it.
    EXPECT_GE(steady["recommended"].get<int>(), 18);
    EXPECT_LE(steady["recommended"].get<int>(), steady["peak"].get<int>());
    EXPECT_GT(steady["realized_saving"].get<double>(), 0.0);
    EXPECT_LE(steady["realized_saving"].get<double>(), steady["hindsight_saving"].get<double>() + 1e-9);
    const json& bursty = out["per_series"]["bursty"];
    EXPECT_LE(bursty["recommended"].get<int>(), 1);  // 1 instance all day at most; the burst's 20 an hour a day
    EXPECT_GE(bursty["realized_saving"].get<double>(), -1e-9);
    // The two as one pool: it commits at least their own plans' sum, and realizes no more than hindsight does.
    const json& pool = out["pool"];
    EXPECT_EQ(pool["series"], 2);
    EXPECT_EQ(pool["members_committed"], steady["recommended"].get<int>() + bursty["recommended"].get<int>());
    EXPECT_GE(pool["recommended"].get<int>(), pool["members_committed"].get<int>());
    EXPECT_GE(pool["predicted_gain_share"].get<double>(), 0.0);
    EXPECT_LE(pool["realized_saving_share"].get<double>(), pool["hindsight_saving_share"].get<double>() + 1e-9);
    EXPECT_GE(pool["hindsight_saving_share"].get<double>(),
              pool["members_hindsight_saving_share"].get<double>() - 1e-9);

    // Bad input: a type without a commitment rate, a missing file.
    EXPECT_EQ(
        testing::RunToExit({"/bin/sh", "-c",
                            std::string(CLOUDOPT_BINARY) + " costs commitments --data " + trace +
                                " --provider aws_lambda --instance-type lambda.pc.x86.512mb 2> " + dir.File("err2")},
                           dir.File("log2")),
        2);
    EXPECT_NE(testing::ReadFile(dir.File("err2")).find("no 1-year commitment rate"), std::string::npos);
}

// `cloudopt costs` (no subcommand) reads a running service's month: a table, --json (the API's), a bad --kind the
// API refuses (exit 2, its message); and `cloudopt budget add` with a provider the service does not know is refused
// naming it.
TEST(CostsCli, ReadsARunningServicesCostsAndRefusesAnUnknownProvider) {
    testing::TempDir dir;
    setenv("CLOUDOPT_ADMIN_PASSWORD", testing::kTestAdminPassword, 1);
    const unsigned short port = testing::FreePort();
    testing::ChildProcess server(
        {CLOUDOPT_BINARY, "serve", "--port", std::to_string(port), "--data-dir", dir.File("data")},
        dir.File("serve.log"));
    ASSERT_TRUE(testing::WaitHealthy(port)) << testing::ReadFile(dir.File("serve.log"));
    const std::string token = testing::LoginBearer(port).substr(7);
    ASSERT_FALSE(token.empty());
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    auto cli = [&](std::vector<std::string> args, const std::string& out) {
        args.insert(args.begin(), CLOUDOPT_BINARY);
        args.insert(args.end(), {"--token", token});
        return testing::RunToExit(args, dir.File(out));
    };
    ASSERT_EQ(cli({"costs", "--url", url}, "table"), 0) << testing::ReadFile(dir.File("table"));
    const std::string table = testing::ReadFile(dir.File("table"));
    EXPECT_NE(table.find("KIND"), std::string::npos) << table;
    EXPECT_NE(table.find("total"), std::string::npos) << table;
    ASSERT_EQ(cli({"costs", "--server", url, "--kind", "total", "--json"}, "json"), 0);
    const std::string text = testing::ReadFile(dir.File("json"));
    const json body = json::parse(text.substr(text.find('{')));
    ASSERT_TRUE(body.contains("groups")) << text;
    for (const json& g : body["groups"]) EXPECT_EQ(g["kind"], "total");
    EXPECT_EQ(cli({"costs", "--url", url, "--kind", "team"}, "bad"), 2) << testing::ReadFile(dir.File("bad"));
    EXPECT_NE(testing::ReadFile(dir.File("bad")).find("kind"), std::string::npos) << testing::ReadFile(dir.File("bad"));

    EXPECT_EQ(
        cli({"budget", "add", "cloud", "--monthly", "100", "--scope", "provider", "--target", "awz", "--server", url},
            "budget"),
        2);
    EXPECT_NE(testing::ReadFile(dir.File("budget")).find("no provider is named 'awz'"), std::string::npos)
        << testing::ReadFile(dir.File("budget"));
}

}  // namespace
}  // namespace cloudopt
