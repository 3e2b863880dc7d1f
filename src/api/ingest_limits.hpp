#pragma once
// What ingest accepts, shared by POST /api/metrics and POST /api/v1/write: timestamps no further ahead of the
// server's clock than a small skew (a sample from the future would otherwise pass for the current load), values
// in a plausible range for their metric (1e300 cores is a unit or encoding error, and capacity arithmetic on it
// overflows), and a bounded number of series per resource and in all (one push token could otherwise create
// series without end, each costing memory in the store's caches).

#include <cstddef>
#include <map>
#include <span>
#include <string>

#include "core/error.hpp"
#include "core/sample.hpp"
#include "store/store.hpp"

namespace cloudopt::api {

// Timestamps outside [2000-01-01, 2100-01-01) are almost surely milliseconds or garbage.
inline constexpr long long kMinSampleTs = 946684800;
inline constexpr long long kMaxSampleTs = 4102444800;

struct ValueRange {
    double min = -1e12;
    double max = 1e12;
};

struct IngestLimits {
    std::size_t max_samples = 100000;                 // per request
    UnixSeconds max_future_skew_s = 300;              // how far ahead of the server's clock a sample may be dated
    ValueRange values;                                // any metric
    std::map<std::string, ValueRange> metric_ranges;  // a metric's own range, instead of `values`
    std::size_t max_series_per_resource = 1000;
    std::size_t max_series_total = 100000;

    const ValueRange& RangeOf(const std::string& metric) const {
        auto it = metric_ranges.find(metric);
        return it == metric_ranges.end() ? values : it->second;
    }
};

// Checks one sample's time and value against the limits; the error message starts with the field (".ts: ...",
// ".value: ..."), for the caller to put the item's location in front.
Status CheckSample(const Sample& sample, const std::string& metric, const IngestLimits& limits, UnixSeconds now);

// Refuses (kUnprocessable, naming the resource and the limit) a batch that would create more series than the
// limits allow; series that exist already never count against it.
Status CheckSeriesLimits(Store& store, std::span<const SeriesSamples> batch, const IngestLimits& limits);

}  // namespace cloudopt::api
