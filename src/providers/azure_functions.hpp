#pragma once
// Azure Functions on an Elastic Premium plan: the always-ready instances of one function app, through Resource
// Manager. The planner's unit is one always-ready instance; a resource's load is its request rate and
// capacity_per_instance the requests per second one instance serves at 100%.
//
// - Describe: GET {app}/config/web: desired = properties.minimumElasticInstanceCount (the app's always-ready
//   instances), max_size = properties.functionAppScaleLimit when set. ARM does not count warm instances, so ready is
//   the desired count (the plan keeps them running).
// - SetDesiredCapacity: PATCH {app}/config/web with {"properties":{"minimumElasticInstanceCount":N}}; only that
//   setting changes. Nothing is sent when it already equals N. A Premium plan always keeps at least one instance
//   ready, so N < 1 is refused. ARM's 409 (another operation on the site is in progress) is retried with backoff like
//   its 429, then reported as kConflict with ARM's message.
// - Load: Azure Monitor's "Requests" of the app (Total per minute) as requests per second.
//
// A resource's provider_ref names the app: "SUBSCRIPTION_ID/RESOURCE_GROUP/APP_NAME", or its full resource id
// "/subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{name}".
//
// Thread-safety: the provider keeps no state; the source's collect window is thread-safe.

#include <memory>
#include <string>

#include "core/provider.hpp"
#include "providers/azure_arm.hpp"
#include "providers/collect_window.hpp"

namespace cloudopt::providers {

// The function app's full resource id, or kInvalidArgument showing the accepted forms.
Result<std::string> ParseFunctionAppRef(const std::string& provider_ref);

struct AzureFunctionsOptions {
    std::string web_api_version = "2023-12-01";
    std::string monitor_api_version = "2023-10-01";
    UnixSeconds backfill_seconds = 8 * 86400;
};

class AzureFunctionsProvider final : public Provider {
  public:
    AzureFunctionsProvider(std::shared_ptr<AzureArmClient> client, AzureFunctionsOptions options = {})
        : client_(std::move(client)), options_(std::move(options)) {}
    Result<CapacityState> Describe(const Resource& resource) override;
    Status SetDesiredCapacity(const Resource& resource, int desired) override;

  private:
    std::shared_ptr<AzureArmClient> client_;
    AzureFunctionsOptions options_;
};

class AzureFunctionsSource final : public MetricSource {
  public:
    AzureFunctionsSource(std::shared_ptr<AzureArmClient> client, AzureFunctionsOptions options = {})
        : client_(std::move(client)), options_(std::move(options)), window_(options_.backfill_seconds) {}
    Result<std::vector<MetricReading>> Collect(const Resource& resource, UnixSeconds now) override;

  private:
    std::shared_ptr<AzureArmClient> client_;
    AzureFunctionsOptions options_;
    CollectWindow window_;
};

}  // namespace cloudopt::providers
