#include "providers/azure_functions.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/timestamp.hpp"
#include "providers/json_fields.hpp"

namespace cloudopt::providers {

namespace {

using nlohmann::json;

// ARM answers 409 while another operation on the site (a deployment, a restart, an earlier change) runs.
bool SiteBusy(const OutboundResponse& r) { return r.status == 409; }

Error FunctionsError(const OutboundResponse& r, const std::string& what) {
    Error e = CloudJsonError(r, what, "code",
                             "give the service principal Microsoft.Web/sites/config/read and write on the function "
                             "app, e.g. Website Contributor, and Monitoring Reader");
    if (r.status == 409)
        e.message +=
            " (another operation on the function app is still running; cloudopt retried and will try again on its next "
            "pass)";
    return e;
}

}  // namespace

Result<std::string> ParseFunctionAppRef(const std::string& ref) {
    return ParseArmResourceRef(ref, "Microsoft.Web", "sites", "SUBSCRIPTION_ID/RESOURCE_GROUP/FUNCTION_APP",
                               "/subscriptions/.../resourceGroups/.../providers/Microsoft.Web/sites/...");
}

Result<CapacityState> AzureFunctionsProvider::Describe(const Resource& resource) {
    auto id = ParseFunctionAppRef(resource.provider_ref);
    if (!id) return id.error();
    const std::string what = "GET the site config of " + *id;
    auto response = client_->Request("GET", *id + "/config/web?api-version=" + options_.web_api_version);
    if (!response) return response.error();
    if (response->status != 200) return FunctionsError(*response, what);
    const json config = jsonf::Parse(response->body);
    const json& properties = jsonf::Field(config, "properties");
    if (!properties.is_object()) return MakeError(ErrorCode::kUnavailable, what + ": the answer has no properties");
    CapacityState state;
    const auto always_ready = jsonf::Int(properties, "minimumElasticInstanceCount");
    if (!always_ready || *always_ready < 0)
        return MakeError(ErrorCode::kUnavailable, what +
                                                      ": the answer has no minimumElasticInstanceCount (is the app "
                                                      "on an Elastic Premium plan, EP1-EP3?)");
    state.desired = *always_ready;
    state.ready = state.desired;
    if (auto limit = jsonf::Int(properties, "functionAppScaleLimit"); limit && *limit > 0) state.max_size = *limit;
    state.min_size = 1;  // a Premium plan keeps at least one instance ready
    state.instance_type = resource.instance_type;
    return state;
}

Status AzureFunctionsProvider::SetDesiredCapacity(const Resource& resource, int desired) {
    auto id = ParseFunctionAppRef(resource.provider_ref);
    if (!id) return id.error();
    if (desired < 1)
        return MakeError(ErrorCode::kInvalidArgument,
                         "an Elastic Premium plan keeps at least one always-ready instance; "
                         "set the resource's min_capacity to 1 or more");
    auto current = Describe(resource);
    if (!current) return current.error();
    if (current->desired == desired) return Status::Ok();  // idempotent
    if (current->max_size && desired > *current->max_size)
        return MakeError(ErrorCode::kInvalidArgument,
                         "function app " + *id + " scales to at most " + std::to_string(*current->max_size) +
                             " instances (functionAppScaleLimit); lower the resource's max_capacity to that");
    auto response = client_->Request("PATCH", *id + "/config/web?api-version=" + options_.web_api_version,
                                     json{{"properties", {{"minimumElasticInstanceCount", desired}}}}.dump(), SiteBusy);
    if (!response) return response.error();
    if (response->status != 200 && response->status != 202)
        return FunctionsError(*response, "PATCH the site config of " + *id);
    return Status::Ok();
}

Result<std::vector<MetricReading>> AzureFunctionsSource::Collect(const Resource& resource, UnixSeconds now) {
    auto id = ParseFunctionAppRef(resource.provider_ref);
    if (!id) return id.error();
    const UnixSeconds end = now / 60 * 60;
    const UnixSeconds start = window_.Start(resource.id, end);
    if (start >= end) return std::vector<MetricReading>{};
    const std::string query = *id +
                              "/providers/Microsoft.Insights/metrics?api-version=" + options_.monitor_api_version +
                              "&metricnames=Requests&aggregation=Total&interval=PT1M" +
                              "&timespan=" + PercentEncode(FormatRfc3339(start) + "/" + FormatRfc3339(end));
    const std::string what = "Azure Monitor Requests of " + *id;
    auto response = client_->Request("GET", query);
    if (!response) return response.error();
    if (response->status != 200) return FunctionsError(*response, what);
    const json body = jsonf::Parse(response->body);
    if (!jsonf::Field(body, "value").is_array())
        return MakeError(ErrorCode::kUnavailable, what + ": the answer has no value list");
    std::map<UnixSeconds, double> per_minute;
    for (const json& metric : jsonf::Arr(body, "value")) {
        const std::string error = jsonf::Str(metric, "errorCode", "Success");
        if (error != "Success")
            return MakeError(ErrorCode::kUnavailable, what + ": " + error + ": " + jsonf::Str(metric, "errorMessage"));
        for (const json& series : jsonf::Arr(metric, "timeseries")) {
            for (const json& point : jsonf::Arr(series, "data")) {
                if (jsonf::Field(point, "total").is_null()) continue;  // a minute without data
                const auto t = ParseRfc3339(jsonf::Str(point, "timeStamp"));
                const auto total = jsonf::Num(point, "total");
                if (!t || !total || !std::isfinite(*total) || *total < 0)
                    return MakeError(ErrorCode::kUnavailable, what + ": unreadable point " + point.dump());
                per_minute[*t] += *total;
            }
        }
    }
    std::vector<MetricReading> readings;
    for (const auto& [t, total] : per_minute) readings.push_back({resource.load_metric, {t, total / 60.0}});
    if (!per_minute.empty()) window_.Seen(resource.id, per_minute.rbegin()->first, 60);
    return readings;
}

}  // namespace cloudopt::providers
