// The JSON request decoders: a metrics push and a resource body, from arbitrary bytes. Errors are fine; crashes,
// sanitizer reports and exceptions escaping are not.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "api/json_io.hpp"
#include "api/metric_batch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using nlohmann::json;
    // Through the service's own body parser, which bounds the nesting before anything recursive runs.
    cloudopt::api::HttpRequest request;
    request.content_type = "application/json";
    request.body.assign(reinterpret_cast<const char*>(data), size);
    auto parsed = cloudopt::api::ParseJsonBody(request, /*require_object=*/false);
    if (!parsed) return 0;
    const json& body = *parsed;
    (void)body.dump(-1, ' ', false, json::error_handler_t::replace);  // the service echoes and stores what it read
    const cloudopt::api::ResourceLookup lookup = [](const std::string& key) -> cloudopt::Result<cloudopt::ResourceId> {
        if (key == "web" || key == "1") return cloudopt::ResourceId{1};
        return cloudopt::MakeError(cloudopt::ErrorCode::kNotFound, "no resource " + key);
    };
    if (body.is_object()) {
        cloudopt::api::IngestLimits limits;
        limits.max_samples = 1000;
        auto batch = cloudopt::api::ParseMetricBatch(body, lookup, limits, 1700000000);
        if (batch) {
            for (const auto& series : *batch)
                if (series.samples.empty()) __builtin_trap();  // a decoded series always has samples
        }
        cloudopt::Resource base;
        (void)cloudopt::api::ResourceFromJson(body, base);
    }
    return 0;
}
