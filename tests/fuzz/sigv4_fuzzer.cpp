// The SigV4 canonicalizer: a raw request parsed and canonicalized (paths with dot segments, percent escapes,
// folded headers, repeated parameters), then signed.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "providers/aws_sigv4.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto request = cloudopt::providers::ParseRawRequest(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!request) return 0;
    const std::string canonical = cloudopt::providers::CanonicalRequest(*request);
    // The canonical path always starts at the root: no input may escape it with dot segments.
    if (canonical.find("\n/") == std::string::npos) __builtin_trap();
    cloudopt::providers::AwsCredentials credentials{"AKID", "secret", ""};
    (void)cloudopt::providers::SignV4(*request, credentials, "us-east-1", "autoscaling", "20150830T123600Z");
    return 0;
}
