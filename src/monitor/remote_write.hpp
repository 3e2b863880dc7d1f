#pragma once
// Decoding Prometheus remote write 1.0: a Snappy block-compressed protobuf WriteRequest. Validated as the
// specification says: label names well-formed, sorted and unique, __name__ present, samples in time order. Stale
// markers (a NaN with Prometheus's stale bit pattern) and other NaNs are dropped: they are not load.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/sample.hpp"

namespace cloudopt::monitor {

struct RemoteWriteSeries {
    std::map<std::string, std::string> labels;  // including __name__
    std::vector<Sample> samples;                // seconds (the milliseconds truncated), finite values only
};

struct RemoteWriteLimits {
    std::size_t max_uncompressed_bytes = 64 << 20;  // a decompression bomb stops here
    std::size_t max_samples = 1000000;
};

// kInvalidArgument (HTTP 400: the sender must not retry) saying what is wrong.
Result<std::vector<RemoteWriteSeries>> DecodeRemoteWrite(std::string_view snappy_body, const RemoteWriteLimits& limits = {});

// For tests and tools: the wire form of `series` (labels sorted as given by the map), Snappy-compressed.
std::string EncodeRemoteWrite(const std::vector<RemoteWriteSeries>& series, const std::vector<std::int64_t>& timestamps_ms = {});

}  // namespace cloudopt::monitor
