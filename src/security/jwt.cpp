#include "security/jwt.hpp"

#include <jwt.h>
#include <sodium.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "security/sodium_init.hpp"

namespace cloudopt::security {

namespace {

constexpr std::size_t kMaxTokenBytes = 4096;

struct JwtDeleter {
    void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

Error Rejected(const std::string& why) {
    return MakeError(ErrorCode::kUnauthenticated, "access token rejected: " + why);
}

std::optional<std::string> Base64UrlDecode(std::string_view in) {
    std::string out(in.size(), '\0');
    std::size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), in.data(), in.size(), nullptr,
                          &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return std::nullopt;
    out.resize(len);
    return out;
}

// Reads a required integer claim; libjwt reports a missing or non-integer grant through errno.
std::optional<long> IntClaim(jwt_t* jwt, const char* name) {
    errno = 0;
    const long v = jwt_get_grant_int(jwt, name);
    if (errno != 0) return std::nullopt;
    return v;
}

}  // namespace

JwtSigner::JwtSigner(std::string current, std::vector<std::string> previous, JwtOptions options)
    : options_(std::move(options)) {
    keys_.push_back({KeyId(current), std::move(current)});
    for (std::string& k : previous) keys_.push_back({KeyId(k), std::move(k)});
}

std::string JwtSigner::KeyId(const std::string& key) {
    EnsureSodium();
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, digest, 8);
    return hex;
}

const JwtSigner::Key* JwtSigner::FindKey(const std::string& kid) const {
    for (const Key& k : keys_)
        if (k.id == kid) return &k;
    return nullptr;
}

Result<std::string> JwtSigner::Issue(const User& user, UnixSeconds now) const {
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) return MakeError(ErrorCode::kInternal, "cannot create a token: out of memory");
    JwtPtr jwt(raw);
    const Key& key = keys_.front();
    int rc = jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(key.bytes.data()),
                         static_cast<int>(key.bytes.size()));
    rc |= jwt_add_header(jwt.get(), "kid", key.id.c_str());
    rc |= jwt_add_grant(jwt.get(), "iss", options_.issuer.c_str());
    rc |= jwt_add_grant(jwt.get(), "aud", options_.audience.c_str());
    rc |= jwt_add_grant(jwt.get(), "sub", user.name.c_str());
    rc |= jwt_add_grant(jwt.get(), "role", RoleName(user.role));
    rc |= jwt_add_grant_int(jwt.get(), "uid", static_cast<long>(user.id));
    rc |= jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(now));
    rc |= jwt_add_grant_int(jwt.get(), "nbf", static_cast<long>(now));
    rc |= jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(now + options_.lifetime));
    char jti[33];
    unsigned char raw_id[16];
    randombytes_buf(raw_id, sizeof raw_id);
    sodium_bin2hex(jti, sizeof jti, raw_id, sizeof raw_id);
    rc |= jwt_add_grant(jwt.get(), "jti", jti);
    if (rc != 0) return MakeError(ErrorCode::kInternal, "cannot build the access token");
    char* encoded = jwt_encode_str(jwt.get());
    if (!encoded) return MakeError(ErrorCode::kInternal, "cannot sign the access token");
    std::string out(encoded);
    free(encoded);  // libjwt allocates with malloc
    return out;
}

Result<AccessClaims> JwtSigner::Verify(const std::string& token, UnixSeconds now) const {
    if (token.empty() || token.size() > kMaxTokenBytes) return Rejected("malformed token");
    const std::size_t dot1 = token.find('.');
    const std::size_t dot2 = dot1 == std::string::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string::npos || token.find('.', dot2 + 1) != std::string::npos || dot2 + 1 == token.size())
        return Rejected("malformed token");

    // Read the header ourselves first, without trusting it: only HS256 under one of our key ids goes on.
    auto header_json = Base64UrlDecode(std::string_view(token).substr(0, dot1));
    if (!header_json) return Rejected("malformed header");
    const nlohmann::json header = nlohmann::json::parse(*header_json, nullptr, false);
    if (!header.is_object() || !header.contains("alg") || !header["alg"].is_string())
        return Rejected("malformed header");
    if (header["alg"] != "HS256") return Rejected("algorithm '" + header["alg"].get<std::string>() + "' is not accepted");
    if (!header.contains("kid") || !header["kid"].is_string()) return Rejected("no key id");
    const Key* key = FindKey(header["kid"].get<std::string>());
    if (!key) return Rejected("signed with an unknown key (rotated out?)");

    jwt_t* raw = nullptr;
    if (jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(key->bytes.data()),
                   static_cast<int>(key->bytes.size())) != 0 ||
        !raw)
        return Rejected("bad signature");
    JwtPtr jwt(raw);
    if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return Rejected("algorithm is not HS256");

    const char* iss = jwt_get_grant(jwt.get(), "iss");
    const char* aud = jwt_get_grant(jwt.get(), "aud");
    const char* sub = jwt_get_grant(jwt.get(), "sub");
    const char* role = jwt_get_grant(jwt.get(), "role");
    const char* jti = jwt_get_grant(jwt.get(), "jti");
    const auto exp = IntClaim(jwt.get(), "exp");
    const auto nbf = IntClaim(jwt.get(), "nbf");
    const auto iat = IntClaim(jwt.get(), "iat");
    const auto uid = IntClaim(jwt.get(), "uid");
    if (!iss || options_.issuer != iss) return Rejected("wrong issuer");
    if (!aud || options_.audience != aud) return Rejected("wrong audience");
    if (!exp || !nbf || !iat) return Rejected("exp, nbf and iat are required");
    const UnixSeconds skew = options_.max_clock_skew;
    if (now >= *exp + skew) return Rejected("expired; refresh it or log in again");
    if (now + skew < *nbf) return Rejected("not valid yet");
    if (now + skew < *iat) return Rejected("issued in the future");
    if (*exp - *iat > options_.lifetime) return Rejected("lifetime longer than this server issues");
    if (!sub || !role || !uid) return Rejected("sub, role and uid are required");
    auto parsed_role = ParseRole(role);
    if (!parsed_role) return Rejected("unknown role");

    AccessClaims claims;
    claims.subject = sub;
    claims.user_id = *uid;
    claims.role = *parsed_role;
    claims.issued_at = *iat;
    claims.expires_at = *exp;
    claims.token_id = jti ? jti : "";
    return claims;
}

}  // namespace cloudopt::security
