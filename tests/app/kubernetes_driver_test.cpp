// The kubernetes driver selected in the config: the real binary reads a kubeconfig and checks a resource's
// workload against the (local, fake) Kubernetes API before saving it.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "providers/fake_kubernetes.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/service.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

using nlohmann::json;

TEST(KubernetesDriver, ResourcesAreCheckedAgainstTheConfiguredCluster) {
    testing::FakeKubernetesApi cluster;
    testing::TempDir dir;
    std::ofstream(dir.File("kubeconfig")) << "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
                                             "clusters:\n- name: c\n  cluster: {server: " + cluster.url() + "}\n"
                                             "contexts:\n- name: test\n  context: {cluster: c, user: u, namespace: shop}\n"
                                             "users:\n- name: u\n  user: {token: kube-token}\n";
    std::ofstream(dir.File("cloudopt.yaml")) << "providers:\n  kubernetes: {driver: kubernetes, kubeconfig: " +
                                                    dir.File("kubeconfig") + "}\n";
    setenv("CLOUDOPT_ADMIN_PASSWORD", testing::kTestAdminPassword, 1);
    const unsigned short port = testing::FreePort();
    testing::ChildProcess server({CLOUDOPT_BINARY, "serve", "--config", dir.File("cloudopt.yaml"), "--port",
                                  std::to_string(port), "--data-dir", dir.File("data")},
                                 dir.File("log"));
    ASSERT_TRUE(testing::WaitHealthy(port)) << testing::ReadFile(dir.File("log"));
    testing::HttpClient admin(port);
    admin.SetHeader("Authorization", testing::LoginBearer(port));
    json resource = {{"name", "web"},           {"provider", "kubernetes"}, {"provider_ref", "web"},
                     {"instance_type", "pod-1vcpu-4gib"}, {"mode", "recommend"},  {"capacity_per_instance", 1}};
    auto created = admin.Post("/api/resources", resource.dump());
    ASSERT_EQ(created.status, 201) << created.body;
    resource["name"] = "ghost";
    resource["provider_ref"] = "shop/ghost";
    auto refused = admin.Post("/api/resources", resource.dump());
    EXPECT_EQ(refused.status, 422) << refused.body;
    EXPECT_NE(refused.body.find("not found"), std::string::npos) << refused.body;
    const auto seen = cluster.seen();
    ASSERT_GE(seen.size(), 2u);
    EXPECT_EQ(seen[0], "GET /apis/apps/v1/namespaces/shop/deployments/web/scale Bearer kube-token")
        << "the kubeconfig's namespace, server and token";
}

}  // namespace
}  // namespace cloudopt
