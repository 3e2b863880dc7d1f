// `cloudopt simulate --serverless --instance-type`: the serverless form of unmet (cold starts of load beyond the warm
// units, simulate/cold_starts.hpp) and cost in dollars from the catalog's warm-capacity rows, through the binary.

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

const std::string kTrace = std::string(CLOUDOPT_REPO_DIR) + "/data/demo/checkout.csv";

nlohmann::json Simulate(testing::TempDir& dir, const std::string& log, std::vector<std::string> extra) {
    std::vector<std::string> args = {CLOUDOPT_BINARY,          "simulate",     "--data", kTrace,  "--policies",
                                     "static,reactive,oracle", "--boot-delay", "120",    "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const int code = testing::RunToExit(args, dir.File(log));
    EXPECT_EQ(code, 0) << testing::ReadFile(dir.File(log));
    const std::string text = testing::ReadFile(dir.File(log));  // progress lines on stderr, then the JSON
    return nlohmann::json::parse(text.substr(std::min(text.find('{'), text.size())), nullptr, false);
}

TEST(ServerlessSimulate, ColdStartsPerPolicyAndCostInDollars) {
    testing::TempDir dir;
    const nlohmann::json j = Simulate(dir, "priced", {"--serverless", "--instance-type", "lambda.pc.x86.1024mb"});
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j["keep_warm_s"], 300);
    EXPECT_EQ(j["price"]["provider"], "aws_lambda");
    EXPECT_DOUBLE_EQ(j["price"]["price_per_hour"].get<double>(), 0.015);
    const nlohmann::json& p = j["policies"];
    // Static holds the peak and the oracle warms ahead of every rise: nothing starts cold. Reactive scaling follows
    // the rises and leaves part of each to on-demand environments.
    EXPECT_EQ(p["static"]["cold_starts"], 0);
    EXPECT_EQ(p["oracle"]["cold_starts"], 0);
    EXPECT_GT(p["reactive"]["cold_starts"].get<double>(), 0);
    EXPECT_GT(p["reactive"]["cold_share"].get<double>(), 0);
    EXPECT_LT(p["reactive"]["cold_share"].get<double>(), 0.2);
    EXPECT_EQ(j["per_series"]["checkout"]["reactive"]["cold_starts"], p["reactive"]["cold_starts"]);
    for (const char* name : {"static", "reactive", "oracle"})
        EXPECT_NEAR(p[name]["cost_usd"].get<double>(), p[name]["cost"].get<double>() * 0.015, 0.01) << name;

    // Environments that are not kept warm between steps start cold at every step with excess.
    const nlohmann::json cold = Simulate(dir, "cold", {"--serverless", "--keep-warm", "0"});
    EXPECT_GE(cold["policies"]["reactive"]["cold_starts"].get<double>(), p["reactive"]["cold_starts"].get<double>());
    EXPECT_FALSE(cold["policies"]["reactive"].contains("cost_usd"));

    // Without --serverless the output is as before.
    const nlohmann::json plain = Simulate(dir, "plain", {});
    EXPECT_FALSE(plain["policies"]["reactive"].contains("cold_starts"));
    EXPECT_FALSE(plain.contains("keep_warm_s"));
}

TEST(ServerlessSimulate, AnUnknownInstanceTypeIsRefusedWithWhatToName) {
    testing::TempDir dir;
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "simulate", "--data", kTrace, "--policies", "static",
                                  "--instance-type", "lambda.huge"},
                                 dir.File("log")),
              2);
    const std::string log = testing::ReadFile(dir.File("log"));
    EXPECT_NE(log.find("--instance-type 'lambda.huge' is not in the catalog"), std::string::npos) << log;
    EXPECT_NE(log.find("EP1"), std::string::npos);
}

}  // namespace
}  // namespace cloudopt
