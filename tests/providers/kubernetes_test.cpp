// The Kubernetes provider against a local API server that checks the exact requests: paths, methods, the
// merge-patch content type and body, the bearer token; and the two ways to connect (in-cluster, kubeconfig).

#include "providers/kubernetes.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "providers/fake_cloud_server.hpp"
#include "providers/fake_kubernetes.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt::providers {
namespace {

using nlohmann::json;

Resource Workload(const std::string& ref) {
    Resource r;
    r.provider = "kubernetes";
    r.provider_ref = ref;
    r.instance_type = "pod-1vcpu-4gib";
    return r;
}

TEST(Kubernetes, DescribesAndScalesThroughTheScaleSubresource) {
    testing::FakeKubernetesApi api;
    KubernetesConnection c;
    c.server = api.url();
    c.token = "sa-token";
    KubernetesProvider k8s(c);
    auto state = k8s.Describe(Workload("shop/web"));
    ASSERT_TRUE(state.ok()) << state.error().message;
    EXPECT_EQ(state->desired, 3);
    EXPECT_EQ(state->ready, 2);
    ASSERT_TRUE(k8s.SetDesiredCapacity(Workload("shop/deployment/web"), 5).ok());
    EXPECT_EQ(k8s.Describe(Workload("shop/web"))->desired, 5);
    const auto seen = api.seen();
    ASSERT_EQ(seen.size(), 5u);
    EXPECT_EQ(seen[0], "GET /apis/apps/v1/namespaces/shop/deployments/web/scale Bearer sa-token");
    EXPECT_EQ(seen[1], "GET /apis/apps/v1/namespaces/shop/deployments/web Bearer sa-token") << "for readyReplicas";
    EXPECT_EQ(seen[2],
              "PATCH /apis/apps/v1/namespaces/shop/deployments/web/scale application/merge-patch+json "
              "{\"spec\":{\"replicas\":5}} Bearer sa-token");

    auto missing = k8s.Describe(Workload("shop/nope"));
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
    EXPECT_NE(missing.error().message.find("not found"), std::string::npos) << missing.error().message;
    EXPECT_FALSE(k8s.Describe(Workload("Shop/Web/x/y")).ok());
}

// Anomaly remediation's rollout_restart (control/remediation.hpp) does what `kubectl rollout restart` does: a
// strategic merge patch of the pod template's kubectl.kubernetes.io/restartedAt annotation (RFC 3339, now).
TEST(Kubernetes, RolloutRestartPatchesThePodTemplateAnnotationAsKubectlDoes) {
    testing::FakeCloudServer server([](const testing::RawRequest& r) {
        testing::RawResponse out;
        if (r.Path().find("/missing") != std::string::npos) {
            out.status = 404;
            out.body = R"({"kind":"Status","message":"deployments.apps \"missing\" not found","code":404})";
        } else {
            out.body = "{}";
        }
        return out;
    });
    KubernetesConnection c;
    c.server = server.url();
    c.token = "sa-token";
    KubernetesProvider k8s(c);
    ASSERT_TRUE(k8s.RestartWorkload(Workload("shop/statefulset/db")).ok());
    const auto got = server.requests();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].method, "PATCH");
    EXPECT_EQ(got[0].target, "/apis/apps/v1/namespaces/shop/statefulsets/db?fieldManager=cloudopt-rollout");
    EXPECT_EQ(got[0].Header("Content-Type"), "application/strategic-merge-patch+json");
    EXPECT_EQ(got[0].Header("Authorization"), "Bearer sa-token");
    const json body = json::parse(got[0].body);
    ASSERT_EQ(body.size(), 1u);
    const std::string at = body["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"];
    ASSERT_EQ(at.size(), 20u) << at;  // 2026-12-05T10:15:00Z
    EXPECT_EQ(at[10], 'T');
    EXPECT_EQ(at.back(), 'Z');
    auto missing = k8s.RestartWorkload(Workload("shop/missing"));
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound) << missing.error().message;
}

TEST(Kubernetes, ThrottlingErrorsMalformedAnswersAndTimeouts) {
    using namespace std::chrono_literals;
    std::vector<testing::RawResponse> script;
    std::mutex mutex;
    testing::FakeCloudServer server([&](const testing::RawRequest&) {
        std::lock_guard lock(mutex);
        testing::RawResponse next = script.front();
        if (script.size() > 1) script.erase(script.begin());
        return next;
    });
    auto status = [](int code, const std::string& message) {
        testing::RawResponse r;
        r.status = code;
        r.body = json{{"kind", "Status"}, {"status", "Failure"}, {"message", message}, {"code", code}}.dump();
        return r;
    };
    testing::RawResponse ok;
    ok.body = R"({"kind":"Scale","spec":{"replicas":4}})";
    KubernetesConnection c;
    c.server = server.url();
    c.token = "t";
    HttpClientOptions http;
    http.timeout = 300ms;
    KubernetesProvider k8s(c, http);
    std::vector<std::chrono::milliseconds> waits;
    k8s.http().SetSleeper([&waits](std::chrono::milliseconds d) { waits.push_back(d); });

    // The API server's priority-and-fairness 429 carries Retry-After: waited out, then retried.
    testing::RawResponse throttled = status(429, "Too many requests, please try again later.");
    throttled.headers.emplace_back("Retry-After", "1");
    script = {throttled, ok};
    ASSERT_TRUE(k8s.SetDesiredCapacity(Workload("shop/web"), 4).ok());
    ASSERT_EQ(waits.size(), 1u);
    EXPECT_GE(waits[0], 1000ms);

    struct Case {
        testing::RawResponse answer;
        ErrorCode code;
        std::string fragment;
    };
    const std::vector<Case> cases = {
        {status(403,
                "deployments.apps \"web\" is forbidden: User \"system:serviceaccount:ops:cloudopt\" cannot patch "
                "resource \"deployments/scale\""),
         ErrorCode::kUnavailable, "check the service account's RBAC"},
        {status(409, "Operation cannot be fulfilled: the object has been modified"), ErrorCode::kConflict,
         "has been modified"},
        {status(422, "spec.replicas: Invalid value: -1"), ErrorCode::kConflict, "Invalid value"},
        {status(503, "the server is currently unable to handle the request"), ErrorCode::kUnavailable, "HTTP 503"},
    };
    for (const Case& cs : cases) {
        script = {cs.answer};
        Status s = k8s.SetDesiredCapacity(Workload("shop/web"), 4);
        ASSERT_FALSE(s.ok()) << cs.fragment;
        EXPECT_EQ(s.error().code, cs.code) << s.error().message;
        EXPECT_NE(s.error().message.find(cs.fragment), std::string::npos) << s.error().message;
    }

    testing::RawResponse garbled;
    garbled.body = "<html>502 Bad Gateway</html>";
    script = {garbled};
    auto state = k8s.Describe(Workload("shop/web"));
    ASSERT_FALSE(state.ok());
    EXPECT_NE(state.error().message.find("not a Scale object"), std::string::npos) << state.error().message;

    // RBAC on the scale subresource only: the workload's GET is forbidden, existing replicas count as serving.
    testing::RawResponse scale;
    scale.body = R"({"kind":"Scale","spec":{"replicas":6},"status":{"replicas":5}})";
    script = {scale, status(403, "forbidden")};
    auto scale_only = k8s.Describe(Workload("shop/web"));
    ASSERT_TRUE(scale_only.ok()) << scale_only.error().message;
    EXPECT_EQ(scale_only->desired, 6);
    EXPECT_EQ(scale_only->ready, 5);

    testing::RawResponse slow = ok;
    slow.delay = 1500ms;
    script = {slow};
    http.retry.max_attempts = 1;
    KubernetesProvider impatient(c, http);
    auto timed_out = impatient.Describe(Workload("shop/web"));
    ASSERT_FALSE(timed_out.ok());
    EXPECT_EQ(timed_out.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(timed_out.error().message.find("Timeout"), std::string::npos) << timed_out.error().message;
}

TEST(Kubernetes, WorkloadReferences) {
    EXPECT_EQ(ParseWorkloadRef("web", "prod")->ns, "prod");
    EXPECT_EQ(ParseWorkloadRef("shop/statefulset/db", "x")->kind, "statefulsets");
    EXPECT_EQ(ParseWorkloadRef("shop/db", "x")->kind, "deployments");
    EXPECT_FALSE(ParseWorkloadRef("shop/cronjob/x", "x").ok());
    EXPECT_FALSE(ParseWorkloadRef("shop/../x", "x").ok());
    EXPECT_FALSE(ParseWorkloadRef("../x", "x").ok()) << "no way out of /namespaces/";
    EXPECT_FALSE(ParseWorkloadRef("shop/-web", "x").ok());
    EXPECT_FALSE(ParseWorkloadRef("", "x").ok());
}

TEST(Kubernetes, InClusterConfigurationFromTheServiceAccount) {
    testing::TempDir dir;
    std::ofstream(dir.File("token")) << "eyJhbGciOi.token\n";
    std::ofstream(dir.File("ca.crt")) << "-----BEGIN CERTIFICATE-----\n";
    std::ofstream(dir.File("namespace")) << "shop";
    auto c =
        InClusterConnection({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}, dir.path());
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->server, "https://10.96.0.1:443");
    EXPECT_EQ(c->token, "eyJhbGciOi.token");
    EXPECT_EQ(c->ca_file, dir.File("ca.crt"));
    EXPECT_EQ(c->default_namespace, "shop");
    EXPECT_FALSE(InClusterConnection({}, dir.path()).ok());
}

TEST(Kubernetes, KubeconfigWithInlineCertificatesAndATokenUser) {
    testing::TempDir dir;
    const std::string kubeconfig = R"(apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: c1
  cluster:
    server: https://k8s.example.com:6443/
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
contexts:
- name: prod
  context: {cluster: c1, user: u1, namespace: shop}
- name: other
  context: {cluster: c1, user: u2}
users:
- name: u1
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
- name: u2
  user: {token: abc123}
)";
    auto c = KubeconfigConnection(kubeconfig, "", dir.File("scratch"));
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->server, "https://k8s.example.com:6443");
    EXPECT_EQ(c->default_namespace, "shop");
    std::ifstream ca(c->ca_file);
    std::string first;
    std::getline(ca, first);
    EXPECT_EQ(first, "-----BEGIN CERTIFICATE-----");
    std::ifstream key(c->client_key_file);
    std::string key_text;
    std::getline(key, key_text);
    EXPECT_EQ(key_text, "KEY");
    struct stat st {};
    ASSERT_EQ(stat(c->client_key_file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "key material is for the owner only";

    auto other = KubeconfigConnection(kubeconfig, "other", dir.File("scratch2"));
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(other->token, "abc123");
    EXPECT_FALSE(KubeconfigConnection(kubeconfig, "missing", dir.File("s3")).ok());
    EXPECT_FALSE(KubeconfigConnection("{not: [yaml", "", dir.File("s4")).ok());
}

}  // namespace
}  // namespace cloudopt::providers
