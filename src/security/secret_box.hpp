#pragma once
// Encryption at rest for cloud credentials: XChaCha20-Poly1305 (libsodium's IETF AEAD) under a 32-byte master
// key. Each sealed value carries the id of the key that sealed it, so keys can rotate: the keyring opens values
// sealed under the current or any previous key, and RotationNeeded() tells which values to reseal.
//
// Envelope (binary): "COSB1" | key id (16 hex) | 24-byte nonce | ciphertext with its 16-byte tag.
// The associated data binds a value to its owner (e.g. "credential:aws-prod"), so a ciphertext copied to
// another row does not open.

#include <string>
#include <vector>

#include "core/error.hpp"

namespace cloudopt::security {

class Keyring {
public:
    // A master key is 32 bytes. From text it is 64 hex digits or base64 of 32 bytes (whitespace trimmed).
    static Result<std::string> ParseKey(const std::string& text);
    static std::string GenerateKeyText();  // 64 hex digits of fresh randomness
    static std::string KeyId(const std::string& key);

    // `current` seals and opens; `previous` only open. kInvalidArgument when a key is not 32 bytes.
    static Result<Keyring> Create(std::string current, std::vector<std::string> previous = {});

    Result<std::string> Seal(const std::string& plaintext, const std::string& associated_data) const;
    // kUnprocessable when the value was sealed under a key this keyring lacks or was tampered with.
    Result<std::string> Open(const std::string& sealed, const std::string& associated_data) const;

    const std::string& current_key_id() const { return keys_.front().id; }
    static std::string KeyIdOf(const std::string& sealed);  // "" when it is no envelope

    Keyring(const Keyring&) = default;
    Keyring& operator=(const Keyring&) = default;
    Keyring(Keyring&&) = default;
    Keyring& operator=(Keyring&&) = default;
    ~Keyring();

private:
    struct Key {
        std::string id;
        std::string bytes;
    };
    Keyring() = default;
    std::vector<Key> keys_;
};

// What the API shows of a secret: its kind and length class, and at most its last 4 characters when it is
// long enough that they reveal nothing useful ("••••••••WXYZ").
std::string MaskSecret(const std::string& secret);

}  // namespace cloudopt::security
