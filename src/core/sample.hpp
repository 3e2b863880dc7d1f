#pragma once
// Samples, series keys and the pure downsampling / regularizing functions the store and models share.

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
    UnixSeconds end() const { return start + step * static_cast<UnixSeconds>(values.size()); }
};

// Puts sorted samples on a grid of `step` (bucket means) and fills empty buckets by linear interpolation
// between their neighbours, so models see no holes. Empty input gives an empty series.
RegularSeries Regularize(std::span<const Sample> sorted, UnixSeconds step);

}  // namespace cloudopt
