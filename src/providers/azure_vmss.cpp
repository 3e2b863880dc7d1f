#include "providers/azure_vmss.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/timestamp.hpp"
#include "providers/fleet_load.hpp"
#include "providers/json_fields.hpp"

namespace cloudopt::providers {

namespace {

using nlohmann::json;

}  // namespace

Result<std::string> ParseVmssRef(const std::string& ref) {
    return ParseArmResourceRef(
        ref, "Microsoft.Compute", "virtualMachineScaleSets", "SUBSCRIPTION_ID/RESOURCE_GROUP/SCALE_SET",
        "/subscriptions/.../resourceGroups/.../providers/Microsoft.Compute/virtualMachineScaleSets/...");
}

Result<CapacityState> AzureVmssProvider::Describe(const Resource& resource) {
    auto id = ParseVmssRef(resource.provider_ref);
    if (!id) return id.error();
    const std::string what = "GET scale set " + *id;
    auto response = client_->Request("GET", *id + "?api-version=" + options_.compute_api_version);
    if (!response) return response.error();
    if (response->status != 200) return AzureArmClient::ArmError(*response, what);
    const json vmss = jsonf::Parse(response->body);
    const auto capacity = jsonf::Int(jsonf::At(vmss, "/sku/capacity"));
    if (!capacity || *capacity < 0)
        return MakeError(ErrorCode::kUnavailable, what + ": the answer has no sku.capacity");
    CapacityState state;
    state.desired = *capacity;
    state.instance_type = jsonf::Str(jsonf::At(vmss, "/sku/name"), resource.instance_type);

    // Serving: the scale set's VMs whose provisioning finished (the list pages through nextLink).
    std::string next = *id + "/virtualMachines?api-version=" + options_.compute_api_version;
    for (int page = 0; !next.empty() && page < 50; ++page) {
        auto vms = client_->Request("GET", next);
        if (!vms) return vms.error();
        if (vms->status != 200) return AzureArmClient::ArmError(*vms, "GET the VMs of " + *id);
        const json list = jsonf::Parse(vms->body);
        if (!jsonf::Field(list, "value").is_array())
            return MakeError(ErrorCode::kUnavailable, "GET the VMs of " + *id + ": the answer has no value list");
        for (const json& vm : jsonf::Arr(list, "value"))
            if (jsonf::Str(jsonf::At(vm, "/properties/provisioningState")) == "Succeeded") ++state.ready;
        next.clear();
        if (const std::string link = jsonf::Str(list, "nextLink"); !link.empty()) {
            // nextLink is absolute; keep its path and query for the management endpoint we were given.
            const std::size_t path = link.find("/subscriptions/");
            if (path != std::string::npos) next = link.substr(path);
        }
    }
    return state;
}

Result<std::vector<OfferedInstanceType>> AzureVmssProvider::ListInstanceTypes(const Resource& resource) {
    auto id = ParseVmssRef(resource.provider_ref);
    if (!id) return id.error();
    auto vmss = client_->Request("GET", *id + "?api-version=" + options_.compute_api_version);
    if (!vmss) return vmss.error();
    if (vmss->status != 200) return AzureArmClient::ArmError(*vmss, "GET scale set " + *id);
    const json set = jsonf::Parse(vmss->body);
    const std::string location = jsonf::Str(set, "location");
    if (location.empty())
        return MakeError(ErrorCode::kUnavailable, "GET scale set " + *id + ": the answer has no location");
    const std::string subscription = id->substr(0, id->find("/resourceGroups/"));  // /subscriptions/{id}
    std::string next = subscription + "/providers/Microsoft.Compute/skus?api-version=2021-07-01&%24filter=" +
                       PercentEncode("location eq '" + location + "'");
    std::vector<OfferedInstanceType> types;
    for (int page = 0; !next.empty() && page < 50; ++page) {
        auto response = client_->Request("GET", next);
        if (!response) return response.error();
        if (response->status != 200) return AzureArmClient::ArmError(*response, "GET resource SKUs in " + location);
        const json list = jsonf::Parse(response->body);
        if (!jsonf::Field(list, "value").is_array())
            return MakeError(ErrorCode::kUnavailable,
                             "GET resource SKUs in " + location + ": the answer has no value list");
        for (const json& sku : jsonf::Arr(list, "value")) {
            if (jsonf::Str(sku, "resourceType") != "virtualMachines") continue;
            bool restricted = false;
            for (const json& r : jsonf::Arr(sku, "restrictions"))
                restricted = restricted || jsonf::Str(r, "type") == "Location";
            if (restricted) continue;
            OfferedInstanceType t;
            t.name = jsonf::Str(sku, "name");
            for (const json& c : jsonf::Arr(sku, "capabilities")) {
                const std::string value = jsonf::Str(c, "value");
                if (jsonf::Str(c, "name") == "vCPUs") t.vcpu = std::atof(value.c_str());
                if (jsonf::Str(c, "name") == "MemoryGB") t.memory_gib = std::atof(value.c_str());
            }
            if (!t.name.empty() && t.vcpu > 0) types.push_back(std::move(t));
        }
        next.clear();
        if (const std::string link = jsonf::Str(list, "nextLink"); !link.empty()) {
            const std::size_t path = link.find("/subscriptions/");
            if (path != std::string::npos) next = link.substr(path);
        }
    }
    return types;
}

Status AzureVmssProvider::SetDesiredCapacity(const Resource& resource, int desired) {
    auto id = ParseVmssRef(resource.provider_ref);
    if (!id) return id.error();
    if (desired < 0) return MakeError(ErrorCode::kInvalidArgument, "capacity cannot be negative");
    auto response = client_->Request("PATCH", *id + "?api-version=" + options_.compute_api_version,
                                     json{{"sku", {{"capacity", desired}}}}.dump());
    if (!response) return response.error();
    if (response->status != 200 && response->status != 202)
        return AzureArmClient::ArmError(*response, "PATCH scale set " + *id);
    return Status::Ok();
}

Result<std::vector<MetricReading>> AzureMonitorSource::Collect(const Resource& resource, UnixSeconds now) {
    auto id = ParseVmssRef(resource.provider_ref);
    if (!id) return id.error();
    const UnixSeconds end = now / 60 * 60;
    const UnixSeconds start = window_.Start(resource.id, end);
    if (start >= end) return std::vector<MetricReading>{};
    // One series per VM (the VMName dimension), so the sum follows the fleet as it changes size.
    const std::string query = *id +
                              "/providers/Microsoft.Insights/metrics?api-version=" + options_.monitor_api_version +
                              "&metricnames=" + PercentEncode("Percentage CPU") + "&aggregation=Average&interval=PT1M" +
                              "&timespan=" + PercentEncode(FormatRfc3339(start) + "/" + FormatRfc3339(end)) +
                              "&%24filter=" + PercentEncode("VMName eq '*'") + "&top=1000";
    const std::string what = "Azure Monitor Percentage CPU of " + *id;
    auto response = client_->Request("GET", query);
    if (!response) return response.error();
    if (response->status != 200) return AzureArmClient::ArmError(*response, what);
    const json body = jsonf::Parse(response->body);
    if (!jsonf::Field(body, "value").is_array())
        return MakeError(ErrorCode::kUnavailable, what + ": the answer has no value list");
    FleetLoad fleet;
    for (const json& metric : jsonf::Arr(body, "value")) {
        const std::string error = jsonf::Str(metric, "errorCode", "Success");
        if (error != "Success")
            return MakeError(ErrorCode::kUnavailable, what + ": " + error + ": " + jsonf::Str(metric, "errorMessage"));
        for (const json& series : jsonf::Arr(metric, "timeseries")) {
            for (const json& point : jsonf::Arr(series, "data")) {
                if (jsonf::Field(point, "average").is_null()) continue;  // a minute without data
                const auto t = ParseRfc3339(jsonf::Str(point, "timeStamp"));
                const auto average = jsonf::Num(point, "average");
                if (!t || !average || !std::isfinite(*average))
                    return MakeError(ErrorCode::kUnavailable, what + ": unreadable point " + point.dump());
                fleet.Add(*t, *average / 100.0);
            }
        }
    }
    if (!fleet.empty()) window_.Seen(resource.id, fleet.last(), 60);
    return fleet.Readings(resource);
}

}  // namespace cloudopt::providers
