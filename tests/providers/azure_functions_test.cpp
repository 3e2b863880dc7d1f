// Azure Functions Premium always-ready instances against a local endpoint that plays Entra ID (client-credentials
// token) and Resource Manager, checking each request's method, path, api-version, token and body, and answering in
// ARM's formats: the site config, 200 on PATCH, 409 Conflict while another operation on the site runs, 429 with
// Retry-After, 404 and 403. Plus the load from Azure Monitor's Requests metric.

#include "providers/azure_functions.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/timestamp.hpp"
#include "fake_aws.hpp"  // FormFields, FormDecode
#include "fake_cloud_server.hpp"

namespace cloudopt::providers {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::FakeCloudServer;
using testing::FormDecode;
using testing::FormFields;
using testing::RawRequest;
using testing::RawResponse;

constexpr const char* kAppId =
    "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/shop-rg/providers/Microsoft.Web/sites/"
    "orders-func";
constexpr const char* kTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";

RawResponse ArmJson(const json& body, int status = 200) {
    RawResponse r;
    r.status = status;
    r.body = body.dump();
    return r;
}

RawResponse ArmError(int status, const std::string& code, const std::string& message) {
    return ArmJson({{"error", {{"code", code}, {"message", message}}}}, status);
}

class FakeFunctions {
  public:
    FakeFunctions() : server([this](const RawRequest& req) { return Answer(req); }) {}

    RawResponse Answer(const RawRequest& req) {
        if (req.Path() == std::string("/") + kTenant + "/oauth2/v2.0/token") {
            auto form = FormFields(req.body);
            if (form["grant_type"] != "client_credentials" || form["client_secret"] != "s3cr3t~value" ||
                form["scope"] != server.url() + "/.default")
                return ArmJson({{"error", "invalid_client"},
                                {"error_description", "AADSTS7000215: Invalid client secret provided."}},
                               401);
            ++tokens_issued;
            return ArmJson({{"token_type", "Bearer"},
                            {"expires_in", 3599},
                            {"access_token", "eyJ0eXAi.fn-" + std::to_string(tokens_issued)}});
        }
        if (req.Header("Authorization") != "Bearer eyJ0eXAi.fn-" + std::to_string(tokens_issued))
            return ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.");
        if (!script.empty()) {
            RawResponse next = script.front();
            script.erase(script.begin());
            if (next.status != 0) return next;
        }
        const std::string config = std::string(kAppId) + "/config/web?api-version=2023-12-01";
        if (req.method == "GET" && req.target == config)
            return ArmJson({{"id", std::string(kAppId) + "/config/web"},
                            {"name", "orders-func"},
                            {"type", "Microsoft.Web/sites/config"},
                            {"properties",
                             {{"numberOfWorkers", 1},
                              {"minimumElasticInstanceCount", always_ready},
                              {"preWarmedInstanceCount", 1},
                              {"functionAppScaleLimit", 20},
                              {"alwaysOn", false}}}});
        if (req.method == "PATCH" && req.target == config) {
            const json body = json::parse(req.body, nullptr, false);
            if (req.Header("Content-Type") != "application/json" || !body.is_object() || body.size() != 1 ||
                !body["properties"].is_object() || body["properties"].size() != 1 ||
                !body["properties"]["minimumElasticInstanceCount"].is_number_integer())
                return ArmError(400, "BadRequest", "unexpected body " + req.body);
            always_ready = body["properties"]["minimumElasticInstanceCount"].get<int>();
            return ArmJson({{"id", std::string(kAppId) + "/config/web"},
                            {"properties", {{"minimumElasticInstanceCount", always_ready}}}});
        }
        if (req.method == "GET" && req.Path() == std::string(kAppId) + "/providers/Microsoft.Insights/metrics")
            return ArmJson(metrics);
        return ArmError(404, "ResourceNotFound", "The Resource '" + req.Path() + "' was not found.");
    }

    std::shared_ptr<AzureArmClient> Client() {
        AzureOptions options;
        options.login_endpoint = server.url();
        options.management_endpoint = server.url();
        options.scope = server.url() + "/.default";
        options.now = [] { return 1796127600LL; };
        auto client = std::make_shared<AzureArmClient>(AzureCredentials{kTenant, "app-1234", "s3cr3t~value"}, options);
        client->http().SetSleeper([this](std::chrono::milliseconds d) { waits.push_back(d); });
        return client;
    }

    int tokens_issued = 0;
    int always_ready = 2;
    json metrics;
    std::vector<RawResponse> script;
    std::vector<std::chrono::milliseconds> waits;
    FakeCloudServer server;
};

Resource App(const std::string& ref = "0b1f6471-1bf0-4dda-aec3-cb9272f09590/shop-rg/orders-func") {
    Resource r;
    r.id = 31;
    r.name = "orders";
    r.provider = "functions";
    r.provider_ref = ref;
    r.instance_type = "EP1";
    r.load_metric = "requests_per_second";
    r.capacity_per_instance = 25.0;
    return r;
}

TEST(AzureFunctions, DescribeReadsAlwaysReadyInstancesFromTheSiteConfig) {
    FakeFunctions fn;
    AzureFunctionsProvider provider(fn.Client());
    auto state = provider.Describe(App());
    ASSERT_TRUE(state.ok()) << state.error().message;
    EXPECT_EQ(state->desired, 2);
    EXPECT_EQ(state->ready, 2);
    EXPECT_EQ(state->min_size, 1);
    EXPECT_EQ(state->max_size, 20);
    EXPECT_EQ(state->instance_type, "EP1");
    // The full resource id names the same app.
    ASSERT_TRUE(provider.Describe(App(kAppId)).ok());
    const auto requests = fn.server.requests();
    ASSERT_EQ(requests.size(), 3u);  // token, GET, GET
    EXPECT_EQ(requests[1].method, "GET");
    EXPECT_EQ(requests[1].target, std::string(kAppId) + "/config/web?api-version=2023-12-01");
    EXPECT_EQ(requests[1].Header("Authorization"), "Bearer eyJ0eXAi.fn-1");
}

TEST(AzureFunctions, SetPatchesMinimumElasticInstanceCountOnly) {
    FakeFunctions fn;
    AzureFunctionsProvider provider(fn.Client());
    ASSERT_TRUE(provider.SetDesiredCapacity(App(), 5).ok());
    EXPECT_EQ(fn.always_ready, 5);
    const auto requests = fn.server.requests();
    ASSERT_EQ(requests.size(), 3u);  // token, GET, PATCH
    EXPECT_EQ(requests[2].method, "PATCH");
    EXPECT_EQ(requests[2].target, std::string(kAppId) + "/config/web?api-version=2023-12-01");
    EXPECT_EQ(requests[2].body, R"({"properties":{"minimumElasticInstanceCount":5}})");

    ASSERT_TRUE(provider.SetDesiredCapacity(App(), 5).ok());
    EXPECT_EQ(fn.server.requests().size(), 4u) << "the same count again: a GET, no PATCH";

    const Status zero = provider.SetDesiredCapacity(App(), 0);
    ASSERT_FALSE(zero.ok());
    EXPECT_EQ(zero.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(zero.error().message.find("at least one always-ready instance"), std::string::npos);
    const Status over = provider.SetDesiredCapacity(App(), 21);
    ASSERT_FALSE(over.ok());
    EXPECT_NE(over.error().message.find("functionAppScaleLimit"), std::string::npos) << over.error().message;
    EXPECT_EQ(fn.always_ready, 5);
}

TEST(AzureFunctions, ConflictAndThrottlingAreRetriedThenReported) {
    FakeFunctions fn;
    AzureFunctionsProvider provider(fn.Client());
    const RawResponse conflict =
        ArmError(409, "Conflict", "Cannot modify this site because another operation is in progress.");
    RawResponse throttled = ArmError(429, "TooManyRequests", "The request is being throttled.");
    throttled.headers.emplace_back("Retry-After", "3");
    fn.script = {RawResponse{0, "", "", {}, 0ms}, conflict, throttled};
    ASSERT_TRUE(provider.SetDesiredCapacity(App(), 4).ok());
    EXPECT_EQ(fn.always_ready, 4);
    ASSERT_EQ(fn.waits.size(), 2u);
    EXPECT_GE(fn.waits[1], 3000ms) << "Retry-After is honoured";

    fn.script = {RawResponse{0, "", "", {}, 0ms}, conflict, conflict, conflict, conflict};
    const Status s = provider.SetDesiredCapacity(App(), 7);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kConflict);
    EXPECT_NE(s.error().message.find("Conflict: Cannot modify this site because another operation is in progress."),
              std::string::npos)
        << s.error().message;
    EXPECT_NE(s.error().message.find("will try again on its next pass"), std::string::npos);
    EXPECT_EQ(fn.always_ready, 4);
}

TEST(AzureFunctions, NotFoundPermissionsAndReferences) {
    FakeFunctions fn;
    AzureFunctionsProvider provider(fn.Client());
    auto missing = provider.Describe(App("0b1f6471-1bf0-4dda-aec3-cb9272f09590/shop-rg/nosuch"));
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

    fn.script = {ArmError(
        403, "AuthorizationFailed",
        "The client 'app-1234' does not have authorization to perform action 'Microsoft.Web/sites/config/read'")};
    auto denied = provider.Describe(App());
    ASSERT_FALSE(denied.ok());
    EXPECT_NE(denied.error().message.find("Website Contributor"), std::string::npos) << denied.error().message;

    // A site that is not on an Elastic Premium plan has no always-ready count: said, not read as zero.
    fn.script = {ArmJson({{"properties", {{"numberOfWorkers", 1}}}})};
    auto consumption = provider.Describe(App());
    ASSERT_FALSE(consumption.ok());
    EXPECT_NE(consumption.error().message.find("Elastic Premium"), std::string::npos);

    for (const char* bad : {"sub/rg", "sub/rg/app/extra",
                            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/x",
                            "sub/rg/app?api-version=1", "sub/../app", "sub/rg/.."}) {
        auto r = ParseFunctionAppRef(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.error().message.find("SUBSCRIPTION_ID/RESOURCE_GROUP/FUNCTION_APP"), std::string::npos);
    }
}

TEST(AzureFunctionsLoad, RequestsPerMinuteBecomeRequestsPerSecond) {
    FakeFunctions fn;
    fn.metrics = {{"value",
                   {{{"name", {{"value", "Requests"}}},
                     {"unit", "Count"},
                     {"timeseries",
                      {{{"data",
                         {{{"timeStamp", "2026-12-01T12:18:00Z"}, {"total", 1200.0}},
                          {{"timeStamp", "2026-12-01T12:19:00Z"}, {"total", 3000.0}},
                          {{"timeStamp", "2026-12-01T12:20:00Z"}}}}}}},
                     {"errorCode", "Success"}}}}};
    AzureFunctionsSource source(fn.Client());
    auto readings = source.Collect(App(), 1796127600 + 30);
    ASSERT_TRUE(readings.ok()) << readings.error().message;
    ASSERT_EQ(readings->size(), 2u) << "the minute without data is skipped";
    EXPECT_EQ((*readings)[0].metric, "requests_per_second");
    EXPECT_EQ((*readings)[0].sample.ts, *ParseRfc3339("2026-12-01T12:18:00Z"));
    EXPECT_DOUBLE_EQ((*readings)[0].sample.value, 20.0);
    EXPECT_DOUBLE_EQ((*readings)[1].sample.value, 50.0);
    const RawRequest get = fn.server.requests().at(1);
    const auto query = FormFields(get.target.substr(get.target.find('?') + 1));
    EXPECT_EQ(query.at("api-version"), "2023-10-01");
    EXPECT_EQ(query.at("metricnames"), "Requests");
    EXPECT_EQ(query.at("aggregation"), "Total");
    EXPECT_EQ(query.at("interval"), "PT1M");
    EXPECT_EQ(query.at("timespan"), "2026-11-23T12:20:00Z/2026-12-01T12:20:00Z");

    fn.metrics = {{"value", {{{"errorCode", "BadRequest"}, {"errorMessage", "Metric Requests is not supported"}}}}};
    auto failed = source.Collect(App(), 1796127600 + 90);
    ASSERT_FALSE(failed.ok());
    EXPECT_NE(failed.error().message.find("Metric Requests is not supported"), std::string::npos);
}

}  // namespace
}  // namespace cloudopt::providers
