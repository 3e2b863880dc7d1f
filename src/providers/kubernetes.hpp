#pragma once
// Kubernetes: a Deployment's or StatefulSet's replicas through the scale subresource
// (GET and merge-PATCH /apis/apps/v1/namespaces/{ns}/{deployments|statefulsets}/{name}/scale), with the ready
// count from the workload's status. Connection from the in-cluster service account or from a kubeconfig.
//
// A resource's provider_ref names the workload: "NAMESPACE/NAME" (a Deployment), "NAMESPACE/deployment/NAME" or
// "NAMESPACE/statefulset/NAME".

#include <map>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "core/provider.hpp"
#include "providers/http_client.hpp"

namespace cloudopt::providers {

struct KubernetesConnection {
    std::string server;   // https://10.0.0.1:443
    std::string token;    // bearer token (service account or kubeconfig user)
    std::string ca_file;  // the cluster CA, PEM (kubeconfig "-data" fields are written to files by the loader)
    std::string client_certificate_file;
    std::string client_key_file;
    std::string default_namespace = "default";
};

// In a pod: KUBERNETES_SERVICE_HOST/PORT from `environment`, token, ca.crt and namespace from `account_dir`
// (/var/run/secrets/kubernetes.io/serviceaccount). kUnavailable naming what is missing.
Result<KubernetesConnection> InClusterConnection(
    const std::map<std::string, std::string>& environment,
    const std::string& account_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// From a kubeconfig's text: the named context (or current-context), its cluster's server and CA, its user's token
// or client certificate. Inline "-data" values (base64) are decoded into files under `scratch_dir` (mode 0600).
Result<KubernetesConnection> KubeconfigConnection(const std::string& kubeconfig_text, const std::string& context,
                                                  const std::string& scratch_dir);

// From a credential stored in cloudopt: the API server, a bearer token, and optionally the cluster CA in PEM (written
// under `scratch_dir`, mode 0600, for libcurl). kInvalidArgument when the server or token is missing.
Result<KubernetesConnection> TokenConnection(const std::string& server, const std::string& token,
                                             const std::string& ca_pem, const std::string& scratch_dir);

struct WorkloadRef {
    std::string ns;
    std::string kind;  // deployments | statefulsets
    std::string name;
};
Result<WorkloadRef> ParseWorkloadRef(const std::string& provider_ref, const std::string& default_namespace);

class KubernetesProvider final : public Provider {
  public:
    KubernetesProvider(KubernetesConnection connection, HttpClientOptions http = {});
    Result<CapacityState> Describe(const Resource& resource) override;
    Status SetDesiredCapacity(const Resource& resource, int desired) override;
    // kubectl rollout restart, as kubectl does it: a strategic merge patch of the pod template's annotation
    // kubectl.kubernetes.io/restartedAt (now, RFC 3339), so the controller rolls every pod. Deployments and
    // StatefulSets; the Role needs patch on them (deploy/kubernetes).
    Status RestartWorkload(const Resource& resource) override;

    HttpClient& http() { return http_; }  // tests replace its sleeper

  private:
    Result<OutboundResponse> Call(const std::string& method, const std::string& path, const std::string& content_type,
                                  const std::string& body);
    KubernetesConnection connection_;
    HttpClient http_;
};

}  // namespace cloudopt::providers
