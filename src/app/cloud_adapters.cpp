#include "app/cloud_adapters.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "api/credential_vault.hpp"
#include "app/files.hpp"
#include "monitor/host_source.hpp"
#include "providers/aws_autoscaling.hpp"
#include "providers/aws_cloudwatch.hpp"
#include "providers/aws_credentials.hpp"
#include "providers/aws_lambda.hpp"
#include "providers/azure_functions.hpp"
#include "providers/azure_vmss.hpp"
#include "providers/gcp_cloud_run.hpp"
#include "providers/gcp_mig.hpp"
#include "providers/json_fields.hpp"
#include "providers/kubernetes.hpp"

namespace cloudopt {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class Settings {
  public:
    Settings(const Config& config, const std::string& name) : name_(name) {
        if (auto it = config.provider_settings.find(name); it != config.provider_settings.end()) values_ = it->second;
    }
    std::string Get(const std::string& key, const std::string& fallback = "") const {
        auto it = values_.find(key);
        return it == values_.end() || it->second.empty() ? fallback : it->second;
    }
    // Metrics are pulled from the cloud's monitor unless `metrics: none` (push them instead).
    bool PullMetrics() const { return Get("metrics", "cloud") != "none"; }

  private:
    std::string name_;
    std::map<std::string, std::string> values_;
};

Result<json> StoredSecret(const Settings& s, const std::string& kind, IdentityStore& identity,
                          const security::Keyring& keyring) {
    const std::string name = s.Get("credential");
    auto secret = api::OpenCredential(identity, keyring, name, kind);
    if (!secret && secret.error().code == ErrorCode::kNotFound)
        return MakeError(ErrorCode::kNotFound, secret.error().message + " (store it with POST /api/credentials)");
    return secret;
}

// The host is provider and metric source in one object, owned as the provider; this lends out its source side.
class ForwardingSource final : public MetricSource {
  public:
    explicit ForwardingSource(MetricSource& target) : target_(target) {}
    Result<std::vector<MetricReading>> Collect(const Resource& r, UnixSeconds now) override {
        return target_.Collect(r, now);
    }
    Status Check(const Resource& r) override { return target_.Check(r); }

  private:
    MetricSource& target_;
};

Result<CloudAdapter> Kubernetes(const Config& config, const std::string& name, const Settings& s,
                                IdentityStore& identity, const security::Keyring& keyring,
                                const std::map<std::string, std::string>& env) {
    Result<providers::KubernetesConnection> connection = MakeError(ErrorCode::kInternal, "unset");
    const std::string scratch = (fs::path(config.data_dir) / "kubernetes" / name).string();
    if (!s.Get("credential").empty()) {
        auto secret = StoredSecret(s, "kubernetes", identity, keyring);
        if (!secret) return secret.error();
        if (const std::string kubeconfig = providers::jsonf::Str(*secret, "kubeconfig"); !kubeconfig.empty())
            connection = providers::KubeconfigConnection(kubeconfig, s.Get("context"), scratch);
        else
            connection = providers::TokenConnection(providers::jsonf::Str(*secret, "server"),
                                                    providers::jsonf::Str(*secret, "token"),
                                                    providers::jsonf::Str(*secret, "certificate_authority"), scratch);
    } else if (s.Get("kubeconfig").empty()) {
        connection = providers::InClusterConnection(env);
    } else {
        auto text = ReadWholeFile(s.Get("kubeconfig"), "kubeconfig");
        if (!text) return text.error();
        connection = providers::KubeconfigConnection(*text, s.Get("context"), scratch);
    }
    if (!connection) return connection.error();
    spdlog::info("providers.{}: Kubernetes API at {}", name, connection->server);
    // Push-only: pod load arrives through POST /api/metrics or Prometheus remote write.
    return CloudAdapter{std::make_unique<providers::KubernetesProvider>(std::move(*connection)), nullptr};
}

Result<providers::AwsCredentials> AwsKeys(const Settings& s, IdentityStore& identity, const security::Keyring& keyring,
                                          const std::map<std::string, std::string>& env) {
    if (!s.Get("credential").empty()) {
        auto secret = StoredSecret(s, "aws", identity, keyring);
        if (!secret) return secret.error();
        return providers::AwsCredentials{providers::jsonf::Str(*secret, "access_key_id"),
                                         providers::jsonf::Str(*secret, "secret_access_key"),
                                         providers::jsonf::Str(*secret, "session_token")};
    }
    return providers::FindAwsCredentials(env, s.Get("profile"));
}

Result<CloudAdapter> Aws(const std::string& name, const Settings& s, IdentityStore& identity,
                         const security::Keyring& keyring, const std::map<std::string, std::string>& env) {
    auto credentials = AwsKeys(s, identity, keyring, env);
    if (!credentials) return credentials.error();
    providers::AwsQueryOptions options;
    options.endpoint = s.Get("endpoint", options.endpoint);
    auto client = std::make_shared<providers::AwsQueryClient>(*credentials, options);
    spdlog::info("providers.{}: AWS Auto Scaling at {} (access key {}…)", name, options.endpoint,
                 credentials->access_key_id.substr(0, 4));
    CloudAdapter adapter{std::make_unique<providers::AwsAutoScalingProvider>(client), nullptr};
    if (s.PullMetrics()) adapter.source = std::make_unique<providers::AwsCloudWatchSource>(client);
    return adapter;
}

// Lambda provisioned concurrency (REST-JSON) with its load from CloudWatch (Query API), on the same keys.
Result<CloudAdapter> AwsLambda(const std::string& name, const Settings& s, IdentityStore& identity,
                               const security::Keyring& keyring, const std::map<std::string, std::string>& env) {
    auto credentials = AwsKeys(s, identity, keyring, env);
    if (!credentials) return credentials.error();
    providers::AwsRestJsonOptions options;
    options.endpoint = s.Get("endpoint", options.endpoint);
    auto lambda = std::make_shared<providers::AwsRestJsonClient>(*credentials, options);
    spdlog::info("providers.{}: AWS Lambda provisioned concurrency at {} (access key {}…)", name, options.endpoint,
                 credentials->access_key_id.substr(0, 4));
    CloudAdapter adapter{std::make_unique<providers::AwsLambdaProvider>(lambda), nullptr};
    if (s.PullMetrics()) {
        providers::AwsQueryOptions query;
        query.endpoint = options.endpoint;
        adapter.source = std::make_unique<providers::AwsLambdaConcurrencySource>(
            std::make_shared<providers::AwsQueryClient>(*credentials, query));
    }
    return adapter;
}

Result<std::shared_ptr<providers::AzureArmClient>> AzureClient(const std::string& name, const Settings& s,
                                                               IdentityStore& identity,
                                                               const security::Keyring& keyring,
                                                               const std::map<std::string, std::string>& env) {
    providers::AzureCredentials credentials;
    if (!s.Get("credential").empty()) {
        auto secret = StoredSecret(s, "azure", identity, keyring);
        if (!secret) return secret.error();
        credentials = {providers::jsonf::Str(*secret, "tenant_id"), providers::jsonf::Str(*secret, "client_id"),
                       providers::jsonf::Str(*secret, "client_secret")};
    } else {
        auto found = providers::AzureCredentialsFromEnvironment(env);
        if (!found) return found.error();
        credentials = *found;
    }
    providers::AzureOptions options;
    options.login_endpoint = s.Get("login_endpoint", options.login_endpoint);
    options.management_endpoint = s.Get("management_endpoint", options.management_endpoint);
    options.scope = s.Get("scope", options.management_endpoint + "/.default");
    spdlog::info("providers.{}: Azure Resource Manager at {} (client {})", name, options.management_endpoint,
                 credentials.client_id);
    return std::make_shared<providers::AzureArmClient>(credentials, options);
}

Result<CloudAdapter> Azure(const std::string& name, const Settings& s, IdentityStore& identity,
                           const security::Keyring& keyring, const std::map<std::string, std::string>& env) {
    auto client = AzureClient(name, s, identity, keyring, env);
    if (!client) return client.error();
    CloudAdapter adapter{std::make_unique<providers::AzureVmssProvider>(*client), nullptr};
    if (s.PullMetrics()) adapter.source = std::make_unique<providers::AzureMonitorSource>(*client);
    return adapter;
}

Result<CloudAdapter> AzureFunctions(const std::string& name, const Settings& s, IdentityStore& identity,
                                    const security::Keyring& keyring, const std::map<std::string, std::string>& env) {
    auto client = AzureClient(name, s, identity, keyring, env);
    if (!client) return client.error();
    CloudAdapter adapter{std::make_unique<providers::AzureFunctionsProvider>(*client), nullptr};
    if (s.PullMetrics()) adapter.source = std::make_unique<providers::AzureFunctionsSource>(*client);
    return adapter;
}

Result<std::shared_ptr<providers::GcpClient>> GcpClientFor(const std::string& name, const Settings& s,
                                                           IdentityStore& identity, const security::Keyring& keyring,
                                                           const std::map<std::string, std::string>& env) {
    std::string key_text;
    if (!s.Get("credential").empty()) {
        auto secret = StoredSecret(s, "gcp", identity, keyring);
        if (!secret) return secret.error();
        key_text = secret->dump();
    } else {
        auto it = env.find("GOOGLE_APPLICATION_CREDENTIALS");
        const std::string file = s.Get("key_file", it == env.end() ? "" : it->second);
        if (file.empty())
            return MakeError(ErrorCode::kUnavailable,
                             "no GCP service-account key: set key_file or credential under providers." + name +
                                 ", or GOOGLE_APPLICATION_CREDENTIALS");
        auto text = ReadWholeFile(file, "service-account key");
        if (!text) return text.error();
        key_text = std::move(*text);
    }
    auto account = providers::ParseServiceAccountKey(key_text);
    if (!account) return account.error();
    providers::GcpOptions options;
    options.compute_endpoint = s.Get("compute_endpoint", options.compute_endpoint);
    options.monitoring_endpoint = s.Get("monitoring_endpoint", options.monitoring_endpoint);
    options.run_endpoint = s.Get("run_endpoint", options.run_endpoint);
    options.token_uri = s.Get("token_uri");
    spdlog::info("providers.{}: Google Cloud as {}", name, account->client_email);
    return std::make_shared<providers::GcpClient>(*account, options);
}

Result<CloudAdapter> Gcp(const std::string& name, const Settings& s, IdentityStore& identity,
                         const security::Keyring& keyring, const std::map<std::string, std::string>& env) {
    auto client = GcpClientFor(name, s, identity, keyring, env);
    if (!client) return client.error();
    CloudAdapter adapter{std::make_unique<providers::GcpMigProvider>(*client), nullptr};
    if (s.PullMetrics()) adapter.source = std::make_unique<providers::GcpMonitoringSource>(*client);
    return adapter;
}

Result<CloudAdapter> GcpCloudRun(const std::string& name, const Settings& s, IdentityStore& identity,
                                 const security::Keyring& keyring, const std::map<std::string, std::string>& env) {
    auto client = GcpClientFor(name, s, identity, keyring, env);
    if (!client) return client.error();
    CloudAdapter adapter{std::make_unique<providers::GcpCloudRunProvider>(*client), nullptr};
    if (s.PullMetrics()) adapter.source = std::make_unique<providers::GcpCloudRunSource>(*client);
    return adapter;
}

}  // namespace

const std::set<std::string>& DriverSettings(const std::string& driver) {
    static const std::map<std::string, std::set<std::string>> kSettings = {
        {"simulated", {}},
        {"host", {}},
        {"kubernetes", {"credential", "kubeconfig", "context"}},
        {"aws", {"credential", "profile", "endpoint", "metrics"}},
        {"azure", {"credential", "login_endpoint", "management_endpoint", "scope", "metrics"}},
        {"gcp", {"credential", "key_file", "compute_endpoint", "monitoring_endpoint", "token_uri", "metrics"}},
        {"aws_lambda", {"credential", "profile", "endpoint", "metrics"}},
        {"gcp_cloud_run", {"credential", "key_file", "run_endpoint", "monitoring_endpoint", "token_uri", "metrics"}},
        {"azure_functions", {"credential", "login_endpoint", "management_endpoint", "scope", "metrics"}},
        {"keda", {}},  // served to KEDA (docs/KEDA.md); wired by serve, beside the keda.* server settings
    };
    static const std::set<std::string> kNone;
    auto it = kSettings.find(driver);
    return it == kSettings.end() ? kNone : it->second;
}

Result<CloudAdapter> MakeCloudAdapter(const Config& config, const std::string& name, IdentityStore& identity,
                                      const security::Keyring& keyring, const std::map<std::string, std::string>& env) {
    const std::string driver = config.providers.at(name);
    const Settings s(config, name);
    const std::string metrics = s.Get("metrics", "cloud");
    if (metrics != "cloud" && metrics != "none")
        return MakeError(ErrorCode::kInvalidArgument,
                         "providers." + name + ".metrics: use cloud (pull from the cloud's monitor) or none");
    if (driver == "host") {
        // One object is both: the host reports its load and describes itself as one machine.
        auto host = std::make_unique<monitor::HostSource>();
        CloudAdapter adapter;
        adapter.source = std::make_unique<ForwardingSource>(*host);
        adapter.provider = std::move(host);
        return adapter;
    }
    if (driver == "kubernetes") return Kubernetes(config, name, s, identity, keyring, env);
    if (driver == "aws") return Aws(name, s, identity, keyring, env);
    if (driver == "azure") return Azure(name, s, identity, keyring, env);
    if (driver == "gcp") return Gcp(name, s, identity, keyring, env);
    if (driver == "aws_lambda") return AwsLambda(name, s, identity, keyring, env);
    if (driver == "gcp_cloud_run") return GcpCloudRun(name, s, identity, keyring, env);
    if (driver == "azure_functions") return AzureFunctions(name, s, identity, keyring, env);
    return MakeError(ErrorCode::kInvalidArgument, "providers." + name + ".driver: unknown driver '" + driver + "'");
}

}  // namespace cloudopt
