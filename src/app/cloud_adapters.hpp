#pragma once
// Builds the provider and metric source behind one configured provider name from its driver and settings
// (`providers.<name>` in the config): kubernetes, aws, azure, gcp, host (the machine cloudopt runs on), or the
// serverless warm-capacity drivers aws_lambda, gcp_cloud_run and azure_functions. Credentials come from a credential
// stored through the API (`credential: NAME`, opened with the master keyring) or from where the cloud's own tools look
// (environment, ~/.aws/credentials, a service-account key file, a kubeconfig or the in-cluster account).

#include <map>
#include <memory>
#include <set>
#include <string>

#include "app/config.hpp"
#include "core/provider.hpp"
#include "security/secret_box.hpp"
#include "store/identity_store.hpp"

namespace cloudopt {

struct CloudAdapter {
    std::unique_ptr<Provider> provider;
    std::unique_ptr<MetricSource> source;  // null: push-only (load arrives through the API or remote write)
};

// The settings each driver accepts besides `driver`; the config loader rejects others by name.
const std::set<std::string>& DriverSettings(const std::string& driver);

Result<CloudAdapter> MakeCloudAdapter(const Config& config, const std::string& name, IdentityStore& identity,
                                      const security::Keyring& keyring,
                                      const std::map<std::string, std::string>& environment);

}  // namespace cloudopt
