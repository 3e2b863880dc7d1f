#include "app/config.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "app/loop_settings.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

std::string Write(const testing::TempDir& dir, const std::string& text) {
    const std::string path = dir.File("c.yaml");
    std::ofstream(path) << text;
    return path;
}

TEST(Config, DefaultsWithoutAFile) {
    auto c = LoadConfig("", {});
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->port, 8080);
    EXPECT_EQ(c->bind_address, "127.0.0.1");
    EXPECT_EQ(c->providers.at("aws"), "simulated");
    EXPECT_FALSE(c->demo);
}

// A lane's resources in flight (docs/PERFORMANCE.md, the fleet): sized for the store unless set.
TEST(Config, ParallelResourcesAreSizedForTheStoreUnlessSet) {
    Config sqlite;
    EXPECT_EQ(LoopOptionsFrom(sqlite).parallel_resources, 1);
    Config postgres;
    postgres.store_driver = "postgres";
    EXPECT_EQ(LoopOptionsFrom(postgres).parallel_resources, 6) << "the pool of 8 less the API's and the leases' two";
    postgres.store_max_connections = 2;
    EXPECT_EQ(LoopOptionsFrom(postgres).parallel_resources, 1);
    testing::TempDir dir;
    auto set = LoadConfig(Write(dir, "loop:\n  parallel_resources: 3\n"), {});
    ASSERT_TRUE(set.ok()) << set.error().message;
    EXPECT_EQ(LoopOptionsFrom(*set).parallel_resources, 3);
    EXPECT_FALSE(LoadConfig(Write(dir, "loop:\n  parallel_resources: -1\n"), {}).ok());
}

// p99.9 is extrapolated from the band's tail (core/forecast.hpp); the loop plans at it like at any calibrated level.
TEST(Config, LoopQuantileTakesP999) {
    testing::TempDir dir;
    auto c = LoadConfig(Write(dir, "loop:\n  quantile: p99.9\n"), {});
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->quantile, "p99.9");
    EXPECT_EQ(LoopOptionsFrom(*c).engine.quantile, QuantileLevel::kP999);
    auto env = LoadConfig("", {{"CLOUDOPT_LOOP_QUANTILE", "p99.9"}});
    ASSERT_TRUE(env.ok()) << env.error().message;
    EXPECT_EQ(LoopOptionsFrom(*env).engine.quantile, QuantileLevel::kP999);
}

TEST(Config, TheScaleOutToleranceTakesItsOlderNameButNotBoth) {
    testing::TempDir dir;
    auto old_name = LoadConfig(Write(dir, "loop:\n  reactive_tolerance: 0.05\n"), {});
    ASSERT_TRUE(old_name.ok()) << old_name.error().message;
    EXPECT_DOUBLE_EQ(LoopOptionsFrom(*old_name).engine.flap_guard.scale_out_tolerance, 0.05);
    auto both = LoadConfig(Write(dir, "loop:\n  reactive_tolerance: 0.05\n  scale_out_tolerance: 0\n"), {});
    ASSERT_FALSE(both.ok());
    EXPECT_NE(both.error().message.find("set only loop.scale_out_tolerance"), std::string::npos)
        << both.error().message;
}

TEST(Config, FileThenEnvironment) {
    testing::TempDir dir;
    const std::string path = Write(dir,
                                   "server:\n  port: 9090\n  threads: 3\nloop:\n  tick_seconds: 30\n  quantile: p90\n"
                                   "  lstm_window: 96\n  lstm_scale: log\n  flap_hold_seconds: 7200\n"
                                   "demo:\n  enabled: true\n  speed: 120\nproviders:\n  aws: {driver: simulated}\n");
    auto c = LoadConfig(path, {{"CLOUDOPT_SERVER_PORT", "7070"}, {"UNRELATED", "x"}});
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->port, 7070);
    EXPECT_EQ(c->threads, 3);
    EXPECT_EQ(c->tick_seconds, 30);
    EXPECT_EQ(c->quantile, "p90");
    EXPECT_EQ(c->lstm_window, 96);
    EXPECT_EQ(c->lstm_scale, "log");
    EXPECT_EQ(c->flap_hold_seconds, 7200);
    EXPECT_EQ(c->lstm_hidden, 64);  // a key the file leaves out keeps its default
    EXPECT_TRUE(c->demo);
    EXPECT_DOUBLE_EQ(c->speed, 120);
}

TEST(Config, ErrorsNameTheKeyAndTheProblem) {
    testing::TempDir dir;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"server:\n  prot: 1\n", "server.prot: unknown key; known keys here: server.bind_address"},
        {"server:\n  port: abc\n", "server.port: must be an integer between 0 and 65535 (got 'abc')"},
        {"server:\n  port: 70000\n", "server.port: must be an integer"},
        {"loop:\n  quantile: p97\n", "loop.quantile: must be one of p50, p90, p95, p99, p99.9"},
        {"loop:\n  lstm_layers: 3\n", "loop.lstm_layers: must be an integer between 1 and 2"},
        {"loop:\n  lstm_scale: sqrt\n", "loop.lstm_scale: must be one of linear, log"},
        // a hold shorter than the flap span would let a spent flap budget flap again
        {"loop:\n  flap_hold_seconds: 600\n", "loop.flap_hold_seconds: must be an integer between 1800 and 86400"},
        {"demo:\n  enabled: maybe\n", "demo.enabled: must be true or false"},
        {"server: 5\n", "server: unknown key"},
        {"server:\n  port: [1, 2]\n", "server.port: must be a single value"},
        {"providers:\n  aws: {driver: ec2}\n",
         "providers.aws.driver: must be simulated, kubernetes, aws, azure, gcp, host, aws_lambda, gcp_cloud_run, "
         "azure_functions or keda"},
        {"providers:\n  aws: {driver: simulated, kubeconfig: x}\n",
         "providers.aws.kubeconfig: unknown key for driver 'simulated'"},
        {"providers:\n  k8s: {driver: kubernetes, server: x}\n",
         "providers.k8s.server: unknown key for driver 'kubernetes'"},
        {"providers:\n  aws: {drvier: simulated}\n", "providers.aws: must be a mapping with a 'driver' key"},
        {"server: [\n", "not valid YAML"},
    };
    for (const auto& [yaml, expected] : cases) {
        auto c = LoadConfig(Write(dir, yaml), {});
        ASSERT_FALSE(c.ok()) << yaml;
        EXPECT_NE(c.error().message.find(expected), std::string::npos) << yaml << " -> " << c.error().message;
    }
    auto env = LoadConfig("", {{"CLOUDOPT_LOOP_TICK_SECONDS", "0"}});
    ASSERT_FALSE(env.ok());
    EXPECT_NE(env.error().message.find("(from CLOUDOPT_LOOP_TICK_SECONDS)"), std::string::npos);
    EXPECT_FALSE(LoadConfig(dir.File("missing.yaml"), {}).ok());
}

TEST(Config, CrossKeyRules) {
    Config c;
    EXPECT_TRUE(ValidateConfig(c).ok());
    c.forecast_step_seconds = 7;
    EXPECT_FALSE(ValidateConfig(c).ok());
    // Drift is judged within the window a model's live accuracy is measured over.
    Config drift;
    drift.band_tracking_hours = 12;
    drift.drift_min_hours = 13;
    auto bad = ValidateConfig(drift);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("loop.drift_min_hours"), std::string::npos) << bad.error().message;
    drift.drift_error_ratio = 0;  // off: nothing to judge
    EXPECT_TRUE(ValidateConfig(drift).ok());
    drift.drift_error_ratio = 1.5;
    drift.band_tracking_hours = 0;  // no tracking: the last day
    EXPECT_TRUE(ValidateConfig(drift).ok());
    // The scale-in lookahead cannot look further than the forecast reaches (12 steps of 300 s here).
    Config lookahead;
    lookahead.scale_in_lookahead_seconds = 3600;
    EXPECT_TRUE(ValidateConfig(lookahead).ok());
    lookahead.scale_in_lookahead_seconds = 3601;
    auto far = ValidateConfig(lookahead);
    ASSERT_FALSE(far.ok());
    EXPECT_NE(far.error().message.find("loop.scale_in_lookahead_seconds"), std::string::npos) << far.error().message;
}

TEST(Config, TheExampleFileIsValidAndDocumentsEveryKey) {
    const std::string path = std::string(CLOUDOPT_REPO_DIR) + "/cloudopt.example.yaml";
    auto c = LoadConfig(path, {});
    ASSERT_TRUE(c.ok()) << c.error().message;
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const char* key :
         {"bind_address", "port", "durability", "threads", "max_body_bytes", "request_timeout_seconds", "data_dir",
          "tick_seconds", "forecast_step_seconds", "horizon_steps", "history_days", "stabilization_seconds", "quantile",
          "enabled", "speed", "file", "level", "providers", "driver"}) {
        EXPECT_NE(text.find(std::string(key) + ":"), std::string::npos) << key;
    }
}

}  // namespace
}  // namespace cloudopt
