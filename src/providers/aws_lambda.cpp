#include "providers/aws_lambda.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "providers/aws_cloudwatch.hpp"
#include "providers/json_fields.hpp"

namespace cloudopt::providers {

namespace {

using nlohmann::json;

constexpr const char* kService = "lambda";

bool LambdaNameChars(const std::string& s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

std::string ConfigPath(const LambdaRef& ref) {
    // Both parts are limited to [A-Za-z0-9_-] by ParseLambdaRef, so they need no percent-encoding.
    return "/2019-09-30/functions/" + ref.function + "/provisioned-concurrency?Qualifier=" + ref.qualifier;
}

// Worth the same backoff as a 429: Lambda answers 409 while an earlier allocation of this alias is in progress.
bool LambdaConflict(const OutboundResponse& r) {
    return r.status == 409 && ParseAwsJsonError(r).code == "ResourceConflictException";
}

}  // namespace

Result<LambdaRef> ParseLambdaRef(const std::string& ref) {
    const auto bad = [&](const std::string& why) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "provider_ref '" + ref + "': " + why +
                             "; use REGION/FUNCTION:ALIAS or REGION/FUNCTION:VERSION, e.g. "
                             "us-east-1/checkout:live");
    };
    const std::size_t slash = ref.find('/');
    const std::size_t colon = ref.rfind(':');
    if (slash == std::string::npos || colon == std::string::npos || colon < slash) return bad("no region or qualifier");
    LambdaRef r{ref.substr(0, slash), ref.substr(slash + 1, colon - slash - 1), ref.substr(colon + 1)};
    const bool region_ok = !r.region.empty() && std::all_of(r.region.begin(), r.region.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-';
    });
    if (!region_ok) return bad("the region must be like us-east-1");
    // The API's limits: a function name of 1..64 characters, a qualifier of 1..128.
    if (r.function.empty() || r.function.size() > 64 || !LambdaNameChars(r.function))
        return bad("the function name must be 1-64 of A-Z a-z 0-9 - _");
    if (r.qualifier == "$LATEST")
        return bad("Lambda provisions concurrency on an alias or a published version, not on $LATEST");
    if (r.qualifier.empty() || r.qualifier.size() > 128 || !LambdaNameChars(r.qualifier))
        return bad("the qualifier must be an alias or version");
    return r;
}

Result<CapacityState> AwsLambdaProvider::Describe(const Resource& resource) {
    auto ref = ParseLambdaRef(resource.provider_ref);
    if (!ref) return ref.error();
    const std::string what = "AWS lambda GetProvisionedConcurrencyConfig " + ref->function + ":" + ref->qualifier;
    auto response = client_->Call(kService, ref->region, "GET", ConfigPath(*ref));
    if (!response) return response.error();
    CapacityState state;
    state.instance_type = resource.instance_type;
    if (response->status == 404 && ParseAwsJsonError(*response).code == "ProvisionedConcurrencyConfigNotFoundException")
        return state;  // nothing provisioned yet: every invocation runs on demand
    if (response->status != 200)
        return AwsRestJsonClient::ToError(*response, what, "lambda:GetProvisionedConcurrencyConfig");
    const json body = jsonf::Parse(response->body);
    const auto requested = jsonf::Int(body, "RequestedProvisionedConcurrentExecutions");
    if (!requested || *requested < 0)
        return MakeError(ErrorCode::kUnavailable,
                         what + ": the answer has no RequestedProvisionedConcurrentExecutions");
    state.desired = *requested;
    // Available: initialized and serving. While Status is IN_PROGRESS it climbs towards the requested amount; after
    // FAILED it stays below, which the loop sees as capacity that did not come.
    state.ready = std::max(0, jsonf::Int(body, "AvailableProvisionedConcurrentExecutions").value_or(0));
    return state;
}

Status AwsLambdaProvider::SetDesiredCapacity(const Resource& resource, int desired) {
    auto ref = ParseLambdaRef(resource.provider_ref);
    if (!ref) return ref.error();
    if (desired < 0) return MakeError(ErrorCode::kInvalidArgument, "provisioned concurrency cannot be negative");
    auto current = Describe(resource);
    if (!current) return current.error();
    if (current->desired == desired) return Status::Ok();  // idempotent, and no 409 for asking again mid-allocation
    const std::string name = ref->function + ":" + ref->qualifier;
    if (desired == 0) {
        auto response = client_->Call(kService, ref->region, "DELETE", ConfigPath(*ref), "", LambdaConflict);
        if (!response) return response.error();
        if (response->status == 204 || response->status == 200) return Status::Ok();
        return AwsRestJsonClient::ToError(*response, "AWS lambda DeleteProvisionedConcurrencyConfig " + name,
                                          "lambda:DeleteProvisionedConcurrencyConfig");
    }
    const std::string body = json{{"ProvisionedConcurrentExecutions", desired}}.dump();
    auto response = client_->Call(kService, ref->region, "PUT", ConfigPath(*ref), body, LambdaConflict);
    if (!response) return response.error();
    if (response->status == 202 || response->status == 200) return Status::Ok();
    Error error = AwsRestJsonClient::ToError(*response, "AWS lambda PutProvisionedConcurrencyConfig " + name,
                                             "lambda:PutProvisionedConcurrencyConfig");
    if (response->status == 409)
        error.message +=
            " (an earlier change of this alias is still being allocated; cloudopt retried and will try again on its "
            "next pass)";
    return error;
}

Result<std::vector<MetricReading>> AwsLambdaConcurrencySource::Collect(const Resource& resource, UnixSeconds now) {
    auto ref = ParseLambdaRef(resource.provider_ref);
    if (!ref) return ref.error();
    constexpr UnixSeconds kPeriod = 60;
    const UnixSeconds end = now / kPeriod * kPeriod;  // whole minutes only
    const UnixSeconds start = window_.Start(resource.id, end);
    if (start >= end) return std::vector<MetricReading>{};
    const std::vector<std::pair<std::string, std::string>> dimensions = {
        {"FunctionName", ref->function}, {"Resource", ref->function + ":" + ref->qualifier}};
    const std::vector<CloudWatchQuery> queries = {
        {"concurrent", "AWS/Lambda", "ConcurrentExecutions", dimensions, "Maximum"},
        {"spillover", "AWS/Lambda", "ProvisionedConcurrencySpilloverInvocations", dimensions, "Sum"}};
    auto series = GetMetricData(*client_, ref->region, queries, kPeriod, start, end, 20);
    if (!series) return series.error();
    std::vector<MetricReading> readings;
    const auto& concurrent = (*series)["concurrent"];
    for (const auto& [t, v] : concurrent) readings.push_back({resource.load_metric, {t, v}});
    for (const auto& [t, v] : (*series)["spillover"]) readings.push_back({"spillover_invocations", {t, v}});
    if (!concurrent.empty()) window_.Seen(resource.id, concurrent.rbegin()->first, kPeriod);
    return readings;
}

}  // namespace cloudopt::providers
