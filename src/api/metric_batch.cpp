#include "api/metric_batch.hpp"

#include <cmath>
#include <map>
#include <set>

#include "api/json_io.hpp"

namespace cloudopt::api {

namespace {

Error Bad(const std::string& message) { return MakeError(ErrorCode::kUnprocessable, message); }

// Resolves a "resource" field (id or name), caching lookups within one request.
class ResourceResolver {
  public:
    explicit ResourceResolver(const ResourceLookup& lookup) : lookup_(lookup) {}
    Result<ResourceId> Resolve(const json& v, const std::string& where) {
        std::string key;
        if (v.is_number_integer())
            key = v.dump();
        else if (v.is_string())
            key = v.get<std::string>();
        else
            return Bad(where + ".resource: must be a resource id or name");
        if (auto it = cache_.find(key); it != cache_.end()) return it->second;
        auto r = lookup_(key);
        if (!r) {
            if (r.error().code == ErrorCode::kNotFound) return Bad(where + ".resource: " + r.error().message);
            return r.error();
        }
        cache_[key] = *r;
        return *r;
    }

  private:
    const ResourceLookup& lookup_;
    std::map<std::string, ResourceId> cache_;
};

// Errors start with the field (".ts: ..."); the caller puts the item's location in front.
Result<Sample> ParsePoint(const json& ts, const json& value, const std::string& metric, const IngestLimits& limits,
                          UnixSeconds now) {
    if (!ts.is_number_integer() || ts.get<long long>() < kMinSampleTs || ts.get<long long>() >= kMaxSampleTs)
        return Bad(".ts: must be integer unix seconds between 2000 and 2100");
    if (!value.is_number() || !std::isfinite(value.get<double>())) return Bad(".value: must be a finite number");
    const Sample sample{ts.get<UnixSeconds>(), value.get<double>()};
    if (Status s = CheckSample(sample, metric, limits, now); !s) return s.error();
    return sample;
}

}  // namespace

Result<std::vector<SeriesSamples>> ParseMetricBatch(const json& body, const ResourceLookup& lookup,
                                                    const IngestLimits& limits, UnixSeconds now) {
    const std::size_t max_samples = limits.max_samples;
    ResourceResolver resolver(lookup);
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
            auto point = ParsePoint(item.value("ts", json()), item.value("value", json()), *metric, limits, now);
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
                auto point = ParsePoint(p[0], p[1], *metric, limits, now);
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
    // A series sent with no points beside others that have some decodes to nothing: a series in the batch always
    // has samples (the store's writers rely on it).
    for (auto& [key, samples] : grouped)
        if (!samples.empty()) batch.push_back({{key.first, key.second}, std::move(samples)});
    return batch;
}

}  // namespace cloudopt::api
