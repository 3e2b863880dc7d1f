#pragma once
// AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html),
// written on OpenSSL's SHA-256 and HMAC. Each step is a function of its own so that tests compare the canonical
// request, the string to sign and the Authorization header byte for byte with AWS's published test suite
// (tests/data/aws-sig-v4, checked in tests/providers/aws_sigv4_test.cpp), and the fuzzer feeds the canonicalizer.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace cloudopt::providers {

struct HttpRequestToSign {
    std::string method;  // GET, POST, ...
    std::string target;  // path with optional query, as sent: "/?Action=DescribeAutoScalingGroups&Version=2011-01-01"
    std::vector<std::pair<std::string, std::string>> headers;  // as sent, in order; all of them are signed
    std::string body;
};

struct AwsCredentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  // temporary credentials: sent and signed as X-Amz-Security-Token
};

struct SigV4Signature {
    std::string canonical_request;
    std::string string_to_sign;
    std::string signed_headers;  // "host;x-amz-date"
    std::string authorization;   // the Authorization header's value
};

// The canonical request: method, normalized and encoded path, sorted encoded query, canonical headers (lower-case
// names, trimmed values with runs of spaces collapsed, repeated headers joined by commas), signed header names,
// and the hex SHA-256 of the body.
std::string CanonicalRequest(const HttpRequestToSign& request, std::string* signed_headers = nullptr);

// Signs `request` for `region`/`service` at `amz_date` ("20150830T123600Z", the request's X-Amz-Date). A session
// token, when the credentials have one, is added to the request as X-Amz-Security-Token before signing.
SigV4Signature SignV4(HttpRequestToSign& request, const AwsCredentials& credentials, const std::string& region,
                      const std::string& service, const std::string& amz_date);

// The time as SigV4 writes it: "20150830T123600Z" (UTC).
std::string AmzDate(long long unix_seconds);

// Parses a raw HTTP/1.1 request in the test suite's format (request line, "Name:value" headers with folded
// continuation lines, a blank line, the body). kInvalidArgument for anything else.
Result<HttpRequestToSign> ParseRawRequest(std::string_view text);

// Lower-case hex of SHA-256 and of HMAC-SHA256 (raw bytes in, as SigV4's key derivation needs).
std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);

}  // namespace cloudopt::providers
