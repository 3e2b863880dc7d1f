// The aws, azure and gcp drivers selected in the config of the real binary: credentials stored through the API
// (sealed) or taken from the environment, resources checked against the (local, fake) cloud before they are
// saved, and configuration mistakes refused with a message that names the key.

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>

#include "providers/fake_aws.hpp"
#include "providers/fake_kubernetes.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/service.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

using nlohmann::json;
using testing::RawRequest;
using testing::RawResponse;

const providers::AwsCredentials kStoredKeys{"AKIASTOREDEXAMPLE", "stored/secret+KEY0123456789abcdefghijklm", ""};

RawResponse AwsAnswer(const RawRequest& req) {
    const auto form = testing::FormFields(req.body);
    if (form.at("Action") == "DescribeInstanceTypes")
        return testing::Xml(
            "<DescribeInstanceTypesResponse><instanceTypeSet><item><instanceType>m5.large</instanceType>"
            "<vCpuInfo><defaultVCpus>2</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>8192</sizeInMiB>"
            "</memoryInfo></item></instanceTypeSet></DescribeInstanceTypesResponse>");
    if (form.count("AutoScalingGroupNames.member.1") && form.at("AutoScalingGroupNames.member.1") == "web-asg")
        return testing::Xml(
            "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult><AutoScalingGroups><member>"
            "<AutoScalingGroupName>web-asg</AutoScalingGroupName><MinSize>1</MinSize><MaxSize>8</MaxSize>"
            "<DesiredCapacity>2</DesiredCapacity><Instances/></member></AutoScalingGroups>"
            "</DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>");
    return testing::Xml(
        "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult><AutoScalingGroups/>"
        "</DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>");
}

RawResponse AzureAnswer(const RawRequest& req) {
    RawResponse r;
    if (req.Path().find("/oauth2/v2.0/token") != std::string::npos) {
        r.body = R"({"token_type":"Bearer","expires_in":3599,"access_token":"azure-token"})";
    } else if (req.Path().find("/virtualMachineScaleSets/web-vmss/virtualMachines") != std::string::npos) {
        r.body = R"({"value":[]})";
    } else if (req.Path().find("/virtualMachineScaleSets/web-vmss") != std::string::npos) {
        r.body = R"({"sku":{"name":"Standard_D2s_v5","capacity":2}})";
    } else {
        r.status = 404;
        r.body = R"({"error":{"code":"ResourceNotFound","message":"not found"}})";
    }
    return r;
}

json Resource(const std::string& name, const std::string& provider, const std::string& ref) {
    return {{"name", name},        {"provider", provider},      {"provider_ref", ref}, {"instance_type", "m5.large"},
            {"mode", "recommend"}, {"capacity_per_instance", 2}};
}

TEST(CloudDrivers, StoredAndEnvironmentCredentialsReachTheCloudsAndResourcesAreChecked) {
    std::string signature_problem = "no AWS request";
    testing::FakeCloudServer aws([&](const RawRequest& req) {
        signature_problem = testing::CheckSigV4(req, kStoredKeys, "us-east-1", "autoscaling");
        return AwsAnswer(req);
    });
    testing::FakeCloudServer azure(AzureAnswer);
    testing::FakeKubernetesApi cluster;
    testing::TempDir dir;
    setenv("CLOUDOPT_ADMIN_PASSWORD", testing::kTestAdminPassword, 1);

    // First start: store the AWS key through the API, sealed under the master key.
    {
        const unsigned short port = testing::FreePort();
        testing::ChildProcess server(
            {CLOUDOPT_BINARY, "serve", "--port", std::to_string(port), "--data-dir", dir.File("data")},
            dir.File("log1"));
        ASSERT_TRUE(testing::WaitHealthy(port)) << testing::ReadFile(dir.File("log1"));
        testing::HttpClient admin(port);
        admin.SetHeader("Authorization", testing::LoginBearer(port));
        auto stored = admin.Post(
            "/api/credentials",
            json{{"name", "prod-aws"},
                 {"kind", "aws"},
                 {"secret",
                  {{"access_key_id", kStoredKeys.access_key_id}, {"secret_access_key", kStoredKeys.secret_access_key}}}}
                .dump());
        ASSERT_EQ(stored.status, 201) << stored.body;
        auto kube =
            admin.Post("/api/credentials", json{{"name", "prod-k8s"},
                                                {"kind", "kubernetes"},
                                                {"secret", {{"server", cluster.url()}, {"token", "stored-kube-token"}}}}
                                               .dump());
        ASSERT_EQ(kube.status, 201) << kube.body;
        server.Signal(SIGTERM);
        ASSERT_EQ(server.Wait(), 0);
    }

    // Second start: aws uses the stored credential, azure the environment's service principal.
    std::ofstream(dir.File("cloudopt.yaml"))
        << "providers:\n"
        << "  aws: {driver: aws, credential: prod-aws, endpoint: '" << aws.url() << "', metrics: none}\n"
        << "  azure: {driver: azure, login_endpoint: '" << azure.url() << "', management_endpoint: '" << azure.url()
        << "', metrics: none}\n"
        << "  kubernetes: {driver: kubernetes, credential: prod-k8s}\n";
    setenv("AZURE_TENANT_ID", "tenant-1", 1);
    setenv("AZURE_CLIENT_ID", "client-1", 1);
    setenv("AZURE_CLIENT_SECRET", "azure-secret", 1);
    const unsigned short port = testing::FreePort();
    testing::ChildProcess server({CLOUDOPT_BINARY, "serve", "--config", dir.File("cloudopt.yaml"), "--port",
                                  std::to_string(port), "--data-dir", dir.File("data")},
                                 dir.File("log2"));
    const bool healthy = testing::WaitHealthy(port);
    unsetenv("AZURE_TENANT_ID");
    unsetenv("AZURE_CLIENT_ID");
    unsetenv("AZURE_CLIENT_SECRET");
    ASSERT_TRUE(healthy) << testing::ReadFile(dir.File("log2"));
    testing::HttpClient admin(port);
    admin.SetHeader("Authorization", testing::LoginBearer(port));

    auto created = admin.Post("/api/resources", Resource("web", "aws", "us-east-1/web-asg").dump());
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(signature_problem, "") << "signed with the stored key";
    const int web_id = json::parse(created.body)["id"].get<int>();
    auto offered = admin.Get("/api/resources/" + std::to_string(web_id) + "/instance-types");
    ASSERT_EQ(offered.status, 200) << offered.body;
    const json types = json::parse(offered.body)["instance_types"];
    ASSERT_EQ(types.size(), 1u);
    EXPECT_EQ(types[0]["name"], "m5.large");
    EXPECT_EQ(types[0]["memory_gib"], 8.0);
    EXPECT_TRUE(types[0]["price_per_hour"].is_number()) << "priced from the catalog";
    auto ghost = admin.Post("/api/resources", Resource("ghost", "aws", "us-east-1/ghost-asg").dump());
    EXPECT_EQ(ghost.status, 422) << ghost.body;
    EXPECT_NE(ghost.body.find("no Auto Scaling group 'ghost-asg' in us-east-1"), std::string::npos) << ghost.body;
    auto malformed = admin.Post("/api/resources", Resource("bad", "aws", "web-asg").dump());
    EXPECT_EQ(malformed.status, 400) << malformed.body;
    EXPECT_NE(malformed.body.find("REGION/AUTO_SCALING_GROUP_NAME"), std::string::npos);

    // One resource per cloud group: the group is web's until web is deleted.
    auto twin = admin.Post("/api/resources", Resource("web-twin", "aws", "us-east-1/web-asg").dump());
    EXPECT_EQ(twin.status, 409) << twin.body;
    EXPECT_EQ(admin.Request("DELETE", "/api/resources/" + std::to_string(web_id)).status, 204);

    // The CLI adds resources through the same API, with the same check against the cloud.
    const std::string bearer = testing::LoginBearer(port);
    const std::string server_url = "http://127.0.0.1:" + std::to_string(port);
    const std::vector<std::string> cli = {
        CLOUDOPT_BINARY,     "resource",        "add",      "web-cli",       "--provider", "aws",    "--ref",
        "us-east-1/web-asg", "--instance-type", "m5.large", "--max",         "8",          "--mode", "recommend",
        "--server",          server_url,        "--token",  bearer.substr(7)};
    EXPECT_EQ(testing::RunToExit(cli, dir.File("cli1")), 0) << testing::ReadFile(dir.File("cli1"));
    EXPECT_NE(testing::ReadFile(dir.File("cli1")).find("added resource"), std::string::npos);
    std::vector<std::string> ghost_cli = cli;
    ghost_cli[3] = "ghost-cli";
    ghost_cli[7] = "us-east-1/ghost-asg";
    EXPECT_EQ(testing::RunToExit(ghost_cli, dir.File("cli2")), 2);
    EXPECT_NE(testing::ReadFile(dir.File("cli2")).find("no Auto Scaling group 'ghost-asg'"), std::string::npos)
        << testing::ReadFile(dir.File("cli2"));
    EXPECT_EQ(
        testing::RunToExit({CLOUDOPT_BINARY, "resource", "list", "--server", server_url, "--token", bearer.substr(7)},
                           dir.File("cli3")),
        0);
    EXPECT_NE(testing::ReadFile(dir.File("cli3")).find("web-cli"), std::string::npos)
        << testing::ReadFile(dir.File("cli3"));
    // A model trained offline goes in before the resource's first load, and comes back out as a model file.
    const std::vector<std::string> remote = {"--server", server_url, "--token", bearer.substr(7)};
    auto resource_cli = [&](std::vector<std::string> args, const std::string& log) {
        args.insert(args.begin(), {CLOUDOPT_BINARY, "resource"});
        args.insert(args.end(), remote.begin(), remote.end());
        return testing::RunToExit(args, dir.File(log));
    };
    EXPECT_EQ(resource_cli({"export-model", "web-cli", "--out", dir.File("none.model")}, "cli6"), 2);
    EXPECT_NE(testing::ReadFile(dir.File("cli6")).find("no trained model"), std::string::npos)
        << testing::ReadFile(dir.File("cli6"));
    ASSERT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "train", "--data",
                                  std::string(CLOUDOPT_REPO_DIR) + "/tests/data/alibaba2018_cpu.csv", "--model",
                                  "naive", "--horizon", "12", "--out", dir.File("offline.model")},
                                 dir.File("train")),
              0)
        << testing::ReadFile(dir.File("train"));
    EXPECT_EQ(resource_cli({"import-model", "web-cli", "--file", dir.File("offline.model")}, "cli7"), 0)
        << testing::ReadFile(dir.File("cli7"));
    EXPECT_NE(testing::ReadFile(dir.File("cli7")).find("'web-cli' now forecasts with naive"), std::string::npos)
        << testing::ReadFile(dir.File("cli7"));
    EXPECT_EQ(resource_cli({"export-model", "web-cli", "--out", dir.File("web.model")}, "cli8"), 0)
        << testing::ReadFile(dir.File("cli8"));
    EXPECT_EQ(testing::ReadFile(dir.File("web.model")).substr(0, 8), "COMODEL5");
    std::ofstream(dir.File("junk.model")) << "not a model";
    EXPECT_EQ(resource_cli({"import-model", "web-cli", "--file", dir.File("junk.model")}, "cli9"), 2);
    EXPECT_NE(testing::ReadFile(dir.File("cli9")).find("wrong magic"), std::string::npos)
        << testing::ReadFile(dir.File("cli9"));
    EXPECT_EQ(resource_cli({"import-model", "web-cli", "--file", dir.File("missing.model")}, "cli10"), 2);
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "resource", "list", "--server", server_url}, dir.File("cli4")), 2)
        << "no token: refused";
    EXPECT_NE(testing::ReadFile(dir.File("cli4")).find("CLOUDOPT_TOKEN"), std::string::npos);
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "resource", "list", "--server",
                                  "http://127.0.0.1:" + std::to_string(testing::FreePort())},
                                 dir.File("cli5")),
              1)
        << "nothing listening";

    auto vmss = admin.Post("/api/resources",
                           Resource("api", "azure", "0b1f6471-1bf0-4dda-aec3-cb9272f09590/shop-rg/web-vmss").dump());
    ASSERT_EQ(vmss.status, 201) << vmss.body;
    const auto azure_requests = azure.requests();
    ASSERT_GE(azure_requests.size(), 2u);
    EXPECT_EQ(testing::FormFields(azure_requests[0].body)["client_secret"], "azure-secret");
    EXPECT_EQ(azure_requests[1].Header("Authorization"), "Bearer azure-token");

    // Kubernetes from a stored credential: its server and token.
    auto deployment = admin.Post("/api/resources", Resource("shop", "kubernetes", "shop/web").dump());
    ASSERT_EQ(deployment.status, 201) << deployment.body;
    ASSERT_FALSE(cluster.seen().empty());
    EXPECT_EQ(cluster.seen()[0], "GET /apis/apps/v1/namespaces/shop/deployments/web/scale Bearer stored-kube-token");

    // The stored secret never reaches the log.
    EXPECT_EQ(testing::ReadFile(dir.File("log2")).find(kStoredKeys.secret_access_key), std::string::npos);
}

TEST(CloudDrivers, MistakesInTheProviderConfigStopStartWithTheirName) {
    testing::TempDir dir;
    setenv("CLOUDOPT_ADMIN_PASSWORD", testing::kTestAdminPassword, 1);
    struct Case {
        std::string yaml;
        int exit_code;
        std::string fragment;
    };
    const std::vector<Case> cases = {
        {"providers:\n  aws: {driver: aws, region: us-east-1}\n", 2,
         "providers.aws.region: unknown key for driver 'aws'"},
        {"providers:\n  aws: {driver: ec2}\n", 2,
         "providers.aws.driver: must be simulated, kubernetes, aws, azure, gcp, host, aws_lambda, gcp_cloud_run, "
         "azure_functions or keda"},
        {"providers:\n  aws: {driver: aws, credential: nowhere}\n", 1, "credential 'nowhere' does not exist"},
        {"providers:\n  gcp: {driver: gcp, key_file: /nonexistent/key.json}\n", 1, "/nonexistent/key.json"},
        {"providers:\n  aws: {driver: aws, metrics: sometimes}\n", 2, "providers.aws.metrics: must be cloud"},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const std::string config = dir.File("c" + std::to_string(i) + ".yaml"), log = dir.File("l" + std::to_string(i));
        std::ofstream(config) << cases[i].yaml;
        const int code = testing::RunToExit({CLOUDOPT_BINARY, "serve", "--config", config, "--port",
                                             std::to_string(testing::FreePort()), "--data-dir", dir.File("data")},
                                            log);
        EXPECT_EQ(code, cases[i].exit_code) << cases[i].yaml << testing::ReadFile(log);
        EXPECT_NE(testing::ReadFile(log).find(cases[i].fragment), std::string::npos) << testing::ReadFile(log);
    }
}

}  // namespace
}  // namespace cloudopt
