// The serverless drivers selected in the config of the real binary: a Lambda alias is checked against the (local,
// fake) Lambda API before it is saved, signed with the environment's keys for service "lambda"; a missing
// function is a 422 with Lambda's words, and $LATEST a 400 saying why.

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "providers/fake_aws.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/service.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

using nlohmann::json;
using testing::RawRequest;
using testing::RawResponse;

const providers::AwsCredentials kEnvKeys{"AKIAENVEXAMPLE", "env/secret+KEY0123456789abcdefghijklmnop", ""};

TEST(ServerlessDrivers, ALambdaAliasIsCheckedAgainstLambdaBeforeItIsSaved) {
    std::mutex mutex;
    std::vector<std::string> problems;
    testing::FakeCloudServer lambda([&](const RawRequest& req) {
        RawResponse r;
        const std::string problem = testing::CheckSigV4(req, kEnvKeys, "us-east-1", "lambda");
        if (!problem.empty()) {
            std::lock_guard lock(mutex);
            problems.push_back(problem);
        }
        if (req.Path() == "/2019-09-30/functions/checkout/provisioned-concurrency") {
            r.body = R"({"RequestedProvisionedConcurrentExecutions":3,"AvailableProvisionedConcurrentExecutions":3,)"
                     R"("AllocatedProvisionedConcurrentExecutions":3,"Status":"READY"})";
            return r;
        }
        r.status = 404;
        r.headers.emplace_back("x-amzn-ErrorType", "ResourceNotFoundException");
        r.body =
            R"({"Type":"User","message":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:ghost"})";
        return r;
    });
    testing::TempDir dir;
    setenv("CLOUDOPT_ADMIN_PASSWORD", testing::kTestAdminPassword, 1);
    std::ofstream(dir.File("cloudopt.yaml"))
        << "providers:\n"
        << "  lambda: {driver: aws_lambda, endpoint: '" << lambda.url() << "', metrics: none}\n";
    setenv("AWS_ACCESS_KEY_ID", kEnvKeys.access_key_id.c_str(), 1);
    setenv("AWS_SECRET_ACCESS_KEY", kEnvKeys.secret_access_key.c_str(), 1);
    const unsigned short port = testing::FreePort();
    testing::ChildProcess server({CLOUDOPT_BINARY, "serve", "--config", dir.File("cloudopt.yaml"), "--port",
                                  std::to_string(port), "--data-dir", dir.File("data")},
                                 dir.File("log"));
    const bool healthy = testing::WaitHealthy(port);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    ASSERT_TRUE(healthy) << testing::ReadFile(dir.File("log"));
    testing::HttpClient admin(port);
    admin.SetHeader("Authorization", testing::LoginBearer(port));

    const json alias = {{"name", "checkout-fn"},
                        {"provider", "lambda"},
                        {"provider_ref", "us-east-1/checkout:live"},
                        {"instance_type", "lambda.pc.x86.1024mb"},
                        {"mode", "recommend"},
                        {"load_metric", "concurrent_executions"},
                        {"capacity_per_instance", 1},
                        {"min_capacity", 0},
                        {"max_capacity", 200},
                        {"boot_delay_s", 120}};
    auto created = admin.Post("/api/resources", alias.dump());
    ASSERT_EQ(created.status, 201) << created.body;
    {
        std::lock_guard lock(mutex);
        EXPECT_TRUE(problems.empty()) << problems.front();
    }
    ASSERT_FALSE(lambda.requests().empty());
    EXPECT_EQ(lambda.requests().front().target,
              "/2019-09-30/functions/checkout/provisioned-concurrency?Qualifier=live");

    json ghost = alias;
    ghost["name"] = "ghost";
    ghost["provider_ref"] = "us-east-1/ghost:live";
    auto missing = admin.Post("/api/resources", ghost.dump());
    EXPECT_EQ(missing.status, 422) << missing.body;
    EXPECT_NE(missing.body.find("ResourceNotFoundException"), std::string::npos) << missing.body;

    json latest = alias;
    latest["name"] = "latest";
    latest["provider_ref"] = "us-east-1/checkout:$LATEST";
    auto refused = admin.Post("/api/resources", latest.dump());
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_NE(refused.body.find("not on $LATEST"), std::string::npos) << refused.body;

    server.Signal(SIGTERM);
    EXPECT_EQ(server.Wait(), 0);
}

}  // namespace
}  // namespace cloudopt
