#include "security/password.hpp"

#include <sodium.h>

#include "security/sodium_init.hpp"

namespace cloudopt::security {

void EnsureSodium() {
    static const int kReady = sodium_init();  // 0 the first time, 1 afterwards, -1 on failure
    if (kReady < 0) std::abort();            // no usable random source: nothing secure can be done
}

PasswordCost PasswordCost::Interactive() {
    return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

PasswordCost PasswordCost::MinimumForTests() { return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN}; }

Status CheckPasswordPolicy(const std::string& password) {
    if (password.size() < 12)
        return MakeError(ErrorCode::kUnprocessable, "password is too short: use at least 12 characters");
    if (password.size() > 1024)
        return MakeError(ErrorCode::kUnprocessable, "password is too long: use at most 1024 bytes");
    return Status::Ok();
}

Result<std::string> HashPassword(const std::string& password, PasswordCost cost) {
    EnsureSodium();
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.ops, cost.memory_bytes,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return MakeError(ErrorCode::kInternal, "cannot hash the password: out of memory");
    return std::string(out);
}

bool VerifyPassword(const std::string& hash, const std::string& password) {
    EnsureSodium();
    if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
    char stored[crypto_pwhash_STRBYTES] = {};
    hash.copy(stored, hash.size());
    return crypto_pwhash_str_verify(stored, password.data(), password.size()) == 0;
}

void VerifyAgainstDummy(const std::string& password, PasswordCost cost) {
    static const std::string kDummy = [&] {
        auto h = HashPassword("cloudopt-dummy-password", cost);
        return h ? *h : std::string();
    }();
    (void)VerifyPassword(kDummy, password);
}

std::string GeneratePassword() {
    EnsureSodium();
    static constexpr char kAlphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    std::string out;
    for (int i = 0; i < 24; ++i) out += kAlphabet[randombytes_uniform(sizeof(kAlphabet) - 1)];
    return out;
}

}  // namespace cloudopt::security
