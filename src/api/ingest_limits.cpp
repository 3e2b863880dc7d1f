#include "api/ingest_limits.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace cloudopt::api {

namespace {

std::string Number(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", v);
    return text;
}

}  // namespace

Status CheckSample(const Sample& sample, const std::string& metric, const IngestLimits& limits, UnixSeconds now) {
    if (sample.ts < kMinSampleTs)
        return MakeError(ErrorCode::kUnprocessable,
                         ".ts: " + std::to_string(sample.ts) + " is before 2000: send unix seconds (not milliseconds)");
    if (sample.ts > now + limits.max_future_skew_s)
        return MakeError(ErrorCode::kUnprocessable,
                         ".ts: " + std::to_string(sample.ts) + " is " + std::to_string(sample.ts - now) +
                             " s ahead of the server's clock (" + std::to_string(now) + "); at most " +
                             std::to_string(limits.max_future_skew_s) +
                             " s ahead is accepted (ingest.max_future_skew_s): check the sender's clock and unit");
    if (!std::isfinite(sample.value)) return MakeError(ErrorCode::kUnprocessable, ".value: must be a finite number");
    const ValueRange& range = limits.RangeOf(metric);
    if (sample.value < range.min || sample.value > range.max)
        return MakeError(ErrorCode::kUnprocessable,
                         ".value: " + Number(sample.value) + " is outside the plausible range [" + Number(range.min) +
                             ", " + Number(range.max) + "] of '" + metric + "' (ingest.metric_ranges); check the unit");
    return Status::Ok();
}

Status CheckSeriesLimits(Store& store, std::span<const SeriesSamples> batch, const IngestLimits& limits) {
    std::map<ResourceId, std::set<std::string>> known;
    std::size_t added_total = 0;
    for (const SeriesSamples& s : batch) {
        auto [it, fresh] = known.try_emplace(s.key.resource_id);
        if (fresh) {
            auto metrics = store.ListMetrics(s.key.resource_id);
            if (!metrics) return metrics.error();
            it->second.insert(metrics->begin(), metrics->end());
        }
        if (it->second.insert(s.key.metric).second) {
            ++added_total;
            if (it->second.size() > limits.max_series_per_resource)
                return MakeError(ErrorCode::kUnprocessable,
                                 "resource " + std::to_string(s.key.resource_id) + " would have more than " +
                                     std::to_string(limits.max_series_per_resource) +
                                     " metrics (ingest.max_series_per_resource); '" + s.key.metric +
                                     "' is one too many: send fewer distinct metric names");
        }
    }
    if (added_total == 0) return Status::Ok();  // the common case: every series exists
    // Counted only when a batch brings new series, which is rare once a fleet is set up.
    auto resources = store.ListResources();
    if (!resources) return resources.error();
    std::size_t total = 0;
    for (const Resource& r : *resources) {
        auto metrics = store.ListMetrics(r.id);
        if (metrics) total += metrics->size();
    }
    if (total + added_total > limits.max_series_total)
        return MakeError(ErrorCode::kUnprocessable,
                         "the store would hold more than " + std::to_string(limits.max_series_total) +
                             " series (ingest.max_series_total); this batch adds " + std::to_string(added_total));
    return Status::Ok();
}

}  // namespace cloudopt::api
