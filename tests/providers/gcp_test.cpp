// GCP managed instance groups and Cloud Monitoring against a local endpoint that plays the OAuth token endpoint
// (verifying the service account's RS256 JWT with its public key), Compute Engine and Cloud Monitoring, and
// answers in Google's formats: success, throttling, 4xx, 5xx, operation errors and malformed bodies.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <nlohmann/json.hpp>

#include "core/timestamp.hpp"
#include "fake_aws.hpp"  // FormFields, FormDecode
#include "fake_cloud_server.hpp"
#include "fake_google.hpp"  // Key, VerifyRs256
#include "providers/gcp_mig.hpp"

namespace cloudopt::providers {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::FakeCloudServer;
using testing::FormFields;
using testing::Key;
using testing::RawRequest;
using testing::RawResponse;
using testing::VerifyRs256;

constexpr long long kNow = 1796127600;  // 2026-12-01T12:20:00Z

RawResponse GoogleJson(const json& body, int status = 200) {
    RawResponse r;
    r.status = status;
    r.body = body.dump();
    return r;
}

RawResponse GoogleError(int status, const std::string& state, const std::string& message) {
    return GoogleJson({{"error", {{"code", status}, {"message", message}, {"status", state}}}}, status);
}

class FakeGoogle {
  public:
    FakeGoogle() : server([this](const RawRequest& req) { return Answer(req); }) {}

    RawResponse Answer(const RawRequest& req) {
        if (req.Path() == "/token") {
            auto form = FormFields(req.body);
            json header, claims;
            jwt_problem = VerifyRs256(form["assertion"], header, claims);
            last_header = header;
            last_claims = claims;
            if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer" || !jwt_problem.empty())
                return GoogleJson({{"error", "invalid_grant"}, {"error_description", "Invalid JWT Signature."}}, 400);
            ++tokens_issued;
            return GoogleJson({{"access_token", "ya29.token-" + std::to_string(tokens_issued)},
                               {"expires_in", 3599},
                               {"token_type", "Bearer"}});
        }
        if (req.Header("Authorization") != "Bearer ya29.token-" + std::to_string(tokens_issued))
            return GoogleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
        if (!script.empty()) {
            RawResponse next = script.front();
            script.erase(script.begin());
            return next;
        }
        const std::string zonal = "/compute/v1/projects/shop-prod/zones/us-central1-a/instanceGroupManagers/web-mig";
        const std::string regional = "/compute/v1/projects/shop-prod/regions/us-central1/instanceGroupManagers/web-mig";
        if (req.method == "GET" && (req.target == zonal || req.target == regional))
            return GoogleJson({{"kind", "compute#instanceGroupManager"},
                               {"name", "web-mig"},
                               {"targetSize", target_size},
                               {"currentActions", {{"none", 2}, {"creating", 1}, {"recreating", 0}}},
                               {"status", {{"isStable", false}}}});
        if (req.method == "POST" && (req.Path() == zonal + "/resize" || req.Path() == regional + "/resize")) {
            target_size = std::stoi(FormFields(req.target.substr(req.target.find('?') + 1))["size"]);
            return GoogleJson({{"kind", "compute#operation"},
                               {"operationType", "compute.instanceGroupManagers.resize"},
                               {"status", "DONE"}});
        }
        if (req.method == "GET" && req.Path() == "/v3/projects/shop-prod/timeSeries") return GoogleJson(time_series);
        if (req.method == "GET" && req.target == "/compute/v1/projects/shop-prod/regions/us-central1")
            return GoogleJson({{"name", "us-central1"},
                               {"zones",
                                {"https://www.googleapis.com/compute/v1/projects/shop-prod/zones/us-central1-b",
                                 "https://www.googleapis.com/compute/v1/projects/shop-prod/zones/us-central1-c"}}});
        if (req.method == "GET" && req.Path() == "/compute/v1/projects/shop-prod/zones/us-central1-b/machineTypes") {
            if (req.target.find("pageToken=") == std::string::npos)
                return GoogleJson({{"items", {{{"name", "n2-standard-2"}, {"guestCpus", 2}, {"memoryMb", 8192}}}},
                                   {"nextPageToken", "t2"}});
            return GoogleJson({{"items", {{{"name", "e2-highmem-4"}, {"guestCpus", 4}, {"memoryMb", 32768}}}}});
        }
        return GoogleError(404, "NOT_FOUND", "The resource '" + req.Path() + "' was not found");
    }

    std::shared_ptr<GcpClient> Client(const std::string& private_key = Key().private_pem) {
        GcpServiceAccount account;
        account.project_id = "shop-prod";
        account.client_email = "cloudopt@shop-prod.iam.gserviceaccount.com";
        account.private_key_id = "a1b2c3";
        account.private_key = private_key;
        GcpOptions options;
        options.compute_endpoint = server.url();
        options.monitoring_endpoint = server.url();
        options.token_uri = server.url() + "/token";
        options.now = [] { return kNow; };
        auto client = std::make_shared<GcpClient>(account, options);
        client->http().SetSleeper([](std::chrono::milliseconds) {});
        return client;
    }

    int tokens_issued = 0;
    int target_size = 3;
    std::string jwt_problem = "no token request";
    json last_header, last_claims, time_series;
    std::vector<RawResponse> script;  // answers to use first, in order
    FakeCloudServer server;
};

Resource Group(const std::string& ref = "shop-prod/zones/us-central1-a/web-mig") {
    Resource r;
    r.id = 5;
    r.name = "web";
    r.provider = "gcp";
    r.provider_ref = ref;
    r.instance_type = "n2-standard-2";
    r.capacity_per_instance = 2.0;
    return r;
}

TEST(GcpMig, ServiceAccountJwtIsVerifiedThenTheGroupIsRead) {
    FakeGoogle google;
    GcpMigProvider provider(google.Client());
    auto state = provider.Describe(Group());
    ASSERT_TRUE(state.ok()) << state.error().message;
    EXPECT_EQ(state->desired, 3);
    EXPECT_EQ(state->ready, 2) << "one instance is still being created";

    EXPECT_EQ(google.jwt_problem, "");
    EXPECT_EQ(google.last_header, json({{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "a1b2c3"}}));
    EXPECT_EQ(google.last_claims["iss"], "cloudopt@shop-prod.iam.gserviceaccount.com");
    EXPECT_EQ(google.last_claims["scope"], "https://www.googleapis.com/auth/cloud-platform");
    EXPECT_EQ(google.last_claims["aud"], google.server.url() + "/token");
    EXPECT_EQ(google.last_claims["iat"], kNow);
    EXPECT_EQ(google.last_claims["exp"], kNow + 3600);
    const auto requests = google.server.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[0].Header("Content-Type"), "application/x-www-form-urlencoded");
    EXPECT_EQ(requests[0].body.rfind("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=", 0),
              0u);
    EXPECT_EQ(requests[1].Header("Authorization"), "Bearer ya29.token-1");

    // Regional groups use the regions path.
    ASSERT_TRUE(provider.Describe(Group("shop-prod/regions/us-central1/web-mig")).ok());
    EXPECT_EQ(google.tokens_issued, 1) << "the token is cached";
}

TEST(GcpMig, ResizeCarriesOneRequestIdAcrossRetries) {
    FakeGoogle google;
    int ids = 0;
    GcpMigProvider provider(google.Client(),
                            [&ids] { return "0b6a1a9c-0000-4000-8000-00000000000" + std::to_string(++ids); });
    google.script = {GoogleError(503, "UNAVAILABLE", "The service is currently unavailable.")};
    ASSERT_TRUE(provider.Describe(Group()).ok());  // the token, then the 503 is retried inside Describe
    google.script = {GoogleError(503, "UNAVAILABLE", "The service is currently unavailable.")};
    ASSERT_TRUE(provider.SetDesiredCapacity(Group(), 6).ok());
    EXPECT_EQ(google.target_size, 6);
    std::vector<std::string> resizes;
    for (const auto& r : google.server.requests())
        if (r.method == "POST" && r.Path().find("/resize") != std::string::npos) resizes.push_back(r.target);
    ASSERT_EQ(resizes.size(), 2u);
    EXPECT_EQ(resizes[0],
              "/compute/v1/projects/shop-prod/zones/us-central1-a/instanceGroupManagers/web-mig/resize"
              "?size=6&requestId=0b6a1a9c-0000-4000-8000-000000000001");
    EXPECT_EQ(resizes[0], resizes[1]) << "the retry repeats the same requestId, so the resize happens once";
}

TEST(GcpMig, ErrorsSayWhatGoogleSaid) {
    FakeGoogle google;
    GcpMigProvider provider(google.Client());
    auto missing = provider.Describe(Group("shop-prod/zones/us-central1-a/nope"));
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
    EXPECT_NE(missing.error().message.find("NOT_FOUND"), std::string::npos);

    RawResponse rate_limited =
        GoogleError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Read requests'");
    google.script = {rate_limited};
    ASSERT_TRUE(provider.Describe(Group()).ok()) << "a 429 is retried";

    google.script = {
        GoogleError(403, "PERMISSION_DENIED", "Required 'compute.instanceGroupManagers.update' permission")};
    Status denied = provider.SetDesiredCapacity(Group(), 4);
    ASSERT_FALSE(denied.ok());
    EXPECT_NE(denied.error().message.find("roles/compute.instanceAdmin.v1"), std::string::npos)
        << denied.error().message;

    google.script = {
        GoogleJson({{"kind", "compute#operation"},
                    {"status", "DONE"},
                    {"error", {{"errors", {{{"code", "QUOTA_EXCEEDED"}, {"message", "Quota 'CPUS' exceeded."}}}}}}})};
    Status quota = provider.SetDesiredCapacity(Group(), 40);
    ASSERT_FALSE(quota.ok());
    EXPECT_NE(quota.error().message.find("QUOTA_EXCEEDED Quota 'CPUS' exceeded."), std::string::npos)
        << quota.error().message;

    google.script = {GoogleJson({{"kind", "compute#instanceGroupManager"}})};
    auto garbled = provider.Describe(Group());
    ASSERT_FALSE(garbled.ok());
    EXPECT_NE(garbled.error().message.find("no targetSize"), std::string::npos);
}

TEST(GcpMig, MachineTypesOfTheZoneOrTheRegionsFirstZone) {
    FakeGoogle google;
    auto types = GcpMigProvider(google.Client()).ListInstanceTypes(Group("shop-prod/regions/us-central1/web-mig"));
    ASSERT_TRUE(types.ok()) << types.error().message;
    EXPECT_EQ(*types, (std::vector<OfferedInstanceType>{{"n2-standard-2", 2, 8}, {"e2-highmem-4", 4, 32}}));
    auto zonal = GcpMigProvider(google.Client()).ListInstanceTypes(Group());
    ASSERT_FALSE(zonal.ok()) << "us-central1-a is not a zone the fake knows";
    EXPECT_EQ(zonal.error().code, ErrorCode::kNotFound);
}

TEST(GcpMig, ASlowComputeEndpointTimesOut) {
    FakeGoogle google;
    RawResponse slow = GoogleJson({{"targetSize", 1}});
    slow.delay = 1500ms;
    google.script = {slow};
    GcpServiceAccount account;
    account.client_email = "a@p.iam.gserviceaccount.com";
    account.private_key = Key().private_pem;
    GcpOptions options;
    options.compute_endpoint = google.server.url();
    options.token_uri = google.server.url() + "/token";
    options.http.timeout = 300ms;
    options.http.retry.max_attempts = 1;
    auto state = GcpMigProvider(std::make_shared<GcpClient>(account, options)).Describe(Group());
    ASSERT_FALSE(state.ok());
    EXPECT_EQ(state.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(state.error().message.find("Timeout"), std::string::npos) << state.error().message;
}

TEST(GcpMig, KeysAndReferencesAreChecked) {
    FakeGoogle google;
    auto bad_key = GcpMigProvider(google.Client("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"))
                       .Describe(Group());
    ASSERT_FALSE(bad_key.ok());
    EXPECT_NE(bad_key.error().message.find("not an RSA private key"), std::string::npos);

    auto parsed = ParseServiceAccountKey(json({{"type", "service_account"},
                                               {"project_id", "p"},
                                               {"private_key_id", "k"},
                                               {"private_key", "PEM"},
                                               {"client_email", "a@p.iam.gserviceaccount.com"},
                                               {"token_uri", "https://oauth2.googleapis.com/token"}})
                                             .dump());
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->client_email, "a@p.iam.gserviceaccount.com");
    EXPECT_FALSE(ParseServiceAccountKey(R"({"type":"authorized_user"})").ok());
    EXPECT_FALSE(ParseServiceAccountKey(R"({"type":"service_account","client_email":"x"})").ok());
    EXPECT_FALSE(ParseServiceAccountKey("nope").ok());

    EXPECT_TRUE(ParseMigRef("shop-prod/zones/us-central1-a/web-mig").ok());
    EXPECT_TRUE(ParseMigRef("example.com:shop/regions/europe-west1/web").ok());
    for (const char* bad :
         {"shop-prod/web-mig", "shop-prod/zone/us-central1-a/web", "shop-prod/zones/us-central1-a/Web",
          "shop-prod/zones/us-central1-a/web?x", "shop-prod/zones//web"})
        EXPECT_FALSE(ParseMigRef(bad).ok()) << bad;
}

TEST(GcpMonitoring, PerInstanceCpuIsSummedIntoLoadAcrossPages) {
    FakeGoogle google;
    auto series = [](const std::string& instance, std::vector<std::pair<std::string, double>> points) {
        json p = json::array();
        for (const auto& [end, v] : points)
            p.push_back({{"interval", {{"startTime", end}, {"endTime", end}}}, {"value", {{"doubleValue", v}}}});
        return json{{"metric", {{"type", "compute.googleapis.com/instance/cpu/utilization"}}},
                    {"resource", {{"type", "gce_instance"}, {"labels", {{"instance_id", instance}}}}},
                    {"metricKind", "GAUGE"},
                    {"valueType", "DOUBLE"},
                    {"points", p}};
    };
    google.script = {
        GoogleJson({{"timeSeries", {series("111", {{"2026-12-01T12:19:00Z", 0.6}, {"2026-12-01T12:18:00Z", 0.4}})}},
                    {"nextPageToken", "page 2"}})};
    google.time_series = {{"timeSeries", {series("222", {{"2026-12-01T12:19:00Z", 0.2}})}}};
    GcpMonitoringSource source(google.Client());
    auto readings = source.Collect(Group(), kNow);
    ASSERT_TRUE(readings.ok()) << readings.error().message;

    const auto requests = google.server.requests();
    ASSERT_EQ(requests.size(), 3u);  // token, two pages
    const std::string first = requests[1].target;
    const auto query = FormFields(first.substr(first.find('?') + 1));
    EXPECT_EQ(query.at("filter"),
              "metric.type = \"compute.googleapis.com/instance/cpu/utilization\" AND resource.type = "
              "\"gce_instance\" AND metadata.system_labels.\"instance_group\" = \"web-mig\"");
    EXPECT_EQ(query.at("interval.startTime"), "2026-11-23T12:20:00Z");
    EXPECT_EQ(query.at("interval.endTime"), "2026-12-01T12:20:00Z");
    EXPECT_EQ(query.at("aggregation.perSeriesAligner"), "ALIGN_MEAN");
    EXPECT_EQ(query.at("aggregation.alignmentPeriod"), "60s");
    EXPECT_EQ(FormFields(requests[2].target.substr(requests[2].target.find('?') + 1)).at("pageToken"), "page 2");

    // Points are labelled by their minute's end (12:18, 12:19) and stored by its start (12:17, 12:18).
    ASSERT_EQ(readings->size(), 4u);
    const UnixSeconds t = *ParseRfc3339("2026-12-01T12:17:00Z");
    EXPECT_EQ((*readings)[1].sample.ts, t);
    EXPECT_DOUBLE_EQ((*readings)[1].sample.value, 0.4 * 2.0);
    EXPECT_EQ((*readings)[3].sample.ts, t + 60);
    EXPECT_DOUBLE_EQ((*readings)[3].sample.value, (0.6 + 0.2) * 2.0);
    EXPECT_DOUBLE_EQ((*readings)[2].sample.value, 0.4) << "utilization is the mean over instances";

    google.time_series = {
        {"timeSeries", {{{"points", {{{"interval", {{"endTime", "soon"}}}, {"value", {{"doubleValue", 1}}}}}}}}}};
    GcpMonitoringSource fresh(google.Client());
    EXPECT_FALSE(fresh.Collect(Group(), kNow).ok());
}

}  // namespace
}  // namespace cloudopt::providers
