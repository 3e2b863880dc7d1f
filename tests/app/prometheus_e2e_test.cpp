// cloudopt and a real Prometheus, both ways, with the real binary: Prometheus scrapes cloudopt's /metrics and
// remote-writes the request counter back into cloudopt (POST /api/v1/write, with a metrics:write token), and a
// resource whose load_query is PromQL has its load read from that Prometheus by the control loop.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "providers/fake_kubernetes.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/prometheus.hpp"
#include "support/service.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

TEST(PrometheusEndToEnd, RemoteWriteInAndPromQLLoadOut) {
    testing::FakeKubernetesApi cluster;
    testing::TempDir dir;
    setenv("CLOUDOPT_ADMIN_PASSWORD", testing::kTestAdminPassword, 1);

    // A token for Prometheus to write with, created before the service starts (as an operator would).
    ASSERT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "token", "create", "prometheus", "--scope", "metrics:write",
                                  "--data-dir", dir.File("data")},
                                 dir.File("token")),
              0)
        << testing::ReadFile(dir.File("token"));
    std::string token = testing::ReadFile(dir.File("token"));
    token = token.substr(token.find("coat_"));
    token = token.substr(0, token.find_first_of(" \n"));

    const unsigned short port = testing::FreePort();
    const std::string cloudopt = "127.0.0.1:" + std::to_string(port);
    testing::PrometheusServer prometheus(
        {cloudopt}, "/metrics", "",
        "  - url: http://" + cloudopt + "/api/v1/write\n"
        "    authorization: {credentials: '" + token + "'}\n"
        "    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}\n"
        "    write_relabel_configs:\n"
        "      - {source_labels: [__name__], regex: cloudopt_http_requests_total, action: keep}\n"
        "      - {target_label: cloudopt_resource, replacement: web}\n");
    ASSERT_TRUE(prometheus.WaitReady()) << prometheus.log();

    std::ofstream(dir.File("kubeconfig")) << "apiVersion: v1\nkind: Config\ncurrent-context: t\n"
                                             "clusters:\n- name: c\n  cluster: {server: " + cluster.url() + "}\n"
                                             "contexts:\n- name: t\n  context: {cluster: c, user: u, namespace: shop}\n"
                                             "users:\n- name: u\n  user: {token: kube-token}\n";
    std::ofstream(dir.File("cloudopt.yaml")) << "providers:\n  kubernetes: {driver: kubernetes, kubeconfig: " +
                                                    dir.File("kubeconfig") + "}\n"
                                             << "prometheus:\n  url: " << prometheus.url() << "\n  step_seconds: 1\n";
    testing::ChildProcess server({CLOUDOPT_BINARY, "serve", "--config", dir.File("cloudopt.yaml"), "--port",
                                  std::to_string(port), "--data-dir", dir.File("data")},
                                 dir.File("log"));
    ASSERT_TRUE(testing::WaitHealthy(port)) << testing::ReadFile(dir.File("log"));
    testing::HttpClient admin(port);
    admin.SetHeader("Authorization", testing::LoginBearer(port));

    // A typo in the PromQL is caught before the resource is saved.
    json resource = {{"name", "web"}, {"provider", "kubernetes"}, {"provider_ref", "shop/web"},
                     {"instance_type", "pod"}, {"mode", "recommend"}, {"capacity_per_instance", 10},
                     {"load_metric", "requests"}, {"load_query", "sum(cloudopt_http_requests_total"}};
    auto typo = admin.Post("/api/resources", resource.dump());
    EXPECT_EQ(typo.status, 422) << typo.body;
    EXPECT_NE(typo.body.find("bad_data"), std::string::npos) << typo.body;
    resource["load_query"] = "sum(cloudopt_http_requests_total)";
    auto created = admin.Post("/api/resources", resource.dump());
    ASSERT_EQ(created.status, 201) << created.body;
    const int id = json::parse(created.body)["id"].get<int>();
    EXPECT_EQ(json::parse(created.body)["load_query"], "sum(cloudopt_http_requests_total)");

    // Remote write: Prometheus's scrapes of cloudopt arrive back as samples of resource "web".
    const std::string written = "/api/metrics?resource=web&metric=cloudopt_http_requests_total&from=0";
    bool arrived = false;
    for (int i = 0; i < 150 && !arrived; ++i) {
        auto r = admin.Get(written);
        arrived = r.status == 200 && !json::parse(r.body)["points"].empty();
        if (!arrived) std::this_thread::sleep_for(200ms);
    }
    ASSERT_TRUE(arrived) << prometheus.log() << testing::ReadFile(dir.File("log"));

    // PromQL load: a pass of the loop reads the resource's load from Prometheus. Its range query ends at the last
    // whole second, so the first pass after Prometheus's first scrape may still see nothing: passes repeat.
    ASSERT_TRUE(prometheus.WaitForData("sum(cloudopt_http_requests_total)")) << prometheus.log();
    json points = json::array();
    std::string pass_body;
    for (int i = 0; i < 20 && points.empty(); ++i) {
        auto pass = admin.Post("/api/resources/allocate?wait_seconds=30", json{{"resource", id}}.dump());
        ASSERT_EQ(pass.status, 200) << pass.body;
        pass_body = pass.body;
        auto load = admin.Get("/api/metrics?resource=web&metric=requests&from=0");
        ASSERT_EQ(load.status, 200) << load.body;
        points = json::parse(load.body)["points"];
        if (points.empty()) std::this_thread::sleep_for(500ms);
    }
    ASSERT_FALSE(points.empty()) << pass_body;
    EXPECT_GT(points.back()[1].get<double>(), 0.0) << "cloudopt has answered requests, so the counter is positive";

    // A request without the token is refused; garbage is a 400 the sender will not retry.
    testing::HttpClient anonymous(port);
    EXPECT_EQ(anonymous.Request("POST", "/api/v1/write", "x", "application/x-protobuf").status, 401);
    testing::HttpClient writer(port);
    writer.SetHeader("Authorization", "Bearer " + token);
    EXPECT_EQ(writer.Request("POST", "/api/v1/write", "not snappy at all", "application/x-protobuf").status, 400);
    EXPECT_EQ(writer.Request("POST", "/api/v1/write", "{}", "application/json").status, 415);
}

}  // namespace
}  // namespace cloudopt
