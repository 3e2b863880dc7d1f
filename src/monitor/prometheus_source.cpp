#include "monitor/prometheus_source.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "providers/json_fields.hpp"

namespace cloudopt::monitor {

namespace {

using nlohmann::json;
namespace jsonf = providers::jsonf;

// Prometheus's error envelope: {"status":"error","errorType":"bad_data","error":"parse error at char 5: ..."}.
std::string Explain(const json& body) {
    if (!body.is_object()) return "the answer is not JSON";
    std::string s = jsonf::Str(body, "errorType", "error");
    if (const std::string error = jsonf::Str(body, "error"); !error.empty()) s += ": " + error;
    return s;
}

}  // namespace

PrometheusSource::PrometheusSource(PrometheusOptions options)
    : options_(std::move(options)), http_(options_.http), window_(options_.backfill_seconds) {
    while (!options_.url.empty() && options_.url.back() == '/') options_.url.pop_back();
}

Result<std::map<UnixSeconds, double>> PrometheusSource::QueryRange(const std::string& promql, UnixSeconds start,
                                                                   UnixSeconds end) {
    // Prometheus refuses more than 11,000 points per series; long backfills go in slices.
    const UnixSeconds step = options_.step_seconds;
    const UnixSeconds slice = step * 10000;
    std::map<UnixSeconds, double> sum;
    for (UnixSeconds from = start; from <= end; from += slice + step) {
        const UnixSeconds to = std::min(end, from + slice);
        providers::OutboundRequest request;
        request.method = "POST";  // long expressions do not fit a URL; POST takes the same form
        request.url = options_.url + "/api/v1/query_range";
        request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
        if (!options_.bearer_token.empty()) request.headers.emplace_back("Authorization", "Bearer " + options_.bearer_token);
        const long timeout_s = std::max<long>(1, static_cast<long>(options_.http.timeout.count() / 1000) - 1);
        request.body = "query=" + providers::PercentEncode(promql) + "&start=" + std::to_string(from) + "&end=" +
                       std::to_string(to) + "&step=" + std::to_string(step) + "&timeout=" + std::to_string(timeout_s) + "s";
        auto response = http_.Send(std::move(request));
        if (!response) return MakeError(ErrorCode::kUnavailable, "Prometheus: " + response.error().message);
        const json body = jsonf::Parse(response->body);
        if (response->status != 200 || jsonf::Str(body, "status") != "success")
            return MakeError(ErrorCode::kUnavailable, "Prometheus query '" + promql + "' failed (HTTP " +
                                                          std::to_string(response->status) + "): " + Explain(body));
        const json& data = jsonf::Field(body, "data");
        const std::string type = jsonf::Str(data, "resultType");
        if (type != "matrix")
            return MakeError(ErrorCode::kUnavailable, "Prometheus query '" + promql + "' gave a " + type +
                                                          ", not a range of values (matrix)");
        for (const json& series : jsonf::Arr(data, "result")) {
            for (const json& point : jsonf::Arr(series, "values")) {
                if (!point.is_array() || point.size() != 2 || !point[0].is_number() || !point[1].is_string())
                    return MakeError(ErrorCode::kUnavailable, "Prometheus: a malformed point " + point.dump());
                const std::string text = point[1].get<std::string>();
                char* parsed_end = nullptr;
                const double v = std::strtod(text.c_str(), &parsed_end);
                if (parsed_end == text.c_str() || *parsed_end != '\0')
                    return MakeError(ErrorCode::kUnavailable, "Prometheus: a value that is not a number: " + point.dump());
                if (!std::isfinite(v)) continue;  // NaN (no data, stale) and ±Inf carry no load
                sum[static_cast<UnixSeconds>(std::llround(point[0].get<double>()))] += v;
            }
        }
    }
    return sum;
}

Status PrometheusSource::Check(const Resource& resource) {
    if (resource.load_query.empty()) return Status::Ok();
    const UnixSeconds now = std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch()).count();
    auto points = QueryRange(resource.load_query, now - 300, now);
    if (!points) return MakeError(ErrorCode::kUnprocessable, "load_query: " + points.error().message);
    return Status::Ok();
}

Result<std::vector<MetricReading>> PrometheusSource::Collect(const Resource& resource, UnixSeconds now) {
    if (resource.load_query.empty())
        return MakeError(ErrorCode::kInvalidArgument, "resource '" + resource.name + "' has no load_query (PromQL)");
    const UnixSeconds end = now / options_.step_seconds * options_.step_seconds;
    const UnixSeconds start = window_.Start(resource.id, end);
    if (start > end) return std::vector<MetricReading>{};
    auto points = QueryRange(resource.load_query, start, end);
    if (!points) return points.error();
    std::vector<MetricReading> readings;
    readings.reserve(points->size());
    for (const auto& [t, v] : *points) readings.push_back({resource.load_metric, {t, v}});
    if (!points->empty()) window_.Seen(resource.id, points->rbegin()->first, options_.step_seconds);
    return readings;
}

}  // namespace cloudopt::monitor
