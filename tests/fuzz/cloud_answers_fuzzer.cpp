// What clouds and Prometheus send back, which cloudopt parses without trusting: remote-write bodies (as raw
// protobuf, compressed here so the parser is reached, and as Snappy bytes), AWS XML answers, RFC 3339 times,
// OAuth token answers, service-account keys, and /proc texts. The first byte picks the decoder.

#include <snappy.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/timestamp.hpp"
#include "monitor/host_source.hpp"
#include "monitor/remote_write.hpp"
#include "providers/gcp_auth.hpp"
#include "providers/oauth_token.hpp"
#include "providers/xml.hpp"

using namespace cloudopt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 7) {
        case 0: {
            std::string compressed;
            snappy::Compress(rest.data(), rest.size(), &compressed);
            auto series = monitor::DecodeRemoteWrite(compressed);
            if (series) {
                for (const auto& s : *series) {
                    if (!s.labels.count("__name__")) __builtin_trap();  // the decoder promised it
                }
            }
            break;
        }
        case 1: {
            monitor::RemoteWriteLimits limits;
            limits.max_uncompressed_bytes = 1 << 20;
            (void)monitor::DecodeRemoteWrite(rest, limits);
            break;
        }
        case 2: {
            auto doc = providers::XmlDocument::Parse(rest);
            if (doc) {
                for (const auto& m : doc->Root().Path({"DescribeAutoScalingGroupsResult", "AutoScalingGroups"}).Children("member"))
                    (void)m.ChildText("DesiredCapacity");
                (void)doc->Root().Child("Error").ChildText("Code");
            }
            break;
        }
        case 3: {
            auto t = ParseRfc3339(rest);
            if (t && *t >= 0 && *t < 253402300800LL && ParseRfc3339(FormatRfc3339(*t)) != t) __builtin_trap();
            break;
        }
        case 4: {
            providers::OutboundResponse r;
            r.status = rest.empty() ? 200 : 200 + (rest[0] & 0xff) % 300;
            r.body = rest;
            (void)providers::ParseTokenResponse(r, "fuzz");
            break;
        }
        case 5:
            (void)providers::ParseServiceAccountKey(rest);
            break;
        default:
            (void)monitor::ParseProcStat(rest);
            (void)monitor::ParseMemInfoUsedBytes(rest);
            break;
    }
    return 0;
}
