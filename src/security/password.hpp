#pragma once
// Password hashing with Argon2id (libsodium's crypto_pwhash_str): a salted, memory-hard hash in the PHC string
// format, which carries its own parameters, so raising the cost later keeps old hashes verifiable.

#include <string>

#include "core/error.hpp"

namespace cloudopt::security {

// Argon2id cost. The default is libsodium's "interactive" level (64 MiB, 2 passes: ~0.1 s here). Tests use the
// minimum so that sanitizer builds stay fast; never use it in production.
struct PasswordCost {
    unsigned long long ops;
    std::size_t memory_bytes;
    static PasswordCost Interactive();
    static PasswordCost MinimumForTests();
};

// Rejects passwords shorter than 12 characters or longer than 1024 bytes, with a message that says so.
Status CheckPasswordPolicy(const std::string& password);

Result<std::string> HashPassword(const std::string& password, PasswordCost cost = PasswordCost::Interactive());

// Constant-time in the password (libsodium compares the derived keys with a constant-time comparison).
bool VerifyPassword(const std::string& hash, const std::string& password);

// Spends the time of one verification without a real hash: login calls it for unknown users so that the
// response time does not tell which user names exist.
void VerifyAgainstDummy(const std::string& password, PasswordCost cost = PasswordCost::Interactive());

// A random password for the generated first-run admin: 24 characters from an unambiguous alphabet.
std::string GeneratePassword();

}  // namespace cloudopt::security
