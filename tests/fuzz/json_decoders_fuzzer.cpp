// The JSON request decoders: a metrics push and a resource body, from arbitrary bytes. Errors are fine; crashes,
// sanitizer reports and exceptions escaping are not.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "api/json_io.hpp"
#include "api/metric_batch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using nlohmann::json;
    const json body = json::parse(data, data + size, nullptr, false);
    if (body.is_discarded()) return 0;
    const cloudopt::api::ResourceLookup lookup = [](const std::string& key) -> cloudopt::Result<cloudopt::ResourceId> {
        if (key == "web" || key == "1") return cloudopt::ResourceId{1};
        return cloudopt::MakeError(cloudopt::ErrorCode::kNotFound, "no resource " + key);
    };
    if (body.is_object()) {
        auto batch = cloudopt::api::ParseMetricBatch(body, lookup, 1000);
        if (batch) {
            for (const auto& series : *batch)
                if (series.samples.empty()) __builtin_trap();  // a decoded series always has samples
        }
        cloudopt::Resource base;
        (void)cloudopt::api::ResourceFromJson(body, base);
    }
    return 0;
}
