// Lambda provisioned concurrency against a local endpoint that checks each request as Lambda would (method, the
// dated REST path and Qualifier, the JSON body, SigV4 for service "lambda" recomputed from the wire, the session
// token) and answers in Lambda's REST-JSON: configs that are allocating or ready, no config, the documented errors
// (ResourceConflictException 409 while an allocation is in progress, TooManyRequestsException 429 with
// Retry-After, ResourceNotFoundException, AccessDeniedException). Plus the load from CloudWatch.

#include "providers/aws_lambda.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/timestamp.hpp"
#include "fake_aws.hpp"

namespace cloudopt::providers {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::FakeCloudServer;
using testing::FormFields;
using testing::RawRequest;
using testing::RawResponse;

const AwsCredentials kKeys{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
constexpr long long kNow = 1796127600;  // 2026-12-01T12:20:00Z
constexpr const char* kConfigTarget = "/2019-09-30/functions/checkout/provisioned-concurrency?Qualifier=live";

RawResponse LambdaJson(const json& body, int status = 200) {
    RawResponse r;
    r.status = status;
    r.body = body.dump();
    return r;
}

// Lambda's error shape: the code in x-amzn-ErrorType, {"Type": "User", "message": ...} in the body.
RawResponse LambdaError(int status, const std::string& code, const std::string& message) {
    RawResponse r = LambdaJson({{"Type", "User"}, {"message", message}}, status);
    r.headers.emplace_back("x-amzn-ErrorType", code + ":http://internal.amazon.com/coral/com.amazonaws.awsgirlfriend/");
    r.headers.emplace_back("x-amzn-RequestId", "b0e91dc8-3807-11e2-83c6-5912bf8ad066");
    return r;
}

// One alias, "checkout:live", whose provisioned concurrency the fake keeps: none until a PUT, then allocating.
class FakeLambda {
  public:
    explicit FakeLambda(AwsCredentials keys = kKeys)
        : keys_(std::move(keys)), server([this](const RawRequest& r) { return Answer(r); }) {}

    RawResponse Answer(const RawRequest& req) {
        const std::string problem = testing::CheckSigV4(req, keys_, "us-east-1", "lambda");
        if (!problem.empty()) {
            signature_problems.push_back(problem);
            return LambdaError(403, "InvalidSignatureException", "The request signature we calculated does not match");
        }
        if (!script.empty()) {
            RawResponse next = script.front();
            script.erase(script.begin());
            if (next.status != 0) return next;  // status 0: fall through to the normal answer
        }
        if (req.Path() != "/2019-09-30/functions/checkout/provisioned-concurrency")
            return LambdaError(404, "ResourceNotFoundException",
                               "Function not found: arn:aws:lambda:us-east-1:123456789012:function:" + req.Path());
        if (req.target != kConfigTarget)
            return LambdaError(400, "InvalidParameterValueException", "Qualifier is required");
        if (req.method == "GET") {
            if (!requested)
                return LambdaError(404, "ProvisionedConcurrencyConfigNotFoundException",
                                   "No Provisioned Concurrency Config found for this function");
            return LambdaJson(Config());
        }
        if (req.method == "PUT") {
            const json body = json::parse(req.body, nullptr, false);
            if (req.Header("Content-Type") != "application/json" || !body.is_object() ||
                !body["ProvisionedConcurrentExecutions"].is_number_integer() || body.size() != 1)
                return LambdaError(400, "InvalidParameterValueException", "bad body: " + req.body);
            requested = body["ProvisionedConcurrentExecutions"].get<int>();
            available = 0;
            return LambdaJson(Config(), 202);
        }
        if (req.method == "DELETE") {
            if (!req.body.empty()) return LambdaError(400, "InvalidParameterValueException", "DELETE has no body");
            requested.reset();
            return RawResponse{204, "application/json", "", {}, 0ms};
        }
        return LambdaError(405, "MethodNotAllowed", req.method);
    }

    json Config() const {
        return {{"RequestedProvisionedConcurrentExecutions", *requested},
                {"AvailableProvisionedConcurrentExecutions", available},
                {"AllocatedProvisionedConcurrentExecutions", available},
                {"Status", available == *requested ? "READY" : "IN_PROGRESS"},
                {"LastModified", "2026-12-01T12:19:00.000+0000"}};
    }

    std::shared_ptr<AwsRestJsonClient> Client() {
        AwsRestJsonOptions options;
        options.endpoint = server.url();
        options.now = [] { return kNow; };
        auto client = std::make_shared<AwsRestJsonClient>(keys_, options);
        client->http().SetSleeper([this](std::chrono::milliseconds d) { waits.push_back(d); });
        return client;
    }

    AwsCredentials keys_;
    std::optional<int> requested;
    int available = 0;
    std::vector<RawResponse> script;  // answers to give first, in order
    std::vector<std::string> signature_problems;
    std::vector<std::chrono::milliseconds> waits;
    FakeCloudServer server;
};

Resource Alias(const std::string& ref = "us-east-1/checkout:live") {
    Resource r;
    r.id = 11;
    r.name = "checkout";
    r.provider = "lambda";
    r.provider_ref = ref;
    r.instance_type = "lambda.pc.x86.1024mb";
    r.load_metric = "concurrent_executions";
    r.capacity_per_instance = 1.0;
    return r;
}

TEST(AwsLambda, DescribeIsASignedGetOfTheAliasConfig) {
    FakeLambda lambda;
    lambda.requested = 10;
    lambda.available = 6;
    AwsLambdaProvider provider(lambda.Client());
    auto state = provider.Describe(Alias());
    ASSERT_TRUE(state.ok()) << state.error().message;
    EXPECT_EQ(state->desired, 10);
    EXPECT_EQ(state->ready, 6) << "four are still being initialized";
    EXPECT_EQ(state->instance_type, "lambda.pc.x86.1024mb");
    EXPECT_TRUE(lambda.signature_problems.empty()) << lambda.signature_problems.front();

    const auto requests = lambda.server.requests();
    ASSERT_EQ(requests.size(), 1u);
    const RawRequest& get = requests[0];
    EXPECT_EQ(get.method, "GET");
    EXPECT_EQ(get.target, kConfigTarget);
    EXPECT_EQ(get.Header("Host"), lambda.server.host());
    EXPECT_EQ(get.Header("X-Amz-Date"), "20261201T122000Z");
    EXPECT_EQ(get.body, "");
    const std::string auth = get.Header("Authorization");
    EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/lambda/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=",
                         0),
              0u)
        << auth;
}

TEST(AwsLambda, NoConfigYetIsZeroWarmCapacity) {
    FakeLambda lambda;
    AwsLambdaProvider provider(lambda.Client());
    auto state = provider.Describe(Alias());
    ASSERT_TRUE(state.ok()) << state.error().message;
    EXPECT_EQ(state->desired, 0);
    EXPECT_EQ(state->ready, 0);
}

TEST(AwsLambda, SetPutsTheAmountOnceAndZeroDeletesTheConfig) {
    FakeLambda lambda;
    AwsLambdaProvider provider(lambda.Client());
    ASSERT_TRUE(provider.SetDesiredCapacity(Alias(), 12).ok());
    auto requests = lambda.server.requests();
    ASSERT_EQ(requests.size(), 2u) << "a GET of the current amount, then the PUT";
    const RawRequest& put = requests[1];
    EXPECT_EQ(put.method, "PUT");
    EXPECT_EQ(put.target, kConfigTarget);
    EXPECT_EQ(put.body, R"({"ProvisionedConcurrentExecutions":12})");
    EXPECT_EQ(put.Header("Content-Type"), "application/json");
    EXPECT_NE(put.Header("Authorization").find("SignedHeaders=content-type;host;x-amz-date,"), std::string::npos)
        << put.Header("Authorization");
    EXPECT_TRUE(lambda.signature_problems.empty());
    EXPECT_EQ(lambda.requested, 12);

    // The same amount again while Lambda still allocates it: only a GET, never a PUT that could conflict.
    ASSERT_TRUE(provider.SetDesiredCapacity(Alias(), 12).ok());
    EXPECT_EQ(lambda.server.requests().size(), 3u);

    // Put's minimum is 1: zero removes the config (DELETE, answered 204).
    ASSERT_TRUE(provider.SetDesiredCapacity(Alias(), 0).ok());
    requests = lambda.server.requests();
    ASSERT_EQ(requests.size(), 5u);
    EXPECT_EQ(requests[4].method, "DELETE");
    EXPECT_EQ(requests[4].target, kConfigTarget);
    EXPECT_FALSE(lambda.requested.has_value());
    EXPECT_TRUE(lambda.signature_problems.empty());
    EXPECT_EQ(provider.SetDesiredCapacity(Alias(), -1).error().code, ErrorCode::kInvalidArgument);
}

TEST(AwsLambda, AConflictWhileAllocatingIsRetriedThenReported) {
    FakeLambda lambda;
    lambda.requested = 4;
    AwsLambdaProvider provider(lambda.Client());
    const RawResponse conflict = LambdaError(409, "ResourceConflictException",
                                             "Alias live is currently being updated with provisioned concurrency");
    // The GET passes (status 0 falls through), then two conflicts, then the PUT goes through.
    lambda.script = {RawResponse{0, "", "", {}, 0ms}, conflict, conflict};
    ASSERT_TRUE(provider.SetDesiredCapacity(Alias(), 9).ok());
    EXPECT_EQ(lambda.requested, 9);
    EXPECT_EQ(lambda.waits.size(), 2u) << "one backoff per conflict";
    EXPECT_TRUE(lambda.signature_problems.empty()) << "each retry is signed afresh";

    // A conflict that outlasts the retries is reported as one, with Lambda's words and what happens next.
    lambda.script = {RawResponse{0, "", "", {}, 0ms}, conflict, conflict, conflict, conflict};
    const Status s = provider.SetDesiredCapacity(Alias(), 15);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kConflict);
    EXPECT_NE(s.error().message.find("ResourceConflictException: Alias live is currently being updated"),
              std::string::npos)
        << s.error().message;
    EXPECT_NE(s.error().message.find("will try again on its next pass"), std::string::npos);
    EXPECT_EQ(lambda.requested, 9);
}

TEST(AwsLambda, ThrottlingHonoursRetryAfter) {
    FakeLambda lambda;
    lambda.requested = 3;
    lambda.available = 3;
    RawResponse throttled = LambdaError(429, "TooManyRequestsException", "Rate exceeded");
    throttled.headers.emplace_back("Retry-After", "2");
    lambda.script = {throttled};
    AwsLambdaProvider provider(lambda.Client());
    auto state = provider.Describe(Alias());
    ASSERT_TRUE(state.ok()) << state.error().message;
    EXPECT_EQ(state->ready, 3);
    ASSERT_EQ(lambda.waits.size(), 1u);
    EXPECT_GE(lambda.waits[0], 2000ms);

    lambda.script = {throttled, throttled, throttled, throttled};
    auto failed = provider.Describe(Alias());
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(failed.error().message.find("HTTP 429: TooManyRequestsException: Rate exceeded"), std::string::npos)
        << failed.error().message;
}

TEST(AwsLambda, ErrorsSayWhatToDo) {
    FakeLambda lambda;
    AwsLambdaProvider provider(lambda.Client());
    auto missing = provider.Describe(Alias("us-east-1/nosuch:live"));
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
    EXPECT_NE(missing.error().message.find("ResourceNotFoundException"), std::string::npos) << missing.error().message;

    lambda.script = {RawResponse{0, "", "", {}, 0ms},
                     LambdaError(403, "AccessDeniedException",
                                 "User is not authorized to perform: lambda:PutProvisionedConcurrencyConfig")};
    const Status denied = provider.SetDesiredCapacity(Alias(), 2);
    ASSERT_FALSE(denied.ok());
    EXPECT_NE(denied.error().message.find("the IAM policy allows lambda:PutProvisionedConcurrencyConfig"),
              std::string::npos)
        << denied.error().message;

    // A secret AWS does not hold: the fake's signature check fails, and the message says where to look.
    FakeLambda strict(AwsCredentials{"AKIDEXAMPLE", "the-secret-aws-holds", ""});
    AwsRestJsonOptions options;
    options.endpoint = strict.server.url();
    options.now = [] { return kNow; };
    AwsLambdaProvider bad_keys(std::make_shared<AwsRestJsonClient>(kKeys, options));
    auto refused = bad_keys.Describe(Alias());
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("InvalidSignatureException"), std::string::npos) << refused.error().message;
    EXPECT_NE(refused.error().message.find("check the credentials, the clock"), std::string::npos);
}

TEST(AwsLambda, TemporaryCredentialsSignTheSessionToken) {
    const AwsCredentials temporary{"ASIAEXAMPLE", "secret/with+chars", "FwoGZXIvYXdzEJr//////////wEaDM"};
    FakeLambda lambda(temporary);
    lambda.requested = 1;
    AwsLambdaProvider provider(lambda.Client());
    ASSERT_TRUE(provider.Describe(Alias()).ok());
    EXPECT_TRUE(lambda.signature_problems.empty()) << lambda.signature_problems.front();
    const auto requests = lambda.server.requests();
    EXPECT_EQ(requests.at(0).Header("X-Amz-Security-Token"), temporary.session_token);
    EXPECT_NE(requests.at(0).Header("Authorization").find("x-amz-security-token"), std::string::npos);
}

TEST(AwsLambda, ReferencesNameARegionFunctionAndAliasOrVersion) {
    auto ok = ParseLambdaRef("eu-west-1/orders-api:42");
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok->region, "eu-west-1");
    EXPECT_EQ(ok->function, "orders-api");
    EXPECT_EQ(ok->qualifier, "42");
    for (const char* bad : {"checkout:live", "us-east-1/checkout", "us-east-1/checkout:", "US-EAST-1/checkout:live",
                            "us-east-1/check/out:live", "us-east-1/checkout:live?x=1", "us-east-1/:live"}) {
        auto r = ParseLambdaRef(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.error().message.find("REGION/FUNCTION:ALIAS"), std::string::npos) << r.error().message;
    }
    auto latest = ParseLambdaRef("us-east-1/checkout:$LATEST");
    ASSERT_FALSE(latest.ok());
    EXPECT_NE(latest.error().message.find("not on $LATEST"), std::string::npos);
}

TEST(AwsLambdaLoad, ConcurrentExecutionsOfTheAliasFromCloudWatch) {
    std::string signature_problem = "no request";
    FakeCloudServer server([&](const RawRequest& req) {
        signature_problem = testing::CheckSigV4(req, kKeys, "us-east-1", "monitoring");
        return testing::Xml(
            R"(<GetMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><GetMetricDataResult><MetricDataResults>)"
            "<member><Id>concurrent</Id><Label>ConcurrentExecutions</Label><Timestamps><member>2026-12-01T12:18:00Z</"
            "member>"
            "<member>2026-12-01T12:19:00Z</member></Timestamps><Values><member>7</member><member>13</member></Values>"
            "<StatusCode>Complete</StatusCode></member>"
            "<member><Id>spillover</Id><Label>ProvisionedConcurrencySpilloverInvocations</Label><Timestamps>"
            "<member>2026-12-01T12:19:00Z</member></Timestamps><Values><member>41</member></Values>"
            "<StatusCode>Complete</StatusCode></member>"
            "</MetricDataResults><Messages/></GetMetricDataResult><ResponseMetadata><RequestId>3</RequestId>"
            "</ResponseMetadata></GetMetricDataResponse>");
    });
    AwsQueryOptions options;
    options.endpoint = server.url();
    options.now = [] { return kNow; };
    AwsLambdaConcurrencySource source(std::make_shared<AwsQueryClient>(kKeys, options));
    auto readings = source.Collect(Alias(), kNow + 30);
    ASSERT_TRUE(readings.ok()) << readings.error().message;
    EXPECT_EQ(signature_problem, "");
    ASSERT_EQ(readings->size(), 3u);
    EXPECT_EQ((*readings)[0].metric, "concurrent_executions");
    EXPECT_EQ((*readings)[0].sample.ts, *ParseRfc3339("2026-12-01T12:18:00Z"));
    EXPECT_EQ((*readings)[0].sample.value, 7);
    EXPECT_EQ((*readings)[1].sample.value, 13);
    EXPECT_EQ((*readings)[2].metric, "spillover_invocations");
    EXPECT_EQ((*readings)[2].sample.value, 41);

    const auto form = FormFields(server.requests().at(0).body);
    EXPECT_EQ(form.at("Action"), "GetMetricData");
    EXPECT_EQ(form.at("MetricDataQueries.member.1.MetricStat.Metric.Namespace"), "AWS/Lambda");
    EXPECT_EQ(form.at("MetricDataQueries.member.1.MetricStat.Metric.MetricName"), "ConcurrentExecutions");
    EXPECT_EQ(form.at("MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name"), "FunctionName");
    EXPECT_EQ(form.at("MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value"), "checkout");
    EXPECT_EQ(form.at("MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.2.Name"), "Resource");
    EXPECT_EQ(form.at("MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.2.Value"), "checkout:live");
    EXPECT_EQ(form.at("MetricDataQueries.member.1.MetricStat.Stat"), "Maximum");
    EXPECT_EQ(form.at("MetricDataQueries.member.2.MetricStat.Metric.MetricName"),
              "ProvisionedConcurrencySpilloverInvocations");
    EXPECT_EQ(form.at("MetricDataQueries.member.2.MetricStat.Stat"), "Sum");
    EXPECT_EQ(form.at("EndTime"), "2026-12-01T12:20:00Z");

    // The next read starts after the newest minute seen.
    ASSERT_TRUE(source.Collect(Alias(), kNow + 90).ok());
    EXPECT_EQ(FormFields(server.requests().at(1).body).at("StartTime"), "2026-12-01T12:20:00Z");
}

}  // namespace
}  // namespace cloudopt::providers
