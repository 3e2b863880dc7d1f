#include "providers/gcp_mig.hpp"

#include <openssl/rand.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/timestamp.hpp"
#include "providers/fleet_load.hpp"
#include "providers/json_fields.hpp"

namespace cloudopt::providers {

namespace {

using nlohmann::json;

// RFC 1035 names as GCE uses them: lower-case letters, digits and '-'; projects may also contain ':' and '.'
// (domain-scoped projects).
bool GceName(const std::string& s, bool project = false) {
    return !s.empty() && s.size() <= 63 + (project ? 100 : 0) && std::all_of(s.begin(), s.end(), [&](char c) {
        return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' ||
               (project && (c == ':' || c == '.'));
    });
}

std::string Uuid4() {
    unsigned char b[16];
    RAND_bytes(b, sizeof b);
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    char out[37];
    std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
                  b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return out;
}

}  // namespace

Result<MigRef> ParseMigRef(const std::string& ref) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= ref.size()) {
        const std::size_t at = std::min(ref.find('/', start), ref.size());
        parts.push_back(ref.substr(start, at - start));
        start = at + 1;
    }
    if (parts.size() != 4 || (parts[1] != "zones" && parts[1] != "regions") || !GceName(parts[0], true) ||
        !GceName(parts[2]) || !GceName(parts[3]))
        return MakeError(ErrorCode::kInvalidArgument,
                         "provider_ref '" + ref + "': use PROJECT/zones/ZONE/GROUP or PROJECT/regions/REGION/GROUP");
    return MigRef{parts[0], parts[1], parts[2], parts[3]};
}

GcpMigProvider::GcpMigProvider(std::shared_ptr<GcpClient> client, RequestId request_id)
    : client_(std::move(client)), request_id_(request_id ? std::move(request_id) : RequestId(Uuid4)) {}

Result<CapacityState> GcpMigProvider::Describe(const Resource& resource) {
    auto ref = ParseMigRef(resource.provider_ref);
    if (!ref) return ref.error();
    const std::string url = client_->options().compute_endpoint + "/compute/v1/" + ref->Path();
    auto response = client_->Request("GET", url);
    if (!response) return response.error();
    if (response->status != 200) return GcpClient::GoogleError(*response, "GET " + ref->Path());
    const json mig = jsonf::Parse(response->body);
    const auto target = jsonf::Int(mig, "targetSize");
    if (!target || *target < 0) return MakeError(ErrorCode::kUnavailable, "GET " + ref->Path() + ": the answer has no targetSize");
    CapacityState state;
    state.desired = *target;
    // currentActions.none counts the instances that are running with nothing pending (creating, recreating, ...).
    state.ready = jsonf::Int(jsonf::At(mig, "/currentActions/none")).value_or(0);
    state.instance_type = resource.instance_type;  // the machine type lives in the instance template
    return state;
}

Result<std::vector<OfferedInstanceType>> GcpMigProvider::ListInstanceTypes(const Resource& resource) {
    auto ref = ParseMigRef(resource.provider_ref);
    if (!ref) return ref.error();
    const std::string base = client_->options().compute_endpoint + "/compute/v1/projects/" + ref->project;
    std::string zone = ref->location;
    if (ref->scope == "regions") {
        auto region = client_->Request("GET", base + "/regions/" + ref->location);
        if (!region) return region.error();
        if (region->status != 200) return GcpClient::GoogleError(*region, "GET region " + ref->location);
        const json r = jsonf::Parse(region->body);
        const json& zones = jsonf::Arr(r, "zones");
        const std::string first = zones.empty() ? "" : jsonf::Str(zones[0]);  // a URL ending in /zones/NAME
        if (first.empty()) return MakeError(ErrorCode::kUnavailable, "GET region " + ref->location + ": the answer lists no zones");
        zone = first.substr(first.rfind('/') + 1);
    }
    std::vector<OfferedInstanceType> types;
    std::string page_token;
    for (int page = 0; page < 50; ++page) {
        auto response = client_->Request("GET", base + "/zones/" + zone + "/machineTypes?maxResults=500" +
                                                    (page_token.empty() ? "" : "&pageToken=" + PercentEncode(page_token)));
        if (!response) return response.error();
        if (response->status != 200) return GcpClient::GoogleError(*response, "GET machine types in " + zone);
        const json body = jsonf::Parse(response->body);
        if (!body.is_object()) return MakeError(ErrorCode::kUnavailable, "GET machine types in " + zone + ": the answer is not JSON");
        for (const json& m : jsonf::Arr(body, "items")) {
            const auto cpus = jsonf::Num(m, "guestCpus");
            const auto mb = jsonf::Num(m, "memoryMb");
            if (cpus && mb && !jsonf::Str(m, "name").empty()) types.push_back({jsonf::Str(m, "name"), *cpus, *mb / 1024.0});
        }
        page_token = jsonf::Str(body, "nextPageToken");
        if (page_token.empty()) break;
    }
    return types;
}

Status GcpMigProvider::SetDesiredCapacity(const Resource& resource, int desired) {
    auto ref = ParseMigRef(resource.provider_ref);
    if (!ref) return ref.error();
    if (desired < 0) return MakeError(ErrorCode::kInvalidArgument, "size cannot be negative");
    // One requestId for all the HTTP attempts of this resize: Compute Engine ignores a repeat it has already done.
    const std::string url = client_->options().compute_endpoint + "/compute/v1/" + ref->Path() +
                            "/resize?size=" + std::to_string(desired) + "&requestId=" + request_id_();
    auto response = client_->Request("POST", url);
    if (!response) return response.error();
    if (response->status != 200) return GcpClient::GoogleError(*response, "resize " + ref->Path());
    const json operation = jsonf::Parse(response->body);
    if (jsonf::Field(operation, "error").is_object()) {
        std::string message = "resize " + ref->Path() + " failed";
        for (const json& e : jsonf::Arr(jsonf::Field(operation, "error"), "errors"))
            message += ": " + jsonf::Str(e, "code") + " " + jsonf::Str(e, "message");
        return MakeError(ErrorCode::kUnavailable, message);
    }
    return Status::Ok();
}

Result<std::vector<MetricReading>> GcpMonitoringSource::Collect(const Resource& resource, UnixSeconds now) {
    auto ref = ParseMigRef(resource.provider_ref);
    if (!ref) return ref.error();
    const UnixSeconds end = now / 60 * 60;
    const UnixSeconds start = window_.Start(resource.id, end);
    if (start >= end) return std::vector<MetricReading>{};
    const std::string filter = "metric.type = \"compute.googleapis.com/instance/cpu/utilization\" AND "
                               "resource.type = \"gce_instance\" AND "
                               "metadata.system_labels.\"instance_group\" = \"" + ref->name + "\"";
    const std::string base = client_->options().monitoring_endpoint + "/v3/projects/" + ref->project +
                             "/timeSeries?filter=" + PercentEncode(filter) +
                             "&interval.startTime=" + PercentEncode(FormatRfc3339(start)) +
                             "&interval.endTime=" + PercentEncode(FormatRfc3339(end)) +
                             "&aggregation.alignmentPeriod=60s&aggregation.perSeriesAligner=ALIGN_MEAN&pageSize=1000";
    const std::string what = "Cloud Monitoring CPU of " + ref->Path();
    FleetLoad fleet;
    std::string page_token;
    for (int page = 0; page < 50; ++page) {
        auto response = client_->Request("GET", base + (page_token.empty() ? "" : "&pageToken=" + PercentEncode(page_token)));
        if (!response) return response.error();
        if (response->status != 200) return GcpClient::GoogleError(*response, what);
        const json body = jsonf::Parse(response->body);
        if (!body.is_object()) return MakeError(ErrorCode::kUnavailable, what + ": the answer is not JSON");
        for (const json& series : jsonf::Arr(body, "timeSeries")) {
            for (const json& point : jsonf::Arr(series, "points")) {
                const auto t = ParseRfc3339(jsonf::Str(jsonf::At(point, "/interval/endTime")));
                const auto v = jsonf::Num(jsonf::At(point, "/value/doubleValue"));
                if (!t || !v || !std::isfinite(*v))
                    return MakeError(ErrorCode::kUnavailable, what + ": unreadable point " + point.dump());
                // ALIGN_MEAN labels each minute by its end; keep the minute's start, as the other sources do.
                fleet.Add(*t - 60, *v);
            }
        }
        page_token = jsonf::Str(body, "nextPageToken");
        if (page_token.empty()) break;
    }
    if (!fleet.empty()) window_.Seen(resource.id, fleet.last(), 60);
    return fleet.Readings(resource);
}

}  // namespace cloudopt::providers
