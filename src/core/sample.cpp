#include "core/sample.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace cloudopt {

std::optional<Aggregation> ParseAggregation(std::string_view text) {
    if (text == "avg") return Aggregation::kAvg;
    if (text == "min") return Aggregation::kMin;
    if (text == "max") return Aggregation::kMax;
    if (text == "p95") return Aggregation::kP95;
    return std::nullopt;
}

const char* AggregationName(Aggregation agg) {
    switch (agg) {
        case Aggregation::kAvg: return "avg";
        case Aggregation::kMin: return "min";
        case Aggregation::kMax: return "max";
        case Aggregation::kP95: return "p95";
    }
    return "avg";
}

double Quantile(std::vector<double> values, double q) {
    if (values.empty()) return 0.0;
    q = std::clamp(q, 0.0, 1.0);
    // Nearest rank: the smallest value with at least q of the data at or under it.
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    if (rank > 0) --rank;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(rank), values.end());
    return values[rank];
}

std::vector<Sample> Downsample(std::span<const Sample> sorted, UnixSeconds step, Aggregation agg) {
    assert(step > 0);
    std::vector<Sample> out;
    if (sorted.empty()) return out;
    // Input is sorted, so a bucket ends where the timestamp passes bucket_end: one division per bucket, not per
    // sample. avg/min/max fold as they go; only p95 needs the bucket's values in hand.
    std::vector<double> values;
    UnixSeconds bucket_ts = FloorTo(sorted.front().ts, step);
    UnixSeconds bucket_end = bucket_ts + step;
    double sum = 0.0, lo = sorted.front().value, hi = lo;
    std::size_t count = 0;
    auto flush = [&]() {
        double v = 0.0;
        switch (agg) {
            case Aggregation::kAvg: v = sum / static_cast<double>(count); break;
            case Aggregation::kMin: v = lo; break;
            case Aggregation::kMax: v = hi; break;
            case Aggregation::kP95: v = Quantile(values, 0.95); break;
        }
        out.push_back({bucket_ts, v});
    };
    for (const Sample& s : sorted) {
        if (s.ts >= bucket_end) {
            flush();
            bucket_ts = FloorTo(s.ts, step);
            bucket_end = bucket_ts + step;
            sum = 0.0;
            count = 0;
            lo = hi = s.value;
            values.clear();
        }
        sum += s.value;
        ++count;
        lo = std::min(lo, s.value);
        hi = std::max(hi, s.value);
        if (agg == Aggregation::kP95) values.push_back(s.value);
    }
    flush();
    return out;
}

RegularSeries Regularize(std::span<const Sample> sorted, UnixSeconds step) {
    assert(step > 0);
    RegularSeries series;
    series.step = step;
    if (sorted.empty()) return series;
    const std::vector<Sample> means = Downsample(sorted, step, Aggregation::kAvg);
    series.start = means.front().ts;
    const auto count = static_cast<std::size_t>((means.back().ts - series.start) / step + 1);
    series.values.assign(count, std::numeric_limits<double>::quiet_NaN());
    for (const Sample& m : means) series.values[static_cast<std::size_t>((m.ts - series.start) / step)] = m.value;
    // Hold the last known value through each gap; the first bucket is known by construction.
    for (std::size_t i = 1; i < count; ++i) {
        if (!std::isnan(series.values[i])) continue;
        if (series.missing.empty()) series.missing.assign(count, 0);
        series.missing[i] = 1;
        series.values[i] = series.values[i - 1];
    }
    return series;
}

}  // namespace cloudopt
