// The AWS adapters against a local endpoint that checks every request as AWS would (form body, SigV4 signature
// recomputed from the wire, session token) and answers in AWS's XML: Auto Scaling groups, CloudWatch
// GetMetricData, throttling, errors, malformed answers and timeouts. Plus the credential chain.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/timestamp.hpp"
#include "fake_aws.hpp"
#include "providers/aws_autoscaling.hpp"
#include "providers/aws_cloudwatch.hpp"
#include "providers/aws_credentials.hpp"

namespace cloudopt::providers {
namespace {

using namespace std::chrono_literals;
using testing::AwsErrorXml;
using testing::FakeCloudServer;
using testing::FormFields;
using testing::RawRequest;
using testing::RawResponse;
using testing::Xml;

const AwsCredentials kKeys{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
constexpr long long kNow = 1796127600;  // 2026-12-01T12:20:00Z

const char* kGroupXml = R"(<DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">
  <DescribeAutoScalingGroupsResult>
    <AutoScalingGroups>
      <member>
        <AutoScalingGroupName>web-asg</AutoScalingGroupName>
        <MinSize>1</MinSize>
        <MaxSize>10</MaxSize>
        <DesiredCapacity>3</DesiredCapacity>
        <Instances>
          <member><InstanceId>i-0a1</InstanceId><InstanceType>m5.large</InstanceType><LifecycleState>InService</LifecycleState><HealthStatus>Healthy</HealthStatus></member>
          <member><InstanceId>i-0a2</InstanceId><InstanceType>m5.large</InstanceType><LifecycleState>InService</LifecycleState><HealthStatus>Healthy</HealthStatus></member>
          <member><InstanceId>i-0a3</InstanceId><InstanceType>m5.large</InstanceType><LifecycleState>Pending</LifecycleState><HealthStatus>Healthy</HealthStatus></member>
        </Instances>
      </member>
    </AutoScalingGroups>
  </DescribeAutoScalingGroupsResult>
  <ResponseMetadata><RequestId>11111111-0000-4000-8000-000000000000</RequestId></ResponseMetadata>
</DescribeAutoScalingGroupsResponse>)";

const char* kEmptyGroupsXml = R"(<DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">
  <DescribeAutoScalingGroupsResult><AutoScalingGroups/></DescribeAutoScalingGroupsResult>
  <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>)";

const char* kSetDesiredXml = R"(<SetDesiredCapacityResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">
  <ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></SetDesiredCapacityResponse>)";

struct Aws {
    explicit Aws(FakeCloudServer& server, AwsCredentials keys = kKeys, std::chrono::milliseconds timeout = 5000ms) {
        AwsQueryOptions options;
        options.endpoint = server.url();
        options.http.timeout = timeout;
        options.now = [] { return kNow; };
        client = std::make_shared<AwsQueryClient>(keys, options);
        client->http().SetSleeper([this](std::chrono::milliseconds d) { waits.push_back(d); });
    }
    std::shared_ptr<AwsQueryClient> client;
    std::vector<std::chrono::milliseconds> waits;
};

Resource Group(const std::string& ref = "us-east-1/web-asg") {
    Resource r;
    r.id = 7;
    r.name = "web";
    r.provider = "aws";
    r.provider_ref = ref;
    r.instance_type = "m5.large";
    r.capacity_per_instance = 2.0;  // vCPUs of an m5.large
    return r;
}

TEST(AwsAutoScaling, DescribeSendsASignedQueryAndReadsTheGroup) {
    std::string signature_problem = "no request";
    FakeCloudServer server([&](const RawRequest& req) {
        signature_problem = testing::CheckSigV4(req, kKeys, "us-east-1", "autoscaling");
        return Xml(kGroupXml);
    });
    Aws aws(server);
    AwsAutoScalingProvider provider(aws.client);
    auto state = provider.Describe(Group());
    ASSERT_TRUE(state.ok()) << state.error().message;
    EXPECT_EQ(state->desired, 3);
    EXPECT_EQ(state->ready, 2) << "the Pending instance is still booting";
    EXPECT_EQ(state->min_size, 1);
    EXPECT_EQ(state->max_size, 10);
    EXPECT_EQ(state->instance_type, "m5.large");

    const auto requests = server.requests();
    ASSERT_EQ(requests.size(), 1u);
    const RawRequest& req = requests[0];
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.target, "/");
    EXPECT_EQ(req.Header("Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
    EXPECT_EQ(req.Header("Host"), server.host());
    EXPECT_EQ(req.Header("X-Amz-Date"), "20261201T122000Z");
    EXPECT_EQ(req.body, "Action=DescribeAutoScalingGroups&Version=2011-01-01&AutoScalingGroupNames.member.1=web-asg");
    EXPECT_EQ(req.Header("Authorization").rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/autoscaling/"
                                                "aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=", 0),
              0u)
        << req.Header("Authorization");
    EXPECT_EQ(signature_problem, "");
}

TEST(AwsAutoScaling, SetDesiredCapacityWithTemporaryCredentials) {
    AwsCredentials temporary = kKeys;
    temporary.session_token = "FQoGZXIvYXdzEJr//////////wEaDOEXAMPLETOKEN";
    std::string signature_problem = "no request";
    FakeCloudServer server([&](const RawRequest& req) {
        signature_problem = testing::CheckSigV4(req, temporary, "eu-west-1", "autoscaling");
        return Xml(kSetDesiredXml);
    });
    Aws aws(server, temporary);
    AwsAutoScalingProvider provider(aws.client);
    ASSERT_TRUE(provider.SetDesiredCapacity(Group("eu-west-1/batch workers"), 5).ok());
    const RawRequest req = server.requests().at(0);
    EXPECT_EQ(req.body, "Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=batch%20workers"
                        "&DesiredCapacity=5&HonorCooldown=false");
    EXPECT_EQ(FormFields(req.body)["AutoScalingGroupName"], "batch workers");
    EXPECT_EQ(req.Header("X-Amz-Security-Token"), temporary.session_token);
    EXPECT_NE(req.Header("Authorization").find("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token"),
              std::string::npos);
    EXPECT_EQ(signature_problem, "");
}

TEST(AwsAutoScaling, AnUnknownGroupIsNotFound) {
    FakeCloudServer server([](const RawRequest&) { return Xml(kEmptyGroupsXml); });
    Aws aws(server);
    auto state = AwsAutoScalingProvider(aws.client).Describe(Group("us-east-1/nope"));
    ASSERT_FALSE(state.ok());
    EXPECT_EQ(state.error().code, ErrorCode::kNotFound);
    EXPECT_NE(state.error().message.find("'nope' in us-east-1"), std::string::npos);
}

TEST(AwsAutoScaling, ThrottlingIsRetriedWithBackoffEvenAsA400) {
    int calls = 0;
    FakeCloudServer server([&](const RawRequest&) {
        return ++calls == 1 ? AwsErrorXml(400, "Sender", "Throttling", "Rate exceeded") : Xml(kSetDesiredXml);
    });
    Aws aws(server);
    ASSERT_TRUE(AwsAutoScalingProvider(aws.client).SetDesiredCapacity(Group(), 4).ok());
    EXPECT_EQ(server.requests().size(), 2u);
    ASSERT_EQ(aws.waits.size(), 1u);
    EXPECT_LE(aws.waits[0], 200ms);
    // Every attempt is signed on its own (the date may have moved).
    EXPECT_EQ(testing::CheckSigV4(server.requests()[1], kKeys, "us-east-1", "autoscaling"), "");
}

TEST(AwsAutoScaling, ClientErrorsAreFinalAndSayWhatAwsSaid) {
    struct Case {
        RawResponse answer;
        ErrorCode code;
        std::string fragment;
    };
    const std::vector<Case> cases = {
        {AwsErrorXml(400, "Sender", "ValidationError", "New SetDesiredCapacity value 20 is above max value 10 for the AutoScalingGroup."),
         ErrorCode::kInvalidArgument, "ValidationError: New SetDesiredCapacity value 20 is above max value 10"},
        {AwsErrorXml(400, "Sender", "ValidationError", "AutoScalingGroup name not found - AutoScalingGroup 'gone' not found"),
         ErrorCode::kNotFound, "not found"},
        {AwsErrorXml(403, "Sender", "SignatureDoesNotMatch", "The request signature we calculated does not match"),
         ErrorCode::kUnavailable, "check the credentials, the clock, and the IAM policy for autoscaling:SetDesiredCapacity"},
        {AwsErrorXml(400, "Sender", "ScalingActivityInProgress", "Scaling activity is in progress"), ErrorCode::kConflict,
         "ScalingActivityInProgress"},
    };
    for (const Case& c : cases) {
        FakeCloudServer server([&](const RawRequest&) { return c.answer; });
        Aws aws(server);
        Status s = AwsAutoScalingProvider(aws.client).SetDesiredCapacity(Group(), 20);
        ASSERT_FALSE(s.ok()) << c.fragment;
        EXPECT_EQ(s.error().code, c.code) << s.error().message;
        EXPECT_NE(s.error().message.find(c.fragment), std::string::npos) << s.error().message;
        EXPECT_EQ(server.requests().size(), 1u) << "not retried: " << c.fragment;
    }
}

TEST(AwsAutoScaling, ServerErrorsAreRetriedThenReported) {
    FakeCloudServer server([](const RawRequest&) {
        return AwsErrorXml(500, "Receiver", "InternalFailure", "We encountered an internal error.");
    });
    Aws aws(server);
    Status s = AwsAutoScalingProvider(aws.client).SetDesiredCapacity(Group(), 4);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(s.error().message.find("HTTP 500: InternalFailure"), std::string::npos) << s.error().message;
    EXPECT_EQ(server.requests().size(), 4u) << "the default policy makes four attempts";
    EXPECT_EQ(aws.waits.size(), 3u);
}

TEST(AwsAutoScaling, MalformedAnswersAndTimeoutsAreErrorsNotCrashes) {
    {
        FakeCloudServer server([](const RawRequest&) { return Xml("<DescribeAutoScalingGroupsResponse><oops"); });
        Aws aws(server);
        auto state = AwsAutoScalingProvider(aws.client).Describe(Group());
        ASSERT_FALSE(state.ok());
        EXPECT_NE(state.error().message.find("not well-formed XML"), std::string::npos) << state.error().message;
    }
    {
        FakeCloudServer server([](const RawRequest&) { return Xml("<Something><Else/></Something>"); });
        Aws aws(server);
        auto state = AwsAutoScalingProvider(aws.client).Describe(Group());
        ASSERT_FALSE(state.ok());
        EXPECT_NE(state.error().message.find("no AutoScalingGroups"), std::string::npos) << state.error().message;
    }
    {
        FakeCloudServer server([](const RawRequest&) {
            RawResponse slow = Xml(kGroupXml);
            slow.delay = 1500ms;
            return slow;
        });
        Aws aws(server, kKeys, 300ms);
        auto state = AwsAutoScalingProvider(aws.client).Describe(Group());
        ASSERT_FALSE(state.ok());
        EXPECT_EQ(state.error().code, ErrorCode::kUnavailable);
        EXPECT_NE(state.error().message.find("Timeout"), std::string::npos) << state.error().message;
    }
}

TEST(AwsAutoScaling, InstanceTypesOfTheRegionAcrossPages) {
    std::string signature_problem = "no request";
    FakeCloudServer server([&](const RawRequest& req) {
        signature_problem = testing::CheckSigV4(req, kKeys, "us-east-1", "ec2");
        const auto form = FormFields(req.body);
        auto item = [](const char* name, int vcpu, int mib) {
            return std::string("<item><instanceType>") + name + "</instanceType><vCpuInfo><defaultVCpus>" +
                   std::to_string(vcpu) + "</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>" + std::to_string(mib) +
                   "</sizeInMiB></memoryInfo></item>";
        };
        if (!form.count("NextToken"))
            return Xml("<DescribeInstanceTypesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><instanceTypeSet>" +
                       item("m5.large", 2, 8192) + item("c6i.xlarge", 4, 8192) + "</instanceTypeSet><nextToken>p2</nextToken>"
                       "</DescribeInstanceTypesResponse>");
        return Xml("<DescribeInstanceTypesResponse><instanceTypeSet>" + item("r6g.2xlarge", 8, 65536) +
                   "</instanceTypeSet></DescribeInstanceTypesResponse>");
    });
    Aws aws(server);
    auto types = AwsAutoScalingProvider(aws.client).ListInstanceTypes(Group());
    ASSERT_TRUE(types.ok()) << types.error().message;
    EXPECT_EQ(*types, (std::vector<OfferedInstanceType>{{"m5.large", 2, 8}, {"c6i.xlarge", 4, 8}, {"r6g.2xlarge", 8, 64}}));
    EXPECT_EQ(signature_problem, "");
    const auto requests = server.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[0].body, "Action=DescribeInstanceTypes&Version=2016-11-15&MaxResults=100");
    EXPECT_EQ(FormFields(requests[1].body).at("NextToken"), "p2");

    // EC2's error envelope differs from Auto Scaling's; its code still comes through.
    server.SetHandler([](const RawRequest&) {
        return Xml("<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to "
                   "perform this operation.</Message></Error></Errors><RequestID>r</RequestID></Response>",
                   403);
    });
    auto denied = AwsAutoScalingProvider(aws.client).ListInstanceTypes(Group());
    ASSERT_FALSE(denied.ok());
    EXPECT_NE(denied.error().message.find("UnauthorizedOperation: You are not authorized"), std::string::npos)
        << denied.error().message;
}

TEST(AwsAutoScaling, ReferencesAreValidatedBeforeAnyCall) {
    EXPECT_TRUE(ParseAsgRef("us-east-1/web-asg").ok());
    EXPECT_EQ(ParseAsgRef("ap-southeast-2/a/b")->name, "a/b");
    for (const char* bad : {"web-asg", "/web", "us-east-1/", "US-EAST-1/web", "us east/web"}) {
        auto r = ParseAsgRef(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.error().message.find("REGION/AUTO_SCALING_GROUP_NAME"), std::string::npos);
    }
}

// CloudWatch answers: per-minute CPU for three minutes, the instance count for the first two.
std::string MetricDataXml(const std::vector<std::string>& cpu_times, const std::vector<std::string>& cpu_values,
                          const std::vector<std::string>& count_times, const std::vector<std::string>& count_values,
                          const std::string& next_token = "", const std::string& cpu_status = "Complete") {
    auto members = [](const std::vector<std::string>& items) {
        std::string s;
        for (const auto& i : items) s += "<member>" + i + "</member>";
        return s;
    };
    std::string xml = R"(<GetMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><GetMetricDataResult><MetricDataResults>)";
    xml += "<member><Id>cpu</Id><Label>CPUUtilization</Label><Timestamps>" + members(cpu_times) + "</Timestamps><Values>" +
           members(cpu_values) + "</Values><StatusCode>" + cpu_status + "</StatusCode></member>";
    xml += "<member><Id>instances</Id><Label>GroupInServiceInstances</Label><Timestamps>" + members(count_times) +
           "</Timestamps><Values>" + members(count_values) + "</Values><StatusCode>Complete</StatusCode></member>";
    xml += "</MetricDataResults>";
    if (!next_token.empty()) xml += "<NextToken>" + next_token + "</NextToken>";
    xml += "<Messages/></GetMetricDataResult><ResponseMetadata><RequestId>3</RequestId></ResponseMetadata></GetMetricDataResponse>";
    return xml;
}

TEST(AwsCloudWatch, LoadIsUtilizationTimesInServiceInstancesTimesCapacity) {
    std::string signature_problem = "no request";
    FakeCloudServer server([&](const RawRequest& req) {
        const auto form = FormFields(req.body);
        if (form.at("Action") == "DescribeAutoScalingGroups") return Xml(kGroupXml);
        signature_problem = testing::CheckSigV4(req, kKeys, "us-east-1", "monitoring");
        return Xml(MetricDataXml({"2026-12-01T12:17:00Z", "2026-12-01T12:18:00Z", "2026-12-01T12:19:00Z"},
                                 {"50.0", "75.5", "20"}, {"2026-12-01T12:17:00Z", "2026-12-01T12:18:00Z"}, {"4", "3"}));
    });
    Aws aws(server);
    AwsCloudWatchSource source(aws.client);
    auto readings = source.Collect(Group(), kNow + 30);
    ASSERT_TRUE(readings.ok()) << readings.error().message;
    EXPECT_EQ(signature_problem, "");

    const auto requests = server.requests();
    ASSERT_FALSE(requests.empty());
    const auto form = FormFields(requests.at(0).body);
    EXPECT_EQ(form.at("Action"), "GetMetricData");
    EXPECT_EQ(form.at("Version"), "2010-08-01");
    EXPECT_EQ(form.at("StartTime"), FormatRfc3339(kNow - 8 * 86400)) << "the first call backfills 8 days";
    EXPECT_EQ(form.at("EndTime"), "2026-12-01T12:20:00Z") << "whole minutes only";
    EXPECT_EQ(form.at("ScanBy"), "TimestampAscending");
    EXPECT_EQ(form.at("MetricDataQueries.member.1.MetricStat.Metric.Namespace"), "AWS/EC2");
    EXPECT_EQ(form.at("MetricDataQueries.member.1.MetricStat.Metric.MetricName"), "CPUUtilization");
    EXPECT_EQ(form.at("MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name"), "AutoScalingGroupName");
    EXPECT_EQ(form.at("MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value"), "web-asg");
    EXPECT_EQ(form.at("MetricDataQueries.member.1.MetricStat.Period"), "60");
    EXPECT_EQ(form.at("MetricDataQueries.member.1.MetricStat.Stat"), "Average");
    EXPECT_EQ(form.at("MetricDataQueries.member.2.MetricStat.Metric.Namespace"), "AWS/AutoScaling");
    EXPECT_EQ(form.at("MetricDataQueries.member.2.MetricStat.Metric.MetricName"), "GroupInServiceInstances");

    // 3 minutes x (utilization + load).
    ASSERT_EQ(readings->size(), 6u);
    const UnixSeconds t0 = *ParseRfc3339("2026-12-01T12:17:00Z");
    auto find = [&](const std::string& metric, UnixSeconds t) {
        for (const auto& r : *readings)
            if (r.metric == metric && r.sample.ts == t) return r.sample.value;
        return -1.0;
    };
    EXPECT_DOUBLE_EQ(find("cpu_utilization", t0), 0.5);
    EXPECT_DOUBLE_EQ(find("cpu_cores", t0), 0.5 * 4 * 2.0);
    EXPECT_DOUBLE_EQ(find("cpu_cores", t0 + 60), 0.755 * 3 * 2.0);
    // No count for the last minute: the group's two in-service instances now (one DescribeAutoScalingGroups).
    EXPECT_DOUBLE_EQ(find("cpu_cores", t0 + 120), 0.2 * 2 * 2.0);
    EXPECT_EQ(requests.size(), 2u);

    // The next call starts after the last minute seen.
    ASSERT_TRUE(source.Collect(Group(), kNow + 120).ok());
    const auto after = server.requests();
    ASSERT_EQ(after.size(), 4u);
    EXPECT_EQ(FormFields(after[2].body).at("Action"), "GetMetricData");
    EXPECT_EQ(FormFields(after[2].body).at("StartTime"), "2026-12-01T12:20:00Z");
}

TEST(AwsCloudWatch, FollowsNextTokenAndRejectsBrokenResults) {
    int calls = 0;
    FakeCloudServer server([&](const RawRequest&) {
        ++calls;
        if (calls == 1)
            return Xml(MetricDataXml({"2026-12-01T12:17:00Z"}, {"10"}, {"2026-12-01T12:17:00Z"}, {"2"}, "page-2"));
        return Xml(MetricDataXml({"2026-12-01T12:18:00Z"}, {"30"}, {"2026-12-01T12:18:00Z"}, {"2"}));
    });
    Aws aws(server);
    AwsCloudWatchSource source(aws.client);
    auto readings = source.Collect(Group(), kNow);
    ASSERT_TRUE(readings.ok()) << readings.error().message;
    EXPECT_EQ(readings->size(), 4u);
    EXPECT_EQ(FormFields(server.requests().at(1).body).at("NextToken"), "page-2");

    for (const std::string& broken : {MetricDataXml({"2026-12-01T12:17:00Z"}, {}, {}, {}),
                                      MetricDataXml({"yesterday"}, {"1"}, {}, {}),
                                      MetricDataXml({"2026-12-01T12:17:00Z"}, {"NaN"}, {}, {}),
                                      MetricDataXml({}, {}, {}, {}, "", "InternalError")}) {
        server.SetHandler([&](const RawRequest&) { return Xml(broken); });
        AwsCloudWatchSource fresh(aws.client);
        auto r = fresh.Collect(Group(), kNow);
        ASSERT_FALSE(r.ok()) << broken;
        EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
    }
}

TEST(AwsCredentials, EnvironmentThenProfilesWithSessionTokens) {
    auto from_env = FindAwsCredentials({{"AWS_ACCESS_KEY_ID", "AKIAENV"}, {"AWS_SECRET_ACCESS_KEY", "s3cr3t"},
                                        {"AWS_SESSION_TOKEN", "tok"}});
    ASSERT_TRUE(from_env.ok());
    EXPECT_EQ(from_env->access_key_id, "AKIAENV");
    EXPECT_EQ(from_env->session_token, "tok");

    const std::string dir = ::testing::TempDir() + "/aws-creds";
    std::filesystem::create_directories(dir);
    const std::string file = dir + "/credentials";
    std::ofstream(file) << "# comment\n[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n\n"
                           "[prod]\naws_access_key_id=AKIAPROD\n aws_secret_access_key = p \naws_session_token = ptok\n"
                           "[broken]\naws_access_key_id = AKIAHALF\n";
    auto def = FindAwsCredentials({{"AWS_SHARED_CREDENTIALS_FILE", file}});
    ASSERT_TRUE(def.ok());
    EXPECT_EQ(def->access_key_id, "AKIADEFAULT");
    auto prod = FindAwsCredentials({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "prod"}});
    ASSERT_TRUE(prod.ok());
    EXPECT_EQ(prod->secret_access_key, "p");
    EXPECT_EQ(prod->session_token, "ptok");
    // A profile named in the config wins over the environment's keys.
    auto named = FindAwsCredentials({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_ACCESS_KEY_ID", "AKIAENV"},
                                     {"AWS_SECRET_ACCESS_KEY", "s"}}, "prod");
    ASSERT_TRUE(named.ok());
    EXPECT_EQ(named->access_key_id, "AKIAPROD");
    auto broken = FindAwsCredentials({{"AWS_SHARED_CREDENTIALS_FILE", file}}, "broken");
    ASSERT_FALSE(broken.ok());
    EXPECT_EQ(broken.error().code, ErrorCode::kInvalidArgument);
    auto missing = FindAwsCredentials({{"AWS_SHARED_CREDENTIALS_FILE", file}}, "staging");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("[staging]"), std::string::npos);
    auto nothing = FindAwsCredentials({{"HOME", dir + "/nowhere"}});
    ASSERT_FALSE(nothing.ok());
    EXPECT_NE(nothing.error().message.find("AWS_ACCESS_KEY_ID"), std::string::npos);
}

TEST(Rfc3339, RoundTripsAndRejectsGarbage) {
    EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(FormatRfc3339(kNow), "2026-12-01T12:20:00Z");
    EXPECT_EQ(ParseRfc3339("2026-12-01T12:20:00Z"), kNow);
    EXPECT_EQ(ParseRfc3339("2026-12-01T12:20:00.123456Z"), kNow);
    EXPECT_EQ(ParseRfc3339("2026-12-01T13:20:00+01:00"), kNow);
    EXPECT_EQ(ParseRfc3339("2024-02-29T00:00:00Z"), 1709164800);
    for (const char* bad : {"", "2026-12-01", "2026-13-01T00:00:00Z", "2026-12-01T12:20:00", "2026-12-01T12:20:00Zjunk",
                            "2026-12-01T12:20:00.Z"})
        EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
}

}  // namespace
}  // namespace cloudopt::providers
