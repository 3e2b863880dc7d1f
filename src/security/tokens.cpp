#include "security/tokens.hpp"

#include <sodium.h>

#include "security/sodium_init.hpp"

namespace cloudopt::security {

namespace {

std::string Hex(const unsigned char* bytes, std::size_t n) {
    std::string out(n * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), bytes, n);
    out.pop_back();
    return out;
}

}  // namespace

std::string NewToken(std::string_view prefix) {
    EnsureSodium();
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    char encoded[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(encoded, sizeof encoded, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    return std::string(prefix) + encoded;
}

std::string TokenHash(std::string_view token) {
    EnsureSodium();
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
    return Hex(digest, sizeof digest);
}

std::string RandomId() {
    EnsureSodium();
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    return Hex(raw, sizeof raw);
}

}  // namespace cloudopt::security
