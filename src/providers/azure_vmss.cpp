#include "providers/azure_vmss.hpp"

#include <nlohmann/json.hpp>
#include <vector>

#include "core/timestamp.hpp"
#include "providers/fleet_load.hpp"

namespace cloudopt::providers {

namespace {

using nlohmann::json;

std::vector<std::string> Split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= s.size()) {
        const std::size_t at = std::min(s.find(sep, start), s.size());
        parts.push_back(s.substr(start, at - start));
        start = at + 1;
    }
    return parts;
}

bool Lower(const std::string& a, const char* b) {
    std::string l;
    for (char c : a) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return l == b;
}

// ARM names: letters, digits, '-', '_', '.', '(' and ')'; nothing that could change the URL's path or query.
bool SafeName(const std::string& s) {
    return !s.empty() && s.size() <= 90 && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '(' || c == ')';
    });
}

}  // namespace

Result<std::string> ParseVmssRef(const std::string& ref) {
    const auto parts = Split(ref, '/');
    std::string subscription, group, name;
    if (parts.size() == 3) {
        subscription = parts[0], group = parts[1], name = parts[2];
    } else if (parts.size() == 9 && parts[0].empty() && Lower(parts[1], "subscriptions") && Lower(parts[3], "resourcegroups") &&
               Lower(parts[5], "providers") && Lower(parts[6], "microsoft.compute") &&
               Lower(parts[7], "virtualmachinescalesets")) {
        subscription = parts[2], group = parts[4], name = parts[8];
    }
    if (!SafeName(subscription) || !SafeName(group) || !SafeName(name))
        return MakeError(ErrorCode::kInvalidArgument,
                         "provider_ref '" + ref + "': use SUBSCRIPTION_ID/RESOURCE_GROUP/SCALE_SET or the scale set's "
                         "resource id (/subscriptions/.../resourceGroups/.../providers/Microsoft.Compute/virtualMachineScaleSets/...)");
    return "/subscriptions/" + subscription + "/resourceGroups/" + group +
           "/providers/Microsoft.Compute/virtualMachineScaleSets/" + name;
}

Result<CapacityState> AzureVmssProvider::Describe(const Resource& resource) {
    auto id = ParseVmssRef(resource.provider_ref);
    if (!id) return id.error();
    const std::string what = "GET scale set " + *id;
    auto response = client_->Request("GET", *id + "?api-version=" + options_.compute_api_version);
    if (!response) return response.error();
    if (response->status != 200) return AzureArmClient::ArmError(*response, what);
    const json vmss = json::parse(response->body, nullptr, false);
    if (!vmss.is_object() || !vmss.contains("sku") || !vmss["sku"].is_object() || !vmss["sku"].contains("capacity") ||
        !vmss["sku"]["capacity"].is_number_integer())
        return MakeError(ErrorCode::kUnavailable, what + ": the answer has no sku.capacity");
    CapacityState state;
    state.desired = vmss["sku"]["capacity"].get<int>();
    state.instance_type = vmss["sku"].value("name", resource.instance_type);

    // Serving: the scale set's VMs whose provisioning finished (the list pages through nextLink).
    std::string next = *id + "/virtualMachines?api-version=" + options_.compute_api_version;
    for (int page = 0; !next.empty() && page < 50; ++page) {
        auto vms = client_->Request("GET", next);
        if (!vms) return vms.error();
        if (vms->status != 200) return AzureArmClient::ArmError(*vms, "GET the VMs of " + *id);
        const json list = json::parse(vms->body, nullptr, false);
        if (!list.is_object() || !list.contains("value") || !list["value"].is_array())
            return MakeError(ErrorCode::kUnavailable, "GET the VMs of " + *id + ": the answer has no value list");
        for (const json& vm : list["value"])
            if (vm.value("/properties/provisioningState"_json_pointer, std::string()) == "Succeeded") ++state.ready;
        next.clear();
        if (list.contains("nextLink") && list["nextLink"].is_string()) {
            // nextLink is absolute; keep its path and query for the management endpoint we were given.
            const std::string link = list["nextLink"].get<std::string>();
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
    const json set = json::parse(vmss->body, nullptr, false);
    const std::string location = set.is_object() ? set.value("location", std::string()) : "";
    if (location.empty()) return MakeError(ErrorCode::kUnavailable, "GET scale set " + *id + ": the answer has no location");
    const std::string subscription = id->substr(0, id->find("/resourceGroups/"));  // /subscriptions/{id}
    std::string next = subscription + "/providers/Microsoft.Compute/skus?api-version=2021-07-01&%24filter=" +
                       PercentEncode("location eq '" + location + "'");
    std::vector<OfferedInstanceType> types;
    for (int page = 0; !next.empty() && page < 50; ++page) {
        auto response = client_->Request("GET", next);
        if (!response) return response.error();
        if (response->status != 200) return AzureArmClient::ArmError(*response, "GET resource SKUs in " + location);
        const json list = json::parse(response->body, nullptr, false);
        if (!list.is_object() || !list.contains("value") || !list["value"].is_array())
            return MakeError(ErrorCode::kUnavailable, "GET resource SKUs in " + location + ": the answer has no value list");
        for (const json& sku : list["value"]) {
            if (!sku.is_object() || sku.value("resourceType", std::string()) != "virtualMachines") continue;
            bool restricted = false;
            for (const json& r : sku.value("restrictions", json::array()))
                restricted = restricted || (r.is_object() && r.value("type", std::string()) == "Location");
            if (restricted) continue;
            OfferedInstanceType t;
            t.name = sku.value("name", std::string());
            for (const json& c : sku.value("capabilities", json::array())) {
                if (!c.is_object() || !c.contains("value") || !c["value"].is_string()) continue;
                if (c.value("name", std::string()) == "vCPUs") t.vcpu = std::atof(c["value"].get<std::string>().c_str());
                if (c.value("name", std::string()) == "MemoryGB") t.memory_gib = std::atof(c["value"].get<std::string>().c_str());
            }
            if (!t.name.empty() && t.vcpu > 0) types.push_back(std::move(t));
        }
        next.clear();
        if (list.contains("nextLink") && list["nextLink"].is_string()) {
            const std::string link = list["nextLink"].get<std::string>();
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
    UnixSeconds start;
    {
        std::lock_guard lock(mutex_);
        auto it = next_start_.find(resource.id);
        start = std::max(it == next_start_.end() ? 0 : it->second, end - options_.backfill_seconds);
    }
    if (start >= end) return std::vector<MetricReading>{};
    // One series per VM (the VMName dimension), so the sum follows the fleet as it changes size.
    const std::string query = *id + "/providers/Microsoft.Insights/metrics?api-version=" + options_.monitor_api_version +
                              "&metricnames=" + PercentEncode("Percentage CPU") + "&aggregation=Average&interval=PT1M" +
                              "&timespan=" + PercentEncode(FormatRfc3339(start) + "/" + FormatRfc3339(end)) +
                              "&%24filter=" + PercentEncode("VMName eq '*'") + "&top=1000";
    const std::string what = "Azure Monitor Percentage CPU of " + *id;
    auto response = client_->Request("GET", query);
    if (!response) return response.error();
    if (response->status != 200) return AzureArmClient::ArmError(*response, what);
    const json body = json::parse(response->body, nullptr, false);
    if (!body.is_object() || !body.contains("value") || !body["value"].is_array())
        return MakeError(ErrorCode::kUnavailable, what + ": the answer has no value list");
    FleetLoad fleet;
    for (const json& metric : body["value"]) {
        if (metric.contains("errorCode") && metric["errorCode"].is_string() && metric["errorCode"] != "Success")
            return MakeError(ErrorCode::kUnavailable, what + ": " + metric["errorCode"].get<std::string>() + ": " +
                                                          metric.value("errorMessage", std::string()));
        if (!metric.contains("timeseries") || !metric["timeseries"].is_array()) continue;
        for (const json& series : metric["timeseries"]) {
            if (!series.contains("data") || !series["data"].is_array()) continue;
            for (const json& point : series["data"]) {
                if (!point.is_object() || !point.contains("average")) continue;  // a minute without data
                const auto t = point.contains("timeStamp") && point["timeStamp"].is_string()
                                   ? ParseRfc3339(point["timeStamp"].get<std::string>())
                                   : std::nullopt;
                if (!t || !point["average"].is_number())
                    return MakeError(ErrorCode::kUnavailable, what + ": unreadable point " + point.dump());
                fleet.Add(*t, point["average"].get<double>() / 100.0);
            }
        }
    }
    std::lock_guard lock(mutex_);
    if (!fleet.empty()) next_start_[resource.id] = fleet.last() + 60;
    return fleet.Readings(resource);
}

}  // namespace cloudopt::providers
