#pragma once
// Decoding of a metrics push (POST /api/metrics): the whole batch is validated before anything is stored, and
// every error names the item and field. Transport- and store-free, so it is fuzzed on its own
// (tests/fuzz/json_decoders_fuzzer.cpp).

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/ingest_limits.hpp"
#include "core/error.hpp"
#include "store/store.hpp"

namespace cloudopt::api {

// Resolves a "resource" field's text (an id or a name) to a resource id: kNotFound when there is none.
using ResourceLookup = std::function<Result<ResourceId>(const std::string& id_or_name)>;

// Accepts {"samples":[{"resource","metric","ts","value"},...]} and/or
// {"series":[{"resource","metric","points":[[ts,value],...]},...]}; groups the samples by series. Every sample is
// checked against `limits` at the server's clock `now` (api/ingest_limits.hpp); the series limits are the
// caller's, who has the store.
Result<std::vector<SeriesSamples>> ParseMetricBatch(const nlohmann::json& body, const ResourceLookup& lookup,
                                                    const IngestLimits& limits, UnixSeconds now);

}  // namespace cloudopt::api
