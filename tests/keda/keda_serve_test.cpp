// `cloudopt serve` with a `keda` provider and the external scaler on its own port, black-box: a resource created
// through the API is planned by the loop and served to a gRPC client over TLS with the token; its changes are
// recorded as "served to KEDA".

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "externalscaler.grpc.pb.h"
#include "support/child_process.hpp"
#include "support/service.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

using json = nlohmann::json;
constexpr char kToken[] = "keda-token-from-a-secret";

TEST(KedaServe, TheServiceServesTheLoopsPlanToKeda) {
    testing::TempDir dir;
    const std::string cert = dir.File("cert.pem"), key = dir.File("key.pem");
    const std::string openssl =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "
        "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
        key + " -out " + cert + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(openssl.c_str()), 0);
    const unsigned short port = testing::FreePort(), keda_port = testing::FreePort();
    std::ofstream(dir.File("cloudopt.yaml")) << "loop:\n  tick_seconds: 1\n  train_epochs: 0\n"
                                                "providers:\n  keda: {driver: keda}\n"
                                                "keda:\n  tls_cert_file: " +
                                                    cert + "\n  tls_key_file: " + key + "\n";
    setenv("CLOUDOPT_ADMIN_PASSWORD", testing::kTestAdminPassword, 1);
    setenv("CLOUDOPT_KEDA_TOKEN", kToken, 1);
    testing::ChildProcess server(
        {CLOUDOPT_BINARY, "serve", "--config", dir.File("cloudopt.yaml"), "--port", std::to_string(port), "--keda-port",
         std::to_string(keda_port), "--data-dir", dir.File("data")},
        dir.File("log"));
    unsetenv("CLOUDOPT_KEDA_TOKEN");
    ASSERT_TRUE(testing::WaitHealthy(port)) << testing::ReadFile(dir.File("log"));
    testing::HttpClient admin(port);
    admin.SetHeader("Authorization", testing::LoginBearer(port));
    json resource = {{"name", "checkout"},
                     {"provider", "keda"},
                     {"provider_ref", "shop/checkout"},
                     {"instance_type", "pod-1vcpu-4gib"},
                     {"mode", "auto"},
                     {"capacity_per_instance", 1},
                     {"min_capacity", 0},
                     {"max_capacity", 40}};
    auto created = admin.Post("/api/resources", resource.dump());
    ASSERT_EQ(created.status, 201) << created.body;
    // Two days of load (6 cores, more by day) at 5-minute steps, up to now.
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    json points = json::array();
    for (long long t = now - 2 * 86400; t <= now; t += 300)
        points.push_back({t, 6.0 + 2.0 * std::sin(2 * M_PI * static_cast<double>(t % 86400) / 86400.0)});
    auto pushed =
        admin.Post("/api/metrics",
                   json{{"series", {{{"resource", "checkout"}, {"metric", "cpu_cores"}, {"points", points}}}}}.dump());
    ASSERT_LT(pushed.status, 300) << pushed.body;

    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = testing::ReadFile(cert);
    auto stub = externalscaler::ExternalScaler::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(keda_port), grpc::SslCredentials(ssl)));
    externalscaler::ScaledObjectRef ref;
    (*ref.mutable_scalermetadata())["resource"] = "checkout";
    (*ref.mutable_scalermetadata())["tokenFromEnv"] = kToken;

    grpc::ClientContext spec_context;
    externalscaler::GetMetricSpecResponse spec;
    ASSERT_TRUE(stub->GetMetricSpec(&spec_context, ref, &spec).ok());
    ASSERT_EQ(spec.metricspecs_size(), 1);
    EXPECT_DOUBLE_EQ(spec.metricspecs(0).targetsizefloat(), 0.75);  // 1 core per pod at 75%

    // The loop plans it within a few ticks (the first forecast included).
    externalscaler::GetMetricsRequest request;
    *request.mutable_scaledobjectref() = ref;
    request.set_metricname("s0-cloudopt-checkout");
    externalscaler::GetMetricsResponse metrics;
    grpc::Status got;
    for (int i = 0; i < 120; ++i) {
        grpc::ClientContext context;
        metrics.Clear();
        got = stub->GetMetrics(&context, request, &metrics);
        if (got.ok()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    ASSERT_TRUE(got.ok()) << got.error_message() << "\n" << testing::ReadFile(dir.File("log"));
    // The newest action the loop recorded is the count KEDA's HPA computes from GetMetrics, and it says "served to
    // KEDA" (read twice around the call, so that a change between them is seen and asked again).
    long long replicas = -1;
    json newest;
    for (int i = 0; i < 20; ++i) {
        auto before = admin.Get("/api/actions?resource=checkout&limit=1");
        grpc::ClientContext context;
        metrics.Clear();
        ASSERT_TRUE(stub->GetMetrics(&context, request, &metrics).ok());
        auto after = admin.Get("/api/actions?resource=checkout&limit=1");
        ASSERT_EQ(after.status, 200) << after.body;
        if (before.body != after.body) continue;
        const json list = json::parse(after.body)["actions"];
        ASSERT_FALSE(list.empty()) << after.body;
        newest = list[0];
        const double value = metrics.metricvalues(0).metricvaluefloat();
        replicas = (static_cast<long long>(value * 1000) + 749) / 750;  // KEDA's milli-units, ceil(value / 0.75)
        break;
    }
    ASSERT_FALSE(newest.is_null());
    EXPECT_EQ(newest["to"].get<long long>(), replicas) << newest.dump();
    EXPECT_EQ(newest["status"], "applied") << newest.dump();
    EXPECT_EQ(newest["reason"].get<std::string>().rfind("served to KEDA: ", 0), 0u) << newest.dump();
    // The load follows the time of day (4 to 8 cores), so the bounds are the day's, whatever the hour the test runs:
    // never below what the trough needs at 0.75 per pod, never above the peak's need with a wide margin.
    EXPECT_GE(replicas, 6) << "ceil(4 cores / 0.75), the day's trough";
    EXPECT_LE(replicas, 16) << "ceil(8 cores x 1.5 / 0.75), the day's peak with room";

    grpc::ClientContext active_context;
    externalscaler::IsActiveResponse active;
    ASSERT_TRUE(stub->IsActive(&active_context, ref, &active).ok());
    EXPECT_TRUE(active.result());

    (*ref.mutable_scalermetadata())["tokenFromEnv"] = "wrong";
    grpc::ClientContext refused_context;
    EXPECT_EQ(stub->IsActive(&refused_context, ref, &active).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace cloudopt
