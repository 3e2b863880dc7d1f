#pragma once
// The measurement that describes "now": the newest sample of a series within [now - max_age, now]. A sample
// dated after now (a sender's clock ahead, or a mistaken timestamp already stored) is never "current": taken as
// the latest, one sample dated 2099 would stay the resource's load for good.

#include <optional>

#include "core/sample.hpp"
#include "store/store.hpp"

namespace cloudopt {

// nullopt when there is no such sample or the store fails (the caller treats either as "no fresh measurement").
inline std::optional<Sample> FreshSample(Store& store, const SeriesKey& key, UnixSeconds now, UnixSeconds max_age) {
    auto samples = store.QuerySamples(key, now - max_age, now + 1);
    if (!samples || samples->empty()) return std::nullopt;
    return samples->back();
}

}  // namespace cloudopt
