#pragma once
// Opaque bearer tokens (refresh tokens, machine API tokens): 32 random bytes, base64url, with a prefix that says
// what they are ("cort_" refresh, "coat_" API), so a leaked one is recognisable in logs and secret scanners.
// The store keeps only their SHA-256, so a copy of the database does not grant access. Tokens are looked up by
// that hash, so lookup timing can reveal at most a prefix of a hash, never of a token: no constant-time compare
// of the token itself is needed (password checks are constant-time inside libsodium).

#include <string>
#include <string_view>

namespace cloudopt::security {

std::string NewToken(std::string_view prefix);
std::string TokenHash(std::string_view token);  // hex SHA-256
// 16 random bytes as hex, for ids that must not be guessable (refresh token families, JWT ids).
std::string RandomId();

}  // namespace cloudopt::security
