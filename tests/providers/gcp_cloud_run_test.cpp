// Cloud Run minimum instances against a local endpoint that plays Google's token endpoint (verifying the service
// account's RS256 JWT), the Cloud Run Admin API v2 and Cloud Monitoring, checking each request's method, path,
// update mask, token and body, and answering in Google's formats: a service, a long-running operation, the
// documented refusals while a rollout is in progress (409 ABORTED, 400 FAILED_PRECONDITION), 429 and 404.

#include "providers/gcp_cloud_run.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/timestamp.hpp"
#include "fake_aws.hpp"  // FormFields, FormDecode
#include "fake_cloud_server.hpp"
#include "fake_google.hpp"

namespace cloudopt::providers {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::FakeCloudServer;
using testing::FormDecode;
using testing::FormFields;
using testing::Key;
using testing::RawRequest;
using testing::RawResponse;

constexpr long long kNow = 1796127600;  // 2026-12-01T12:20:00Z
constexpr const char* kServicePath = "/v2/projects/shop-prod/locations/us-central1/services/checkout";

RawResponse GoogleJson(const json& body, int status = 200) {
    RawResponse r;
    r.status = status;
    r.body = body.dump();
    return r;
}

RawResponse GoogleError(int status, const std::string& state, const std::string& message) {
    return GoogleJson({{"error", {{"code", status}, {"message", message}, {"status", state}}}}, status);
}

class FakeCloudRun {
  public:
    FakeCloudRun() : server([this](const RawRequest& req) { return Answer(req); }) {}

    RawResponse Answer(const RawRequest& req) {
        if (req.Path() == "/token") {
            json header, claims;
            jwt_problem = testing::VerifyRs256(FormFields(req.body)["assertion"], header, claims);
            if (!jwt_problem.empty())
                return GoogleJson({{"error", "invalid_grant"}, {"error_description", "Invalid JWT Signature."}}, 400);
            ++tokens_issued;
            return GoogleJson({{"access_token", "ya29.run-" + std::to_string(tokens_issued)},
                               {"expires_in", 3599},
                               {"token_type", "Bearer"}});
        }
        if (req.Header("Authorization") != "Bearer ya29.run-" + std::to_string(tokens_issued))
            return GoogleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
        if (!script.empty()) {
            RawResponse next = script.front();
            script.erase(script.begin());
            if (next.status != 0) return next;
        }
        if (req.Path() == "/v3/projects/shop-prod/timeSeries") {
            const std::string filter = FormDecode(FormFields(req.target.substr(req.target.find('?') + 1))["filter"]);
            return GoogleJson(filter.find("request_count") != std::string::npos ? requests_series : instances_series);
        }
        if (req.Path() != kServicePath)
            return GoogleError(404, "NOT_FOUND", "Resource '" + req.Path() + "' of kind 'SERVICE' does not exist.");
        if (req.method == "GET") return GoogleJson(Service());
        if (req.method == "PATCH") {
            const json body = json::parse(req.body, nullptr, false);
            if (req.target != std::string(kServicePath) + "?updateMask=scaling.minInstanceCount" ||
                req.Header("Content-Type") != "application/json" || !body.is_object() || body.size() != 1 ||
                !body["scaling"].is_object() || body["scaling"].size() != 1 ||
                !body["scaling"]["minInstanceCount"].is_number_integer())
                return GoogleError(400, "INVALID_ARGUMENT", "unexpected patch: " + req.target + " " + req.body);
            min_instances = body["scaling"]["minInstanceCount"].get<int>();
            return GoogleJson({{"name", "projects/shop-prod/locations/us-central1/operations/5f1c2a"},
                               {"metadata", {{"@type", "type.googleapis.com/google.cloud.run.v2.Service"}}},
                               {"done", false}});
        }
        return GoogleError(405, "UNIMPLEMENTED", req.method);
    }

    json Service() const {
        json s = {{"name", "projects/shop-prod/locations/us-central1/services/checkout"},
                  {"uid", "1f7e2c1a-0000-4000-8000-000000000000"},
                  {"generation", "7"},
                  {"reconciling", false},
                  {"etag", "\"CL3xqrIGEJDx0rAC/cHJvamVjdHMv\""},
                  {"template", {{"scaling", {{"maxInstanceCount", 100}}}, {"maxInstanceRequestConcurrency", 80}}},
                  {"scaling", {{"maxInstanceCount", 50}}}};
        if (min_instances > 0) s["scaling"]["minInstanceCount"] = min_instances;  // proto3 JSON omits zero
        return s;
    }

    std::shared_ptr<GcpClient> Client() {
        GcpServiceAccount account;
        account.project_id = "shop-prod";
        account.client_email = "cloudopt@shop-prod.iam.gserviceaccount.com";
        account.private_key_id = "a1b2c3";
        account.private_key = Key().private_pem;
        GcpOptions options;
        options.run_endpoint = server.url();
        options.monitoring_endpoint = server.url();
        options.token_uri = server.url() + "/token";
        options.now = [] { return kNow; };
        auto client = std::make_shared<GcpClient>(account, options);
        client->http().SetSleeper([this](std::chrono::milliseconds d) { waits.push_back(d); });
        return client;
    }

    int tokens_issued = 0;
    int min_instances = 0;
    std::string jwt_problem = "no token request";
    json requests_series, instances_series;
    std::vector<RawResponse> script;
    std::vector<std::chrono::milliseconds> waits;
    FakeCloudServer server;
};

Resource Service(const std::string& ref = "shop-prod/us-central1/checkout") {
    Resource r;
    r.id = 21;
    r.name = "checkout-run";
    r.provider = "cloudrun";
    r.provider_ref = ref;
    r.instance_type = "cloudrun.min.1vcpu.512mi";
    r.load_metric = "requests_per_second";
    r.capacity_per_instance = 40.0;
    return r;
}

TEST(GcpCloudRun, DescribeReadsServiceLevelMinInstances) {
    FakeCloudRun run;
    GcpCloudRunProvider provider(run.Client());
    auto state = provider.Describe(Service());
    ASSERT_TRUE(state.ok()) << state.error().message;
    EXPECT_EQ(state->desired, 0) << "no minInstanceCount in the answer means zero";
    EXPECT_EQ(state->max_size, 50);
    EXPECT_EQ(run.jwt_problem, "");
    const auto requests = run.server.requests();
    ASSERT_EQ(requests.size(), 2u);  // token, GET
    EXPECT_EQ(requests[1].method, "GET");
    EXPECT_EQ(requests[1].target, kServicePath);
    EXPECT_EQ(requests[1].Header("Authorization"), "Bearer ya29.run-1");
}

TEST(GcpCloudRun, SetPatchesOnlyMinInstanceCountWithAnUpdateMask) {
    FakeCloudRun run;
    GcpCloudRunProvider provider(run.Client());
    ASSERT_TRUE(provider.SetDesiredCapacity(Service(), 6).ok());
    EXPECT_EQ(run.min_instances, 6);
    auto requests = run.server.requests();
    ASSERT_EQ(requests.size(), 3u);  // token, GET, PATCH
    const RawRequest& patch = requests[2];
    EXPECT_EQ(patch.method, "PATCH");
    EXPECT_EQ(patch.target, std::string(kServicePath) + "?updateMask=scaling.minInstanceCount");
    EXPECT_EQ(patch.body, R"({"scaling":{"minInstanceCount":6}})");
    EXPECT_EQ(patch.Header("Content-Type"), "application/json");

    auto state = provider.Describe(Service());
    ASSERT_TRUE(state.ok());
    EXPECT_EQ(state->desired, 6);
    EXPECT_EQ(state->ready, 6);

    // Asking again sends no PATCH (no rollout); zero is a PATCH to 0, the service's max is a limit.
    const std::size_t before = run.server.requests().size();
    ASSERT_TRUE(provider.SetDesiredCapacity(Service(), 6).ok());
    EXPECT_EQ(run.server.requests().size(), before + 1);
    ASSERT_TRUE(provider.SetDesiredCapacity(Service(), 0).ok());
    EXPECT_EQ(run.min_instances, 0);
    EXPECT_EQ(run.server.requests().back().body, R"({"scaling":{"minInstanceCount":0}})");
    const Status over = provider.SetDesiredCapacity(Service(), 51);
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(over.error().message.find("at most 50 instances"), std::string::npos) << over.error().message;
}

TEST(GcpCloudRun, ARolloutInProgressIsRetriedThenReportedAsAConflict) {
    FakeCloudRun run;
    GcpCloudRunProvider provider(run.Client());
    const RawResponse aborted = GoogleError(
        409, "ABORTED", "Conflict for resource 'checkout': version '7' was specified but current version is '8'.");
    const RawResponse precondition = GoogleError(
        400, "FAILED_PRECONDITION", "Service 'checkout' is being updated; wait for the previous operation to finish.");
    run.script = {RawResponse{0, "", "", {}, 0ms}, aborted, precondition};
    ASSERT_TRUE(provider.SetDesiredCapacity(Service(), 3).ok());
    EXPECT_EQ(run.min_instances, 3);
    EXPECT_EQ(run.waits.size(), 2u);

    run.script = {RawResponse{0, "", "", {}, 0ms}, precondition, precondition, precondition, precondition};
    const Status s = provider.SetDesiredCapacity(Service(), 8);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kConflict);
    EXPECT_NE(s.error().message.find("FAILED_PRECONDITION: Service 'checkout' is being updated"), std::string::npos)
        << s.error().message;
    EXPECT_NE(s.error().message.find("still rolling out"), std::string::npos);
    EXPECT_EQ(run.min_instances, 3);

    // A plain bad request is not retried.
    run.waits.clear();
    run.script = {RawResponse{0, "", "", {}, 0ms},
                  GoogleError(400, "INVALID_ARGUMENT", "min_instance_count must be <= 1000")};
    const Status invalid = provider.SetDesiredCapacity(Service(), 9);
    EXPECT_EQ(invalid.error().code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(run.waits.empty());
}

TEST(GcpCloudRun, ThrottlingNotFoundAndPermissions) {
    FakeCloudRun run;
    GcpCloudRunProvider provider(run.Client());
    RawResponse throttled = GoogleError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Read requests'");
    throttled.headers.emplace_back("Retry-After", "1");
    run.script = {throttled};
    ASSERT_TRUE(provider.Describe(Service()).ok());
    ASSERT_EQ(run.waits.size(), 1u);
    EXPECT_GE(run.waits[0], 1000ms);

    auto missing = provider.Describe(Service("shop-prod/us-central1/nosuch"));
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

    run.script = {GoogleError(403, "PERMISSION_DENIED", "Permission 'run.services.get' denied on resource")};
    auto denied = provider.Describe(Service());
    ASSERT_FALSE(denied.ok());
    EXPECT_NE(denied.error().message.find("roles/run.developer"), std::string::npos) << denied.error().message;

    for (const char* bad : {"shop-prod/checkout", "shop-prod/us-central1/Checkout", "a/b/c/d",
                            "shop prod/us-central1/x", "../us-central1/x", "./us-central1/x"}) {
        auto r = ParseCloudRunRef(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.error().message.find("PROJECT/REGION/SERVICE"), std::string::npos);
    }
}

TEST(GcpCloudRunLoad, RequestRateIsTheLoadAndInstanceCountIsKept) {
    FakeCloudRun run;
    run.requests_series = {
        {"timeSeries",
         {{{"metric", {{"type", "run.googleapis.com/request_count"}}},
           {"points",
            {{{"interval", {{"endTime", "2026-12-01T12:19:00Z"}}}, {"value", {{"doubleValue", 35.5}}}},
             {{"interval", {{"endTime", "2026-12-01T12:20:00Z"}}}, {"value", {{"doubleValue", 52.25}}}}}}}}}};
    run.instances_series = {
        {"timeSeries",
         {{{"points",
            {{{"interval", {{"endTime", "2026-12-01T12:19:00Z"}}}, {"value", {{"int64Value", "2"}}}},
             {{"interval", {{"endTime", "2026-12-01T12:20:00Z"}}}, {"value", {{"int64Value", "3"}}}}}}}}}};
    GcpCloudRunSource source(run.Client());
    auto readings = source.Collect(Service(), kNow + 30);
    ASSERT_TRUE(readings.ok()) << readings.error().message;
    ASSERT_EQ(readings->size(), 4u);
    EXPECT_EQ((*readings)[0].metric, "requests_per_second");
    EXPECT_EQ((*readings)[0].sample.ts, *ParseRfc3339("2026-12-01T12:18:00Z")) << "labelled by the minute's start";
    EXPECT_DOUBLE_EQ((*readings)[1].sample.value, 52.25);
    EXPECT_EQ((*readings)[2].metric, "instance_count");
    EXPECT_EQ((*readings)[3].sample.value, 3);

    const auto requests = run.server.requests();
    ASSERT_EQ(requests.size(), 3u);  // token, request_count, instance_count
    const auto query = FormFields(requests[1].target.substr(requests[1].target.find('?') + 1));
    EXPECT_EQ(query.at("filter"),
              "metric.type = \"run.googleapis.com/request_count\" AND resource.type = \"cloud_run_revision\" AND "
              "resource.labels.service_name = \"checkout\" AND resource.labels.location = \"us-central1\"");
    EXPECT_EQ(query.at("aggregation.perSeriesAligner"), "ALIGN_RATE");
    EXPECT_EQ(query.at("aggregation.crossSeriesReducer"), "REDUCE_SUM");
    EXPECT_EQ(query.at("interval.endTime"), "2026-12-01T12:20:00Z");
    const auto second = FormFields(requests[2].target.substr(requests[2].target.find('?') + 1));
    EXPECT_NE(second.at("filter").find("run.googleapis.com/container/instance_count"), std::string::npos);
    EXPECT_EQ(second.at("aggregation.perSeriesAligner"), "ALIGN_MAX");

    run.requests_series = {
        {"timeSeries",
         {{{"points", {{{"interval", {{"endTime", "2026-12-01T12:21:00Z"}}}, {"value", {{"doubleValue", -1}}}}}}}}}};
    auto bad = source.Collect(Service(), kNow + 90);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("unreadable point"), std::string::npos);
}

}  // namespace
}  // namespace cloudopt::providers
