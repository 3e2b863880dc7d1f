#include "providers/aws_sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace cloudopt::providers {

namespace {

std::string Hex(const unsigned char* bytes, std::size_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        out += kDigits[bytes[i] >> 4];
        out += kDigits[bytes[i] & 15];
    }
    return out;
}

bool Unreserved(unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~'; }

// RFC 3986 encoding with upper-case hex; '/' kept when `keep_slash`.
std::string UriEncode(std::string_view in, bool keep_slash) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : in) {
        if (Unreserved(c) || (keep_slash && c == '/')) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kDigits[c >> 4];
            out += kDigits[c & 15];
        }
    }
    return out;
}

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decoding; a malformed escape is kept as it is (it is then encoded as text).
std::string UriDecode(std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '%' && i + 2 < in.size()) {
            const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += in[i];
    }
    return out;
}

// Removes "." and ".." segments and empty segments (RFC 3986 5.2.4 plus collapsing "//"), keeping a trailing
// slash, as AWS normalizes paths for every service but S3.
std::string NormalizePath(std::string_view path) {
    std::vector<std::string_view> segments;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t slash = std::min(path.find('/', start), path.size());
        const std::string_view seg = path.substr(start, slash - start);
        if (seg == "..") {
            if (!segments.empty()) segments.pop_back();
        } else if (!seg.empty() && seg != ".") {
            segments.push_back(seg);
        }
        start = slash + 1;
    }
    std::string out = "/";
    for (std::size_t i = 0; i < segments.size(); ++i) {
        out += segments[i];
        if (i + 1 < segments.size()) out += '/';
    }
    const bool trailing = !path.empty() && path.back() == '/';
    const bool dot_end = path.ends_with("/.") || path.ends_with("/..") || path == "." || path == "..";
    if ((trailing || dot_end) && !segments.empty()) out += '/';
    return out;
}

std::string CanonicalQuery(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> params;
    std::size_t start = 0;
    while (start < query.size()) {
        const std::size_t amp = std::min(query.find('&', start), query.size());
        const std::string_view item = query.substr(start, amp - start);
        if (!item.empty()) {
            const std::size_t eq = item.find('=');
            const std::string_view key = item.substr(0, eq);
            const std::string_view value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
            params.emplace_back(UriEncode(UriDecode(key), false), UriEncode(UriDecode(value), false));
        }
        start = amp + 1;
    }
    std::sort(params.begin(), params.end());
    std::string out;
    for (const auto& [k, v] : params) out += (out.empty() ? "" : "&") + k + "=" + v;
    return out;
}

// Trims and collapses runs of whitespace to one space (folded continuation lines arrive joined by '\n').
std::string CanonicalValue(std::string_view value) {
    std::string out;
    bool space = false;
    for (char c : value) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string HmacRaw(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
    return Hex(digest, sizeof digest);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
    const std::string raw = HmacRaw(key, data);
    return Hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string CanonicalRequest(const HttpRequestToSign& request, std::string* signed_headers) {
    const std::size_t q = request.target.find('?');
    const std::string_view path = std::string_view(request.target).substr(0, q);
    const std::string_view query = q == std::string::npos ? std::string_view() : std::string_view(request.target).substr(q + 1);

    // Headers by lower-case name, repeated ones joined by commas in the order sent.
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& [name, value] : request.headers) {
        const std::string key = Lower(CanonicalValue(name));
        const std::string v = CanonicalValue(value);
        auto it = std::find_if(headers.begin(), headers.end(), [&](const auto& h) { return h.first == key; });
        if (it == headers.end())
            headers.emplace_back(key, v);
        else
            it->second += "," + v;
    }
    std::sort(headers.begin(), headers.end());
    std::string canonical_headers, names;
    for (const auto& [name, value] : headers) {
        canonical_headers += name + ":" + value + "\n";
        names += (names.empty() ? "" : ";") + name;
    }
    if (signed_headers) *signed_headers = names;
    return request.method + "\n" + UriEncode(NormalizePath(path), true) + "\n" + CanonicalQuery(query) + "\n" +
           canonical_headers + "\n" + names + "\n" + Sha256Hex(request.body);
}

SigV4Signature SignV4(HttpRequestToSign& request, const AwsCredentials& credentials, const std::string& region,
                      const std::string& service, const std::string& amz_date) {
    if (!credentials.session_token.empty()) request.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
    SigV4Signature sig;
    sig.canonical_request = CanonicalRequest(request, &sig.signed_headers);
    const std::string date = amz_date.substr(0, 8);
    const std::string scope = date + "/" + region + "/" + service + "/aws4_request";
    sig.string_to_sign = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + Sha256Hex(sig.canonical_request);
    const std::string k_date = HmacRaw("AWS4" + credentials.secret_access_key, date);
    const std::string k_region = HmacRaw(k_date, region);
    const std::string k_service = HmacRaw(k_region, service);
    const std::string k_signing = HmacRaw(k_service, "aws4_request");
    sig.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
                        ", SignedHeaders=" + sig.signed_headers + ", Signature=" + HmacSha256(k_signing, sig.string_to_sign);
    return sig;
}

std::string AmzDate(long long unix_seconds) {
    const std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char buf[17];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &utc);
    return buf;
}

Result<HttpRequestToSign> ParseRawRequest(std::string_view text) {
    HttpRequestToSign r;
    const std::size_t line_end = std::min(text.find('\n'), text.size());
    const std::string_view request_line = text.substr(0, line_end);
    const std::size_t sp1 = request_line.find(' ');
    const std::size_t sp2 = request_line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1 || request_line.substr(sp2 + 1).rfind("HTTP/", 0) != 0)
        return MakeError(ErrorCode::kInvalidArgument, "request line must be 'METHOD TARGET HTTP/1.1'");
    r.method = std::string(request_line.substr(0, sp1));
    r.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
    std::size_t pos = line_end + 1;
    while (pos < text.size()) {
        const std::size_t end = std::min(text.find('\n', pos), text.size());
        const std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.empty()) {
            if (pos <= text.size()) r.body = std::string(text.substr(std::min(pos, text.size())));
            break;
        }
        if (line.front() == ' ' || line.front() == '\t') {
            if (r.headers.empty()) return MakeError(ErrorCode::kInvalidArgument, "continuation line before any header");
            r.headers.back().second += "\n" + std::string(line);
            continue;
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
            return MakeError(ErrorCode::kInvalidArgument, "header line without 'Name:value'");
        r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
    }
    return r;
}

}  // namespace cloudopt::providers
