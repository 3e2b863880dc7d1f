// /api/metrics: batch ingest (validated whole, stored all or nothing) and downsampled queries.

#include <cmath>
#include <map>
#include <set>

#include "api/json_io.hpp"
#include "api/routes.hpp"

namespace cloudopt::api::detail {

namespace {

// Timestamps outside [2000-01-01, 2100-01-01) are almost surely milliseconds or garbage.
constexpr long long kMinTs = 946684800;
constexpr long long kMaxTs = 4102444800;
constexpr long long kMaxPoints = 100000;

Error Bad(const std::string& message) { return MakeError(ErrorCode::kUnprocessable, message); }

// Resolves a "resource" field (id or name), caching lookups within one request.
class ResourceResolver {
public:
    explicit ResourceResolver(Store& store) : store_(store) {}
    Result<ResourceId> Resolve(const json& v, const std::string& where) {
        std::string key;
        if (v.is_number_integer()) key = v.dump();
        else if (v.is_string()) key = v.get<std::string>();
        else return Bad(where + ".resource: must be a resource id or name");
        if (auto it = cache_.find(key); it != cache_.end()) return it->second;
        auto r = ResolveResource(store_, key);
        if (!r) {
            if (r.error().code == ErrorCode::kNotFound) return Bad(where + ".resource: " + r.error().message);
            return r.error();
        }
        cache_[key] = r->id;
        return r->id;
    }

private:
    Store& store_;
    std::map<std::string, ResourceId> cache_;
};

// Errors start with the field (".ts: ..."); the caller puts the item's location in front.
Result<Sample> ParsePoint(const json& ts, const json& value) {
    if (!ts.is_number_integer() || ts.get<long long>() < kMinTs || ts.get<long long>() >= kMaxTs)
        return Bad(".ts: must be integer unix seconds between 2000 and 2100");
    if (!value.is_number() || !std::isfinite(value.get<double>())) return Bad(".value: must be a finite number");
    return Sample{ts.get<UnixSeconds>(), value.get<double>()};
}

// Accepts {"samples":[{"resource","metric","ts","value"},...]} and/or
// {"series":[{"resource","metric","points":[[ts,value],...]},...]}.
Result<std::vector<SeriesSamples>> ParseBatch(const json& body, ResourceResolver& resolver, std::size_t max_samples) {
    if (Status s = CheckKnownFields(body, {"samples", "series"}, "metrics batch"); !s) return s.error();
    std::map<std::pair<ResourceId, std::string>, std::vector<Sample>> grouped;
    std::size_t total = 0;
    auto metric_of = [](const json& item, const std::string& where) -> Result<std::string> {
        if (!item.contains("metric") || !item["metric"].is_string() ||
            !IsValidMetricName(item["metric"].get<std::string>()))
            return Bad(where + ".metric: must be a metric name matching [a-zA-Z_:][a-zA-Z0-9_:.]*");
        return item["metric"].get<std::string>();
    };
    if (body.contains("samples")) {
        if (!body["samples"].is_array()) return Bad("samples: must be an array");
        std::size_t i = 0;
        for (const json& item : body["samples"]) {
            const std::string where = "samples[" + std::to_string(i++) + "]";
            if (!item.is_object()) return Bad(where + ": must be an object");
            static const std::set<std::string> kSampleFields = {"resource", "metric", "ts", "value"};
            if (Status s = CheckKnownFields(item, kSampleFields, where); !s) return s.error();
            auto id = resolver.Resolve(item.contains("resource") ? item["resource"] : json(), where);
            if (!id) return id.error();
            auto metric = metric_of(item, where);
            if (!metric) return metric.error();
            auto point = ParsePoint(item.value("ts", json()), item.value("value", json()));
            if (!point) return Bad(where + point.error().message);
            grouped[{*id, *metric}].push_back(*point);
            if (++total > max_samples) break;
        }
    }
    if (body.contains("series")) {
        if (!body["series"].is_array()) return Bad("series: must be an array");
        std::size_t i = 0;
        for (const json& item : body["series"]) {
            const std::string where = "series[" + std::to_string(i++) + "]";
            if (!item.is_object()) return Bad(where + ": must be an object");
            static const std::set<std::string> kSeriesFields = {"resource", "metric", "points"};
            if (Status s = CheckKnownFields(item, kSeriesFields, where); !s) return s.error();
            auto id = resolver.Resolve(item.contains("resource") ? item["resource"] : json(), where);
            if (!id) return id.error();
            auto metric = metric_of(item, where);
            if (!metric) return metric.error();
            if (!item.contains("points") || !item["points"].is_array())
                return Bad(where + ".points: must be an array of [ts, value] pairs");
            auto& out = grouped[{*id, *metric}];
            std::size_t j = 0;
            for (const json& p : item["points"]) {
                // The location is spelled out only on error: this loop runs for every ingested sample.
                auto where_point = [&] { return where + ".points[" + std::to_string(j) + "]"; };
                if (!p.is_array() || p.size() != 2) return Bad(where_point() + ": must be a [ts, value] pair");
                auto point = ParsePoint(p[0], p[1]);
                if (!point) return Bad(where_point() + point.error().message);
                ++j;
                out.push_back(*point);
                if (++total > max_samples) break;
            }
        }
    }
    if (total > max_samples)
        return MakeError(ErrorCode::kPayloadTooLarge,
                         "at most " + std::to_string(max_samples) + " samples per request; split the batch");
    if (total == 0) return Bad("the batch has no samples: send 'samples' or 'series'");
    std::vector<SeriesSamples> batch;
    for (auto& [key, samples] : grouped) batch.push_back({{key.first, key.second}, std::move(samples)});
    return batch;
}

}  // namespace

void AddMetricRoutes(Router& router, ApiContext& ctx) {
    Counter& ingested =
        ctx.metrics.GetCounter("cloudopt_samples_ingested_total", "Samples accepted by POST /api/metrics");
    router.Add("POST", "/api/metrics", [&ctx, &ingested](const HttpRequest& req) {
        auto body = ParseJsonBody(req);
        if (!body) return ErrorResponse(body.error());
        ResourceResolver resolver(ctx.store);
        auto batch = ParseBatch(*body, resolver, ctx.max_samples_per_request);
        if (!batch) return ErrorResponse(batch.error());
        // The response is sent only after the transaction committed: an acknowledged sample is durable.
        if (Status s = ctx.store.AppendSamples(*batch); !s) return ErrorResponse(s.error());
        std::size_t count = 0;
        for (const SeriesSamples& s : *batch) count += s.samples.size();
        ingested.Inc(static_cast<double>(count));
        return JsonResponse(200, {{"accepted", count}, {"series", batch->size()}});
    });

    router.Add("GET", "/api/metrics", [&ctx](const HttpRequest& req) {
        auto resource = ResolveResource(ctx.store, req.Query("resource").value_or(""));
        if (!resource) return ErrorResponse(resource.error());
        const std::string metric = req.Query("metric").value_or(resource->load_metric);
        if (!IsValidMetricName(metric))
            return ErrorResponse(MakeError(ErrorCode::kInvalidArgument, "metric: not a valid metric name"));
        const UnixSeconds now = ctx.clock.Now();
        auto from = IntParam(req, "from", 0, kMaxTs);
        auto to = IntParam(req, "to", 0, kMaxTs);
        auto step = IntParam(req, "step", 1, 366LL * 86400);
        if (!from) return ErrorResponse(from.error());
        if (!to) return ErrorResponse(to.error());
        if (!step) return ErrorResponse(step.error());
        const UnixSeconds t_to = to->value_or(now + 1);
        const UnixSeconds t_from = from->value_or(t_to - 3600);
        if (t_from >= t_to) return ErrorResponse(MakeError(ErrorCode::kInvalidArgument, "from: must be before to"));
        const std::string agg_name = req.Query("agg").value_or("avg");
        auto agg = ParseAggregation(agg_name);
        if (!agg) return ErrorResponse(MakeError(ErrorCode::kInvalidArgument, "agg: one of avg, min, max, p95"));
        const SeriesKey key{resource->id, metric};
        Result<std::vector<Sample>> points =
            *step ? ctx.store.QueryDownsampled(key, t_from, t_to, **step, *agg) : ctx.store.QuerySamples(key, t_from, t_to);
        if (!points) return ErrorResponse(points.error());
        if (!*step && static_cast<long long>(points->size()) > kMaxPoints)
            return ErrorResponse(MakeError(ErrorCode::kUnprocessable,
                                           "more than 100000 raw points in range; pass step= to downsample"));
        JsonWriter w;
        w.BeginObject();
        w.Key("resource").Int(resource->id);
        w.Key("metric").String(metric);
        w.Key("from").Int(t_from);
        w.Key("to").Int(t_to);
        w.Key("agg").String(agg_name);
        w.Key("step");
        if (*step)
            w.Int(**step);
        else
            w.Null();
        w.Key("points");
        WriteSamples(w, *points);
        w.EndObject();
        HttpResponse response;
        response.body = w.Take();
        return response;
    });
}

}  // namespace cloudopt::api::detail
