// The ExternalScaler service over real gRPC: a C++ client with KEDA's generated stub calls every RPC over TLS, with
// the token, and gets the errors KEDA reports (never a silent zero) for what cannot be served.

#include "keda/scaler_server.hpp"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "externalscaler.grpc.pb.h"
#include "keda/served_metric.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt::keda {
namespace {

using externalscaler::ExternalScaler;
using externalscaler::ScaledObjectRef;

constexpr UnixSeconds kNow = 1'700'000'000;
constexpr char kToken[] = "s3cret-token-for-keda";

std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// A self-signed certificate for 127.0.0.1 made with the openssl tool.
struct Certificate {
    Certificate(const cloudopt::testing::TempDir& dir, const std::string& name)
        : cert(dir.File(name + ".pem")), key(dir.File(name + ".key")) {
        const std::string cmd =
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "
            "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
            key + " -out " + cert + " >/dev/null 2>&1";
        ok = std::system(cmd.c_str()) == 0;
    }
    std::string cert, key;
    bool ok = false;
};

Forecast FlatForecast(UnixSeconds at, double p50, double p95, double p99) {
    Forecast f;
    f.step = 300;
    f.generated_at = at;
    for (int k = 0; k < 12; ++k) f.points.push_back({FloorTo(at, 300) + k * 300, p50, (p50 + p95) / 2, p95, p99});
    return f;
}

class ScalerServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(cert_.ok) << "openssl could not make a test certificate";
        resources_["checkout"] = MakeResource(1, "checkout", "keda", Mode::kAuto);
        resources_["web"] = MakeResource(2, "web", "aws", Mode::kAuto);
        resources_["quiet"] = MakeResource(3, "quiet", "keda", Mode::kRecommend);
        resources_["fresh"] = MakeResource(4, "fresh", "keda", Mode::kAuto);
        ScalerServerOptions options;
        options.tls_cert_file = cert_.cert;
        options.tls_key_file = cert_.key;
        options.token = kToken;
        options.providers = {"keda"};
        options.stream_recheck = std::chrono::milliseconds(50);
        server_ = std::make_unique<ScalerServer>(
            board_, clock_,
            [this](const std::string& name) -> Result<Resource> {
                auto it = resources_.find(name);
                if (it == resources_.end()) return MakeError(ErrorCode::kNotFound, "no such resource");
                return it->second;
            },
            metrics_, options);
        auto port = server_->Start();
        ASSERT_TRUE(port.ok()) << port.error().message;
        port_ = *port;
        // checkout: the loop planned 12 pods for a p95 peak of 4.3 cores at 0.375 per pod (0.5 x 75%).
        Publish(resources_["checkout"], 12, 4.3, PlannedWith(FlatForecast(kNow, 3.0, 4.3, 6.0), 4.0));
    }

    static Resource MakeResource(ResourceId id, const std::string& name, const std::string& provider, Mode mode) {
        Resource r;
        r.id = id;
        r.name = name;
        r.provider = provider;
        r.min_capacity = 0;
        r.max_capacity = 40;
        r.capacity_per_instance = 0.5;
        r.mode = mode;
        return r;
    }

    static PassPlan PlannedWith(std::optional<Forecast> forecast, std::optional<double> load) {
        PassPlan plan;
        plan.at = kNow;
        plan.forecast = std::move(forecast);
        plan.current_load = load;
        plan.decision.explanation.quantile = "p95";
        plan.decision.explanation.lead_seconds = 240;
        return plan;
    }

    void Publish(const Resource& r, int count, double required_load, PassPlan plan) {
        plan.decision.desired = count;
        plan.decision.required_load = required_load;
        board_.Record(r, plan);
        board_.SetCount(r, count);
    }

    std::unique_ptr<ExternalScaler::Stub> Client(bool tls = true, const std::string& trusted = "") {
        std::shared_ptr<grpc::ChannelCredentials> credentials;
        if (tls) {
            grpc::SslCredentialsOptions ssl;
            ssl.pem_root_certs = ReadFile(trusted.empty() ? cert_.cert : trusted);
            credentials = grpc::SslCredentials(ssl);
        } else {
            credentials = grpc::InsecureChannelCredentials();
        }
        return ExternalScaler::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port_), credentials));
    }

    static ScaledObjectRef Ref(const std::string& resource, std::map<std::string, std::string> extra = {}) {
        ScaledObjectRef ref;
        ref.set_name("checkout-so");
        ref.set_namespace_("shop");
        auto& m = *ref.mutable_scalermetadata();
        m["scalerAddress"] = "cloudopt.cloudopt.svc:9443";
        if (!resource.empty()) m["resource"] = resource;
        for (auto& [k, v] : extra) m[k] = v;
        return ref;
    }

    static void WithToken(grpc::ClientContext& context, const std::string& token = kToken) {
        context.AddMetadata("authorization", "Bearer " + token);
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    }

    grpc::Status IsActive(const ScaledObjectRef& ref, bool* result = nullptr, bool token = true) {
        grpc::ClientContext context;
        if (token)
            WithToken(context);
        else
            context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        externalscaler::IsActiveResponse response;
        grpc::Status s = Client()->IsActive(&context, ref, &response);
        if (result) *result = response.result();
        return s;
    }

    grpc::Status Metrics(const ScaledObjectRef& ref, double* value) {
        grpc::ClientContext context;
        WithToken(context);
        externalscaler::GetMetricsRequest request;
        *request.mutable_scaledobjectref() = ref;
        request.set_metricname("s0-cloudopt-checkout");
        externalscaler::GetMetricsResponse response;
        grpc::Status s = Client()->GetMetrics(&context, request, &response);
        if (s.ok()) {
            EXPECT_EQ(response.metricvalues_size(), 1);
            EXPECT_EQ(response.metricvalues(0).metricname(), "s0-cloudopt-checkout");
            *value = response.metricvalues(0).metricvaluefloat();
        }
        return s;
    }

    cloudopt::testing::TempDir dir_;
    Certificate cert_{dir_, "server"};
    ManualClock clock_{kNow + 30};
    PlanBoard board_;
    MetricsRegistry metrics_;
    std::map<std::string, Resource> resources_;
    std::unique_ptr<ScalerServer> server_;
    int port_ = 0;
};

int HpaCount(double value, double target) {
    const auto v = KedaMilli(value), t = KedaMilli(target);
    return static_cast<int>((v + t - 1) / t);
}

TEST_F(ScalerServerTest, GetMetricSpecGivesTheLoadPerReplicaAtTheTargetUtilization) {
    grpc::ClientContext context;
    WithToken(context);
    externalscaler::GetMetricSpecResponse response;
    ASSERT_TRUE(Client()->GetMetricSpec(&context, Ref("checkout"), &response).ok());
    ASSERT_EQ(response.metricspecs_size(), 1);
    EXPECT_EQ(response.metricspecs(0).metricname(), "cloudopt-checkout");
    EXPECT_DOUBLE_EQ(response.metricspecs(0).targetsizefloat(), 0.375);  // 0.5 per pod x 75%
    EXPECT_EQ(response.metricspecs(0).targetsize(), 1);
}

TEST_F(ScalerServerTest, GetMetricsServesTheForecastLoadThatLandsKedaOnThePlannedCount) {
    double value = 0;
    ASSERT_TRUE(Metrics(Ref("checkout"), &value).ok());
    EXPECT_DOUBLE_EQ(value, 4.3);  // the p95 peak itself: ceil(4.3 / 0.375) = 12 is the plan
    EXPECT_EQ(HpaCount(value, 0.375), 12);
    // A rule held the count at 14 (stabilization, say): the value moves to the least load KEDA reads as 14.
    Publish(resources_["checkout"], 14, 4.3, PlannedWith(FlatForecast(kNow, 3.0, 4.3, 6.0), 4.0));
    ASSERT_TRUE(Metrics(Ref("checkout"), &value).ok());
    EXPECT_EQ(HpaCount(value, 0.375), 14);
    EXPECT_EQ(KedaMilli(value), 13 * 375 + 1);
    // Another band named in scalerMetadata: its peak over the lead time, p99 = 6.0 -> 16 pods.
    ASSERT_TRUE(Metrics(Ref("checkout", {{"quantile", "p99"}}), &value).ok());
    EXPECT_DOUBLE_EQ(value, 6.0);
    EXPECT_EQ(HpaCount(value, 0.375), 16);
}

TEST_F(ScalerServerTest, IsActiveAndStreamIsActiveFollowWhetherThePlanNeedsAReplica) {
    bool active = false;
    ASSERT_TRUE(IsActive(Ref("checkout"), &active).ok());
    EXPECT_TRUE(active);

    grpc::ClientContext context;
    WithToken(context);
    auto stub = Client();
    auto reader = stub->StreamIsActive(&context, Ref("checkout"));
    externalscaler::IsActiveResponse message;
    ASSERT_TRUE(reader->Read(&message));
    EXPECT_TRUE(message.result()) << "the current state is sent at once";
    Publish(resources_["checkout"], 0, 0.0, PlannedWith(FlatForecast(kNow, 0, 0, 0), 0.0));
    ASSERT_TRUE(reader->Read(&message));
    EXPECT_FALSE(message.result()) << "scale to zero: sent when it changes";
    ASSERT_TRUE(IsActive(Ref("checkout"), &active).ok());
    EXPECT_FALSE(active);
    double value = -1;
    ASSERT_TRUE(Metrics(Ref("checkout"), &value).ok());
    EXPECT_EQ(value, 0.0);
    Publish(resources_["checkout"], 3, 1.0, PlannedWith(FlatForecast(kNow, 0, 1.0, 1.2), 0.0));
    ASSERT_TRUE(reader->Read(&message));
    EXPECT_TRUE(message.result()) << "and back, when the forecast needs a replica before the load is there";
    // A plan that turns stale ends the stream with the error, which KEDA reports before it reconnects.
    clock_.Advance(600);
    EXPECT_FALSE(reader->Read(&message));
    const grpc::Status end = reader->Finish();
    EXPECT_EQ(end.error_code(), grpc::StatusCode::UNAVAILABLE) << end.error_message();
}

TEST_F(ScalerServerTest, WhatCannotBeServedIsAnErrorKedaReportsNeverAZero) {
    auto code = [&](const ScaledObjectRef& ref) {
        grpc::Status s = IsActive(ref);
        double value = 0;
        grpc::Status m = Metrics(ref, &value);
        EXPECT_EQ(s.error_code(), m.error_code()) << s.error_message() << " / " << m.error_message();
        return std::make_pair(s.error_code(), s.error_message());
    };
    EXPECT_EQ(code(Ref("nope")).first, grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(code(Ref("")).first, grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(code(Ref("checkout", {{"quantile", "p42"}})).first, grpc::StatusCode::INVALID_ARGUMENT);
    auto [aws, aws_message] = code(Ref("web"));
    EXPECT_EQ(aws, grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_NE(aws_message.find("driver: keda"), std::string::npos) << aws_message;
    Publish(resources_["quiet"], 2, 0.7, PlannedWith(FlatForecast(kNow, 0.5, 0.7, 0.9), 0.5));
    auto [recommend, recommend_message] = code(Ref("quiet"));
    EXPECT_EQ(recommend, grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_NE(recommend_message.find("set its mode to auto"), std::string::npos) << recommend_message;
    EXPECT_EQ(code(Ref("fresh")).first, grpc::StatusCode::UNAVAILABLE) << "not planned yet";

    // A forecast failure, then stale metrics, then a plan the loop stopped refreshing.
    PassPlan failed = PlannedWith(std::nullopt, 4.0);
    failed.forecast_error = "the model diverged";
    Publish(resources_["fresh"], 5, 0, failed);
    auto [forecast, forecast_message] = code(Ref("fresh"));
    EXPECT_EQ(forecast, grpc::StatusCode::UNAVAILABLE);
    EXPECT_NE(forecast_message.find("the model diverged"), std::string::npos) << forecast_message;
    Publish(resources_["fresh"], 5, 1.8, PlannedWith(FlatForecast(kNow, 1, 1.8, 2), std::nullopt));
    auto [stale, stale_message] = code(Ref("fresh"));
    EXPECT_EQ(stale, grpc::StatusCode::UNAVAILABLE);
    EXPECT_NE(stale_message.find("stale metrics"), std::string::npos) << stale_message;
    Publish(resources_["fresh"], 5, 1.8, PlannedWith(FlatForecast(kNow, 1, 1.8, 2), 1.5));
    EXPECT_EQ(code(Ref("fresh")).first, grpc::StatusCode::OK);
    clock_.Advance(300);
    auto [old, old_message] = code(Ref("fresh"));
    EXPECT_EQ(old, grpc::StatusCode::UNAVAILABLE);
    EXPECT_NE(old_message.find("s old"), std::string::npos) << old_message;

    // StreamMetricSpec is optional: KEDA falls back to GetMetricSpec on UNIMPLEMENTED.
    grpc::ClientContext context;
    WithToken(context);
    auto reader = Client()->StreamMetricSpec(&context, Ref("checkout"));
    externalscaler::GetMetricSpecResponse spec;
    EXPECT_FALSE(reader->Read(&spec));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(ScalerServerTest, TheTokenAndTlsAreRequired) {
    EXPECT_EQ(IsActive(Ref("checkout"), nullptr, /*token=*/false).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    {
        grpc::ClientContext context;
        WithToken(context, "wrong-token-of-same-size");
        externalscaler::IsActiveResponse response;
        EXPECT_EQ(Client()->IsActive(&context, Ref("checkout"), &response).error_code(),
                  grpc::StatusCode::UNAUTHENTICATED);
        grpc::ClientContext spec_context;
        WithToken(spec_context, "x");
        externalscaler::GetMetricSpecResponse spec;
        EXPECT_EQ(Client()->GetMetricSpec(&spec_context, Ref("checkout"), &spec).error_code(),
                  grpc::StatusCode::UNAUTHENTICATED);
    }
    // KEDA sends no gRPC headers: the token comes in scalerMetadata, resolved by KEDA from the workload's env.
    EXPECT_TRUE(IsActive(Ref("checkout", {{"tokenFromEnv", kToken}}), nullptr, false).ok());
    EXPECT_EQ(IsActive(Ref("checkout", {{"tokenFromEnv", "guess"}}), nullptr, false).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    // Plaintext against the TLS port, and TLS that does not trust the server's certificate, do not connect.
    std::vector<std::unique_ptr<ExternalScaler::Stub>> refused;
    refused.push_back(Client(/*tls=*/false));
    refused.push_back(Client(true, Certificate(dir_, "other").cert));
    for (auto& stub : refused) {
        grpc::ClientContext context;
        WithToken(context);
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
        externalscaler::IsActiveResponse response;
        const grpc::Status s = stub->IsActive(&context, Ref("checkout"), &response);
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    }
}

TEST_F(ScalerServerTest, StartRefusesWithoutTlsOrACredential) {
    auto find = [](const std::string&) -> Result<Resource> { return MakeError(ErrorCode::kNotFound, "none"); };
    ScalerServerOptions no_tls;
    no_tls.token = kToken;
    auto started = ScalerServer(board_, clock_, find, metrics_, no_tls).Start();
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.error().message.find("keda.tls_cert_file"), std::string::npos);
    ScalerServerOptions no_token;
    no_token.tls_cert_file = cert_.cert;
    no_token.tls_key_file = cert_.key;
    started = ScalerServer(board_, clock_, find, metrics_, no_token).Start();
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.error().message.find("keda.token"), std::string::npos);
    ScalerServerOptions missing = no_token;
    missing.token = kToken;
    missing.tls_key_file = dir_.File("missing.key");
    started = ScalerServer(board_, clock_, find, metrics_, missing).Start();
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.error().message.find("keda.tls_key_file"), std::string::npos);
}

// Mutual TLS, KEDA's own way to authenticate (TriggerAuthentication tlsClientCert / tlsClientKey): with
// keda.tls_client_ca_file and no token, a client certificate that CA signed is the credential.
TEST_F(ScalerServerTest, ClientCertificatesSignedByTheConfiguredCaAreTheCredential) {
    const std::string ca = dir_.File("ca.pem"), ca_key = dir_.File("ca.key"), client = dir_.File("client.pem"),
                      client_key = dir_.File("client.key");
    const std::string make =
        "cd " + dir_.path() +
        " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=test-ca -keyout " +
        ca_key + " -out " + ca + " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=keda " +
        "-keyout " + client_key + " -out client.csr && openssl x509 -req -in client.csr -CA " + ca + " -CAkey " +
        ca_key + " -CAcreateserial -days 1 -out " + client;
    ASSERT_EQ(std::system(("(" + make + ") >/dev/null 2>&1").c_str()), 0);
    ScalerServerOptions options;
    options.tls_cert_file = cert_.cert;
    options.tls_key_file = cert_.key;
    options.client_ca_file = ca;
    options.providers = {"keda"};
    ScalerServer mtls(
        board_, clock_,
        [this](const std::string& name) -> Result<Resource> {
            auto it = resources_.find(name);
            if (it == resources_.end()) return MakeError(ErrorCode::kNotFound, "no such resource");
            return it->second;
        },
        metrics_, options);
    auto port = mtls.Start();
    ASSERT_TRUE(port.ok()) << port.error().message;
    auto call = [&](const std::string& cert_file, const std::string& key_file) {
        grpc::SslCredentialsOptions ssl;
        ssl.pem_root_certs = ReadFile(cert_.cert);
        if (!cert_file.empty()) {
            ssl.pem_cert_chain = ReadFile(cert_file);
            ssl.pem_private_key = ReadFile(key_file);
        }
        auto stub = ExternalScaler::NewStub(
            grpc::CreateChannel("127.0.0.1:" + std::to_string(*port), grpc::SslCredentials(ssl)));
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        externalscaler::IsActiveResponse response;
        return stub->IsActive(&context, Ref("checkout"), &response);
    };
    const grpc::Status with_cert = call(client, client_key);
    EXPECT_TRUE(with_cert.ok()) << with_cert.error_message();
    EXPECT_EQ(call("", "").error_code(), grpc::StatusCode::UNAVAILABLE) << "no client certificate";
    EXPECT_EQ(call(cert_.cert, cert_.key).error_code(), grpc::StatusCode::UNAVAILABLE)
        << "a certificate the CA did not sign";
}

}  // namespace
}  // namespace cloudopt::keda
