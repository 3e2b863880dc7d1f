#pragma once
// Azure Virtual Machine Scale Sets through Resource Manager: read sku.capacity and the VMs that finished
// provisioning, set capacity with a PATCH of {"sku":{"capacity":N}} (idempotent; ARM answers 200 or 202 and
// finishes asynchronously). Load from Azure Monitor's "Percentage CPU", split per VM (VMName), summed.
//
// A resource's provider_ref names the scale set: "SUBSCRIPTION_ID/RESOURCE_GROUP/NAME", or its full resource id
// "/subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachineScaleSets/{name}".

#include <memory>
#include <string>

#include "core/provider.hpp"
#include "providers/azure_arm.hpp"
#include "providers/collect_window.hpp"

namespace cloudopt::providers {

// The scale set's full resource id, or kInvalidArgument showing the accepted forms.
Result<std::string> ParseVmssRef(const std::string& provider_ref);

struct AzureVmssOptions {
    std::string compute_api_version = "2024-07-01";
    std::string monitor_api_version = "2023-10-01";
    UnixSeconds backfill_seconds = 8 * 86400;
};

class AzureVmssProvider final : public Provider {
public:
    AzureVmssProvider(std::shared_ptr<AzureArmClient> client, AzureVmssOptions options = {})
        : client_(std::move(client)), options_(std::move(options)) {}
    Result<CapacityState> Describe(const Resource& resource) override;
    Status SetDesiredCapacity(const Resource& resource, int desired) override;
    // The virtual-machine SKUs of the scale set's location without a restriction there (Resource SKUs API).
    Result<std::vector<OfferedInstanceType>> ListInstanceTypes(const Resource& resource) override;

private:
    std::shared_ptr<AzureArmClient> client_;
    AzureVmssOptions options_;
};

class AzureMonitorSource final : public MetricSource {
public:
    AzureMonitorSource(std::shared_ptr<AzureArmClient> client, AzureVmssOptions options = {})
        : client_(std::move(client)), options_(std::move(options)), window_(options_.backfill_seconds) {}
    Result<std::vector<MetricReading>> Collect(const Resource& resource, UnixSeconds now) override;

private:
    std::shared_ptr<AzureArmClient> client_;
    AzureVmssOptions options_;
    CollectWindow window_;
};

}  // namespace cloudopt::providers
