#pragma once
// A resource's load read from Prometheus with its PromQL expression (Resource::load_query), through the HTTP
// API's range query (GET /api/v1/query_range). Values arrive as strings so NaN and ±Inf survive; those points are
// skipped. A query that returns several series is summed per timestamp (sum() in the query says the same thing
// more clearly). The first call backfills `backfill_seconds`; later ones continue after the last point seen.

#include <map>
#include <string>

#include "core/provider.hpp"
#include "providers/collect_window.hpp"
#include "providers/http_client.hpp"

namespace cloudopt::monitor {

struct PrometheusOptions {
    std::string url = "http://localhost:9090";  // the server's base URL (a path prefix is kept: http://h/prometheus)
    UnixSeconds step_seconds = 60;
    UnixSeconds backfill_seconds = 8 * 86400;
    std::string bearer_token;                   // sent as Authorization: Bearer when set
    providers::HttpClientOptions http;
};

class PrometheusSource final : public MetricSource {
public:
    explicit PrometheusSource(PrometheusOptions options);
    // Readings of resource.load_metric from resource.load_query; kInvalidArgument when the resource has no query,
    // kUnavailable naming Prometheus's errorType and error when the query fails or times out.
    Result<std::vector<MetricReading>> Collect(const Resource& resource, UnixSeconds now) override;
    // Evaluates the resource's query over the last five minutes: a typo or an unreachable server shows at once.
    Status Check(const Resource& resource) override;

    // The query as Prometheus evaluates it, whatever the resource: for checking an expression before saving it.
    Result<std::map<UnixSeconds, double>> QueryRange(const std::string& promql, UnixSeconds start, UnixSeconds end);

    providers::HttpClient& http() { return http_; }

private:
    PrometheusOptions options_;
    providers::HttpClient http_;
    providers::CollectWindow window_;
};

}  // namespace cloudopt::monitor
