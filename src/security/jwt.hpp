#pragma once
// Short-lived access tokens: JWTs signed with HS256 through libjwt. Verification accepts only HS256 with one of
// our keys (chosen by the "kid" header), so "alg":"none" and algorithm confusion (an RS256 token "verified"
// with the HMAC key as a public key) are rejected before any claim is read. exp, nbf, iat, iss and aud are
// required and checked with a bounded clock skew.

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/identity.hpp"
#include "core/time.hpp"

namespace cloudopt::security {

struct AccessClaims {
    std::string subject;  // the user name
    std::int64_t user_id = 0;
    Role role = Role::kViewer;
    UnixSeconds issued_at = 0;
    UnixSeconds expires_at = 0;
    std::string token_id;  // jti
};

struct JwtOptions {
    std::string issuer = "cloudopt";
    std::string audience = "cloudopt-api";
    UnixSeconds lifetime = 15 * 60;
    UnixSeconds max_clock_skew = 60;
};

class JwtSigner {
public:
    // `current` signs; `previous` keys still verify (key rotation: tokens signed before the rotation stay valid
    // until they expire). Keys must be at least 32 bytes.
    JwtSigner(std::string current, std::vector<std::string> previous, JwtOptions options);

    Result<std::string> Issue(const User& user, UnixSeconds now) const;
    // kUnauthenticated with a message that says why (expired, bad signature, wrong audience, ...).
    Result<AccessClaims> Verify(const std::string& token, UnixSeconds now) const;

    const JwtOptions& options() const { return options_; }
    static std::string KeyId(const std::string& key);  // first 16 hex digits of SHA-256(key)

private:
    struct Key {
        std::string id;
        std::string bytes;
    };
    const Key* FindKey(const std::string& kid) const;
    std::vector<Key> keys_;  // keys_[0] signs
    JwtOptions options_;
};

}  // namespace cloudopt::security
