#include "providers/gcp_cloud_run.hpp"

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

// Project ids: lower-case letters, digits, '-' (and ':' '.' for domain-scoped projects). Regions: us-central1.
// Service names: lower-case letters, digits and '-', at most 49 characters.
bool RunNameChars(const std::string& s, std::size_t max, bool project) {
    // "." and ".." would be path steps in the URL.
    return !s.empty() && s.size() <= max && s != "." && s != ".." && std::all_of(s.begin(), s.end(), [&](char c) {
        return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' ||
               (project && (c == ':' || c == '.'));
    });
}

// Cloud Run refuses a change while another rolls out: 409 (ABORTED / "conflict") or 400 FAILED_PRECONDITION.
bool RunInProgress(const OutboundResponse& r) {
    if (r.status == 409) return true;
    if (r.status != 400) return false;
    return jsonf::Str(jsonf::At(jsonf::Parse(r.body), "/error/status")) == "FAILED_PRECONDITION";
}

Error RunError(const OutboundResponse& r, const std::string& what) {
    Error e = CloudJsonError(r, what, "status",
                             "grant the service account run.services.get and run.services.update on the service, e.g. "
                             "roles/run.developer, and roles/monitoring.viewer on the project");
    if (RunInProgress(r)) {
        e.code = ErrorCode::kConflict;
        e.message +=
            " (another change of the service is still rolling out; cloudopt retried and will try again on its next "
            "pass)";
    }
    return e;
}

}  // namespace

Result<CloudRunRef> ParseCloudRunRef(const std::string& ref) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= ref.size()) {
        const std::size_t at = std::min(ref.find('/', start), ref.size());
        parts.push_back(ref.substr(start, at - start));
        start = at + 1;
    }
    if (parts.size() != 3 || !RunNameChars(parts[0], 130, true) || !RunNameChars(parts[1], 63, false) ||
        !RunNameChars(parts[2], 49, false))
        return MakeError(ErrorCode::kInvalidArgument,
                         "provider_ref '" + ref + "': use PROJECT/REGION/SERVICE, e.g. shop-prod/us-central1/checkout");
    return CloudRunRef{parts[0], parts[1], parts[2]};
}

Result<CapacityState> GcpCloudRunProvider::Describe(const Resource& resource) {
    auto ref = ParseCloudRunRef(resource.provider_ref);
    if (!ref) return ref.error();
    const std::string what = "GET Cloud Run service " + ref->Path();
    auto response = client_->Request("GET", client_->options().run_endpoint + "/v2/" + ref->Path());
    if (!response) return response.error();
    if (response->status != 200) return RunError(*response, what);
    const json service = jsonf::Parse(response->body);
    if (!service.is_object() || jsonf::Str(service, "name").empty())
        return MakeError(ErrorCode::kUnavailable, what + ": the answer is not a service");
    CapacityState state;
    // Absent means 0: proto3 JSON leaves out fields at their default.
    const json& min = jsonf::At(service, "/scaling/minInstanceCount");
    if (!min.is_null() && (!jsonf::Int(min) || *jsonf::Int(min) < 0))
        return MakeError(ErrorCode::kUnavailable, what + ": scaling.minInstanceCount is not a count: " + min.dump());
    state.desired = jsonf::Int(min).value_or(0);
    state.ready = state.desired;
    if (auto max = jsonf::Int(jsonf::At(service, "/scaling/maxInstanceCount")); max && *max > 0) state.max_size = *max;
    state.instance_type = resource.instance_type;
    return state;
}

Status GcpCloudRunProvider::SetDesiredCapacity(const Resource& resource, int desired) {
    auto ref = ParseCloudRunRef(resource.provider_ref);
    if (!ref) return ref.error();
    if (desired < 0) return MakeError(ErrorCode::kInvalidArgument, "minimum instances cannot be negative");
    auto current = Describe(resource);
    if (!current) return current.error();
    if (current->desired == desired) return Status::Ok();  // idempotent: no rollout for asking again
    if (current->max_size && desired > *current->max_size)
        return MakeError(ErrorCode::kInvalidArgument, "Cloud Run service " + ref->Path() + " allows at most " +
                                                          std::to_string(*current->max_size) +
                                                          " instances; lower the resource's max_capacity to that");
    // The update mask limits the change to this one field: the template (and so the revision) stays as it is.
    const std::string url =
        client_->options().run_endpoint + "/v2/" + ref->Path() + "?updateMask=scaling.minInstanceCount";
    auto response =
        client_->Request("PATCH", url, json{{"scaling", {{"minInstanceCount", desired}}}}.dump(), RunInProgress);
    if (!response) return response.error();
    if (response->status != 200) return RunError(*response, "PATCH Cloud Run service " + ref->Path());
    const json operation = jsonf::Parse(response->body);
    if (jsonf::Field(operation, "error").is_object())
        return MakeError(ErrorCode::kUnavailable, "PATCH Cloud Run service " + ref->Path() +
                                                      " failed: " + jsonf::Str(jsonf::At(operation, "/error/message")));
    return Status::Ok();
}

Result<std::vector<MetricReading>> GcpCloudRunSource::Collect(const Resource& resource, UnixSeconds now) {
    auto ref = ParseCloudRunRef(resource.provider_ref);
    if (!ref) return ref.error();
    const UnixSeconds end = now / 60 * 60;
    const UnixSeconds start = window_.Start(resource.id, end);
    if (start >= end) return std::vector<MetricReading>{};
    const std::string service_filter = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"" +
                                       ref->service + "\" AND resource.labels.location = \"" + ref->region + "\"";
    // One series per metric: summed over the service's revisions (and, for requests, response codes).
    auto read = [&](const std::string& metric, const std::string& aligner,
                    std::map<UnixSeconds, double>& into) -> Status {
        const std::string what = "Cloud Monitoring " + metric + " of " + ref->Path();
        const std::string base =
            client_->options().monitoring_endpoint + "/v3/projects/" + ref->project +
            "/timeSeries?filter=" + PercentEncode("metric.type = \"" + metric + "\" AND " + service_filter) +
            "&interval.startTime=" + PercentEncode(FormatRfc3339(start)) +
            "&interval.endTime=" + PercentEncode(FormatRfc3339(end)) +
            "&aggregation.alignmentPeriod=60s&aggregation.perSeriesAligner=" + aligner +
            "&aggregation.crossSeriesReducer=REDUCE_SUM&pageSize=1000";
        std::string page_token;
        for (int page = 0; page < 50; ++page) {
            auto response =
                client_->Request("GET", base + (page_token.empty() ? "" : "&pageToken=" + PercentEncode(page_token)));
            if (!response) return response.error();
            if (response->status != 200) return RunError(*response, what);
            const json body = jsonf::Parse(response->body);
            if (!body.is_object()) return MakeError(ErrorCode::kUnavailable, what + ": the answer is not JSON");
            for (const json& series : jsonf::Arr(body, "timeSeries")) {
                for (const json& point : jsonf::Arr(series, "points")) {
                    const auto t = ParseRfc3339(jsonf::Str(jsonf::At(point, "/interval/endTime")));
                    // ALIGN_RATE gives doubles; a gauge of INT64 comes as a decimal string (proto3 JSON).
                    std::optional<double> v = jsonf::Num(jsonf::At(point, "/value/doubleValue"));
                    if (!v) {
                        const json& i = jsonf::At(point, "/value/int64Value");
                        if (i.is_string())
                            v = std::atof(i.get<std::string>().c_str());
                        else
                            v = jsonf::Num(i);
                    }
                    if (!t || !v || !std::isfinite(*v) || *v < 0)
                        return MakeError(ErrorCode::kUnavailable, what + ": unreadable point " + point.dump());
                    into[*t - 60] += *v;  // the minute's start, as the other sources label it
                }
            }
            page_token = jsonf::Str(body, "nextPageToken");
            if (page_token.empty()) break;
        }
        return Status::Ok();
    };
    std::map<UnixSeconds, double> requests, instances;
    if (Status s = read("run.googleapis.com/request_count", "ALIGN_RATE", requests); !s) return s.error();
    if (Status s = read("run.googleapis.com/container/instance_count", "ALIGN_MAX", instances); !s) return s.error();
    std::vector<MetricReading> readings;
    for (const auto& [t, rate] : requests) readings.push_back({resource.load_metric, {t, rate}});
    for (const auto& [t, count] : instances) readings.push_back({"instance_count", {t, count}});
    if (!requests.empty()) window_.Seen(resource.id, requests.rbegin()->first, 60);
    return readings;
}

}  // namespace cloudopt::providers
