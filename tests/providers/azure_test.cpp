// Azure VM Scale Sets and Azure Monitor against a local endpoint that plays both Entra ID (the client-credentials
// token) and Resource Manager, checking each request's method, path, api-version, token and body, and answering
// in ARM's formats: success, throttling, 4xx, 5xx, malformed bodies and expired tokens.

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "core/timestamp.hpp"
#include "fake_aws.hpp"  // FormFields
#include "fake_cloud_server.hpp"
#include "providers/azure_vmss.hpp"

namespace cloudopt::providers {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::FakeCloudServer;
using testing::FormFields;
using testing::RawRequest;
using testing::RawResponse;

constexpr const char* kVmssId =
    "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/shop-rg/providers/Microsoft.Compute/"
    "virtualMachineScaleSets/web-vmss";

RawResponse ArmJson(const json& body, int status = 200) {
    RawResponse r;
    r.status = status;
    r.body = body.dump();
    return r;
}

RawResponse ArmError(int status, const std::string& code, const std::string& message) {
    return ArmJson({{"error", {{"code", code}, {"message", message}}}}, status);
}

// Entra ID and ARM on one port. The scale set has capacity 3; two VMs finished provisioning (on two pages).
class FakeAzure {
  public:
    FakeAzure() : server([this](const RawRequest& req) { return Answer(req); }) {}

    RawResponse Answer(const RawRequest& req) {
        const std::string path = req.Path();
        if (path == "/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token") {
            auto form = FormFields(req.body);
            if (form["client_secret"] != "s3cr3t~value")
                return ArmJson({{"error", "invalid_client"},
                                {"error_description", "AADSTS7000215: Invalid client secret provided."}},
                               401);
            ++tokens_issued;
            return ArmJson({{"token_type", "Bearer"},
                            {"expires_in", 3599},
                            {"ext_expires_in", 3599},
                            {"access_token", "eyJ0eXAi.token-" + std::to_string(tokens_issued.load())}});
        }
        if (req.Header("Authorization") != "Bearer eyJ0eXAi.token-" + std::to_string(tokens_issued.load()))
            return ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.");
        if (override_answer) return *override_answer;
        if (req.method == "GET" &&
            req.target ==
                "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/providers/"
                "Microsoft.Compute/skus?api-version=2021-07-01&%24filter=location%20eq%20%27eastus%27")
            return ArmJson(
                {{"value",
                  {{{"resourceType", "virtualMachines"},
                    {"name", "Standard_D2s_v5"},
                    {"capabilities", {{{"name", "vCPUs"}, {"value", "2"}}, {{"name", "MemoryGB"}, {"value", "8"}}}},
                    {"restrictions", json::array()}},
                   {{"resourceType", "virtualMachines"},
                    {"name", "Standard_M416ms_v2"},
                    {"capabilities", {{{"name", "vCPUs"}, {"value", "416"}}}},
                    {"restrictions", {{{"type", "Location"}, {"reasonCode", "NotAvailableForSubscription"}}}}},
                   {{"resourceType", "disks"}, {"name", "Premium_LRS"}}}}});
        if (req.method == "GET" && req.target == std::string(kVmssId) + "?api-version=2024-07-01")
            return ArmJson({{"name", "web-vmss"},
                            {"location", "eastus"},
                            {"sku", {{"name", "Standard_D2s_v5"}, {"tier", "Standard"}, {"capacity", capacity}}},
                            {"properties", {{"provisioningState", "Succeeded"}}}});
        if (req.method == "GET" && req.target == std::string(kVmssId) + "/virtualMachines?api-version=2024-07-01")
            return ArmJson({{"value",
                             {{{"name", "web-vmss_0"}, {"properties", {{"provisioningState", "Succeeded"}}}},
                              {{"name", "web-vmss_1"}, {"properties", {{"provisioningState", "Creating"}}}}}},
                            {"nextLink", "https://management.azure.com" + std::string(kVmssId) +
                                             "/virtualMachines?api-version=2024-07-01&%24skiptoken=page2"}});
        if (req.method == "GET" &&
            req.target == std::string(kVmssId) + "/virtualMachines?api-version=2024-07-01&%24skiptoken=page2")
            return ArmJson(
                {{"value", {{{"name", "web-vmss_2"}, {"properties", {{"provisioningState", "Succeeded"}}}}}}});
        if (req.method == "PATCH" && req.target == std::string(kVmssId) + "?api-version=2024-07-01") {
            capacity = json::parse(req.body)["sku"]["capacity"].get<int>();
            RawResponse accepted = ArmJson({{"sku", {{"capacity", capacity}}}}, 202);
            accepted.headers.emplace_back("Azure-AsyncOperation", "https://management.azure.com/op/1");
            return accepted;
        }
        if (req.method == "GET" && req.Path() == std::string(kVmssId) + "/providers/Microsoft.Insights/metrics")
            return ArmJson(metrics);
        return ArmError(404, "ResourceNotFound", "The Resource '" + path + "' was not found.");
    }

    std::shared_ptr<AzureArmClient> Client(const std::string& secret = "s3cr3t~value") {
        AzureOptions options;
        options.login_endpoint = server.url();
        options.management_endpoint = server.url();
        options.now = [this] { return now.load(); };
        auto client = std::make_shared<AzureArmClient>(
            AzureCredentials{"72f988bf-86f1-41af-91ab-2d7cd011db47", "app-1234", secret}, options);
        client->http().SetSleeper([this](std::chrono::milliseconds d) { waits.push_back(d); });
        return client;
    }

    std::atomic<int> tokens_issued{0};
    std::atomic<long long> now{1796127600};
    int capacity = 3;
    json metrics;
    std::optional<RawResponse> override_answer;
    std::vector<std::chrono::milliseconds> waits;
    FakeCloudServer server;
};

Resource ScaleSet(const std::string& ref = kVmssId) {
    Resource r;
    r.id = 3;
    r.name = "web";
    r.provider = "azure";
    r.provider_ref = ref;
    r.instance_type = "Standard_D2s_v5";
    r.capacity_per_instance = 2.0;
    return r;
}

TEST(AzureVmss, TokenByClientCredentialsThenDescribeAcrossPages) {
    FakeAzure azure;
    auto client = azure.Client();
    AzureVmssProvider provider(client);
    auto state = provider.Describe(ScaleSet("0b1f6471-1bf0-4dda-aec3-cb9272f09590/shop-rg/web-vmss"));
    ASSERT_TRUE(state.ok()) << state.error().message;
    EXPECT_EQ(state->desired, 3);
    EXPECT_EQ(state->ready, 2) << "web-vmss_1 is still being created";
    EXPECT_EQ(state->instance_type, "Standard_D2s_v5");

    const auto requests = azure.server.requests();
    ASSERT_EQ(requests.size(), 4u);  // token, scale set, two pages of VMs
    const RawRequest& token = requests[0];
    EXPECT_EQ(token.method, "POST");
    EXPECT_EQ(token.Header("Content-Type"), "application/x-www-form-urlencoded");
    const auto form = FormFields(token.body);
    EXPECT_EQ(form.at("grant_type"), "client_credentials");
    EXPECT_EQ(form.at("client_id"), "app-1234");
    EXPECT_EQ(form.at("scope"), "https://management.azure.com/.default");
    EXPECT_EQ(token.body,
              "grant_type=client_credentials&client_id=app-1234&client_secret=s3cr3t~value"
              "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
    EXPECT_EQ(requests[1].Header("Authorization"), "Bearer eyJ0eXAi.token-1");

    // The token is reused until five minutes before it expires, then fetched again.
    ASSERT_TRUE(provider.Describe(ScaleSet()).ok());
    EXPECT_EQ(client->tokens().fetches(), 1);
    azure.now += 3599 - 299;
    ASSERT_TRUE(provider.Describe(ScaleSet()).ok());
    EXPECT_EQ(client->tokens().fetches(), 2);
}

TEST(AzureVmss, SetCapacityPatchesSkuCapacityAndAcceptsAsync202) {
    FakeAzure azure;
    AzureVmssProvider provider(azure.Client());
    ASSERT_TRUE(provider.SetDesiredCapacity(ScaleSet(), 5).ok());
    const RawRequest patch = azure.server.requests().back();
    EXPECT_EQ(patch.method, "PATCH");
    EXPECT_EQ(patch.target, std::string(kVmssId) + "?api-version=2024-07-01");
    EXPECT_EQ(patch.Header("Content-Type"), "application/json");
    EXPECT_EQ(patch.body, R"({"sku":{"capacity":5}})");
    EXPECT_EQ(azure.capacity, 5);
    // Idempotent: asking again sends the same patch and changes nothing.
    ASSERT_TRUE(provider.SetDesiredCapacity(ScaleSet(), 5).ok());
    EXPECT_EQ(azure.capacity, 5);
}

TEST(AzureVmss, ErrorsThrottlingAndRevokedTokens) {
    FakeAzure azure;
    auto client = azure.Client();
    AzureVmssProvider provider(client);

    auto missing = provider.Describe(ScaleSet("0b1f6471-1bf0-4dda-aec3-cb9272f09590/shop-rg/nope"));
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
    EXPECT_NE(missing.error().message.find("ResourceNotFound"), std::string::npos) << missing.error().message;

    RawResponse throttled = ArmError(429, "TooManyRequests", "Rate limit exceeded");
    throttled.headers.emplace_back("Retry-After", "3");
    azure.override_answer = throttled;
    const std::size_t before = azure.server.requests().size();
    Status s = provider.SetDesiredCapacity(ScaleSet(), 4);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(azure.server.requests().size() - before, 4u) << "429 is retried up to the attempt limit";
    ASSERT_FALSE(azure.waits.empty());
    EXPECT_GE(azure.waits[0], 3000ms) << "Retry-After is honoured";

    azure.override_answer =
        ArmError(409, "OperationNotAllowed", "Operation 'scale' is not allowed since a Delete is in progress.");
    s = provider.SetDesiredCapacity(ScaleSet(), 4);
    EXPECT_EQ(s.error().code, ErrorCode::kConflict);
    EXPECT_NE(s.error().message.find("OperationNotAllowed"), std::string::npos);

    azure.override_answer =
        ArmError(500, "InternalServerError", "An unexpected error occured while processing the request.");
    s = provider.SetDesiredCapacity(ScaleSet(), 4);
    EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(s.error().message.find("HTTP 500: InternalServerError"), std::string::npos) << s.error().message;

    azure.override_answer = RawResponse{200, "application/json", "{not json", {}, {}};
    auto garbled = provider.Describe(ScaleSet());
    ASSERT_FALSE(garbled.ok());
    EXPECT_NE(garbled.error().message.find("no sku.capacity"), std::string::npos);

    // A token revoked before its time: one fresh token is fetched and the call succeeds.
    azure.override_answer.reset();
    const int fetched = client->tokens().fetches();
    azure.tokens_issued += 1;  // the server now expects a token the client does not have
    ASSERT_TRUE(provider.Describe(ScaleSet()).ok());
    EXPECT_EQ(client->tokens().fetches(), fetched + 1);
}

TEST(AzureVmss, AWrongSecretSaysWhatEntraIdSaid) {
    FakeAzure azure;
    AzureVmssProvider provider(azure.Client("wrong"));
    auto state = provider.Describe(ScaleSet());
    ASSERT_FALSE(state.ok());
    EXPECT_EQ(state.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(state.error().message.find("invalid_client: AADSTS7000215"), std::string::npos) << state.error().message;
    EXPECT_EQ(azure.server.requests().size(), 1u) << "a 401 from the token endpoint is final";
}

TEST(AzureVmss, InstanceTypesAreTheUnrestrictedVmSkusOfItsLocation) {
    FakeAzure azure;
    auto types = AzureVmssProvider(azure.Client()).ListInstanceTypes(ScaleSet());
    ASSERT_TRUE(types.ok()) << types.error().message;
    EXPECT_EQ(*types, (std::vector<OfferedInstanceType>{{"Standard_D2s_v5", 2, 8}}))
        << "disks and SKUs restricted in the location are left out";
}

TEST(AzureVmss, ASlowManagementEndpointTimesOut) {
    testing::FakeCloudServer slow([](const RawRequest& req) {
        RawResponse r = ArmJson({{"token_type", "Bearer"}, {"expires_in", 3599}, {"access_token", "t"}});
        if (req.Path().find("/oauth2/") == std::string::npos) r.delay = 1500ms;
        return r;
    });
    AzureOptions options;
    options.login_endpoint = options.management_endpoint = slow.url();
    options.http.timeout = 300ms;
    options.http.retry.max_attempts = 1;
    AzureVmssProvider provider(std::make_shared<AzureArmClient>(AzureCredentials{"t", "c", "s"}, options));
    auto state = provider.Describe(ScaleSet());
    ASSERT_FALSE(state.ok());
    EXPECT_EQ(state.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(state.error().message.find("Timeout"), std::string::npos) << state.error().message;
}

TEST(AzureVmss, ReferencesAreValidated) {
    EXPECT_EQ(*ParseVmssRef("0b1f6471-1bf0-4dda-aec3-cb9272f09590/shop-rg/web-vmss"), kVmssId);
    EXPECT_EQ(*ParseVmssRef(kVmssId), kVmssId);
    for (const char* bad : {"web-vmss", "sub/rg", "sub/rg/name?x=1", "sub/rg/a b",
                            "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/disks/d",
                            // "." and ".." are path steps a URL resolves: "sub/../x" would address another resource.
                            "sub/../web-vmss", "sub/rg/..", "./rg/web-vmss"}) {
        auto r = ParseVmssRef(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.error().message.find("SUBSCRIPTION_ID/RESOURCE_GROUP/SCALE_SET"), std::string::npos);
    }
}

TEST(AzureMonitor, PercentageCpuPerVmIsSummedIntoLoad) {
    FakeAzure azure;
    azure.metrics = {{"cost", 0},
                     {"interval", "PT1M"},
                     {"value",
                      {{{"name", {{"value", "Percentage CPU"}}},
                        {"unit", "Percent"},
                        {"errorCode", "Success"},
                        {"timeseries",
                         {{{"metadatavalues", {{{"name", {{"value", "vmname"}}}, {"value", "web-vmss_0"}}}},
                           {"data",
                            {{{"timeStamp", "2026-12-01T12:17:00Z"}, {"average", 50.0}},
                             {{"timeStamp", "2026-12-01T12:18:00Z"}, {"average", 70.0}}}}},
                          {{"metadatavalues", {{{"name", {{"value", "vmname"}}}, {"value", "web-vmss_2"}}}},
                           {"data",
                            {{{"timeStamp", "2026-12-01T12:17:00Z"}, {"average", 30.0}},
                             {{"timeStamp", "2026-12-01T12:18:00Z"}}}}}}}}}}};
    AzureMonitorSource source(azure.Client());
    auto readings = source.Collect(ScaleSet(), 1796127600);
    ASSERT_TRUE(readings.ok()) << readings.error().message;
    const RawRequest req = azure.server.requests().back();
    EXPECT_EQ(req.Path(), std::string(kVmssId) + "/providers/Microsoft.Insights/metrics");
    EXPECT_NE(req.target.find("api-version=2023-10-01"), std::string::npos);
    EXPECT_NE(req.target.find("metricnames=Percentage%20CPU"), std::string::npos);
    EXPECT_NE(req.target.find("aggregation=Average&interval=PT1M"), std::string::npos);
    EXPECT_NE(req.target.find("timespan=2026-11-23T12%3A20%3A00Z%2F2026-12-01T12%3A20%3A00Z"), std::string::npos)
        << req.target;
    EXPECT_NE(req.target.find("%24filter=VMName%20eq%20%27%2A%27"), std::string::npos) << req.target;

    const UnixSeconds t0 = *ParseRfc3339("2026-12-01T12:17:00Z");
    ASSERT_EQ(readings->size(), 4u);
    EXPECT_EQ((*readings)[0].metric, "cpu_utilization");
    EXPECT_DOUBLE_EQ((*readings)[0].sample.value, 0.4);  // mean of 50% and 30%
    EXPECT_EQ((*readings)[1].metric, "cpu_cores");
    EXPECT_EQ((*readings)[1].sample.ts, t0);
    EXPECT_DOUBLE_EQ((*readings)[1].sample.value, (0.5 + 0.3) * 2.0);
    EXPECT_DOUBLE_EQ((*readings)[3].sample.value, 0.7 * 2.0) << "a VM without data that minute adds nothing";

    azure.metrics = {
        {"value", {{{"errorCode", "MetricNotFound"}, {"errorMessage", "Percentage CPU is not a metric here"}}}}};
    AzureMonitorSource fresh(azure.Client());
    auto failed = fresh.Collect(ScaleSet(), 1796127600);
    ASSERT_FALSE(failed.ok());
    EXPECT_NE(failed.error().message.find("MetricNotFound"), std::string::npos);
}

}  // namespace
}  // namespace cloudopt::providers
