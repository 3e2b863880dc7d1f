#pragma once
// Samples, series keys and the pure downsampling / regularizing functions the store and models share.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/resource.hpp"
#include "core/time.hpp"

namespace cloudopt {

struct Sample {
    UnixSeconds ts = 0;
    double value = 0.0;
    bool operator==(const Sample&) const = default;
};

struct SeriesKey {
    ResourceId resource_id = 0;
    std::string metric;
    bool operator==(const SeriesKey&) const = default;
};

enum class Aggregation { kAvg, kMin, kMax, kP95 };
std::optional<Aggregation> ParseAggregation(std::string_view text);
const char* AggregationName(Aggregation agg);

// Groups samples (sorted by ts) into buckets [k*step, (k+1)*step) and aggregates each. Empty buckets are
// omitted, so a gap in the data stays visible as a gap. step must be > 0.
std::vector<Sample> Downsample(std::span<const Sample> sorted, UnixSeconds step, Aggregation agg);

// Nearest-rank quantile (q in [0,1]) of values; sorts a copy. Returns 0 for an empty input.
double Quantile(std::vector<double> values, double q);

// A series on a fixed grid: values[i] is the mean over [start + i*step, start + (i+1)*step).
struct RegularSeries {
    UnixSeconds start = 0;
    UnixSeconds step = 0;
    std::vector<double> values;
    // Empty when every bucket had samples; otherwise one flag per value, 1 where the bucket had none and the value
    // was filled in. Filled values feed models but are never scored as if they had been measured.
    std::vector<std::uint8_t> missing;
    UnixSeconds end() const { return start + step * static_cast<UnixSeconds>(values.size()); }
    UnixSeconds TimeOf(std::size_t i) const { return start + step * static_cast<UnixSeconds>(i); }
    bool IsMissing(std::size_t i) const { return i < missing.size() && missing[i] != 0; }
};

// Whether value i was measured, given a series' `missing` flags (RegularSeries::missing, or a view of them). Only
// measured values are scored: a filled value is not something a model could have been right or wrong about.
inline bool Measured(std::span<const std::uint8_t> missing, std::size_t i) {
    return i >= missing.size() || missing[i] == 0;
}

// Puts sorted samples on a grid of `step` (bucket means) and fills each empty bucket with the value before it,
// marking it missing, so models see no holes. Holding the last value, not interpolating, is what a live system
// knows during a gap: an interpolated gap would show a backtest the value that ends it before it arrives. Empty
// input gives an empty series.
RegularSeries Regularize(std::span<const Sample> sorted, UnixSeconds step);

}  // namespace cloudopt
