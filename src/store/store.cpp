#include "store/store.hpp"

namespace cloudopt {

Result<std::vector<Sample>> Store::QueryDownsampled(const SeriesKey& key, UnixSeconds from, UnixSeconds to,
                                                    UnixSeconds step, Aggregation agg) {
    if (step <= 0) return MakeError(ErrorCode::kInvalidArgument, "step must be a positive number of seconds");
    // Align the window to whole buckets so a bucket is never half counted.
    auto raw = QuerySamples(key, FloorTo(from, step), to);
    if (!raw) return raw.error();
    return Downsample(*raw, step, agg);
}

}  // namespace cloudopt
