#include "security/secret_box.hpp"

#include <sodium.h>

#include <cctype>

#include "security/sodium_init.hpp"

namespace cloudopt::security {

namespace {

constexpr char kMagic[] = "COSB1";
constexpr std::size_t kMagicLen = 5;
constexpr std::size_t kKeyIdLen = 16;
constexpr std::size_t kNonceLen = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kHeaderLen = kMagicLen + kKeyIdLen + kNonceLen;

std::string Trim(const std::string& s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

}  // namespace

Result<std::string> Keyring::ParseKey(const std::string& text) {
    EnsureSodium();
    const std::string t = Trim(text);
    std::string key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES, '\0');
    std::size_t len = 0;
    auto* out = reinterpret_cast<unsigned char*>(key.data());
    if (t.size() == 64 && sodium_hex2bin(out, key.size(), t.data(), t.size(), nullptr, &len, nullptr) == 0 &&
        len == key.size())
        return key;
    if (sodium_base642bin(out, key.size(), t.data(), t.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) ==
            0 &&
        len == key.size())
        return key;
    return MakeError(ErrorCode::kInvalidArgument,
                     "a master key must be 32 bytes written as 64 hex digits or as base64 (generate one with "
                     "`cloudopt secrets generate-key`)");
}

std::string Keyring::GenerateKeyText() {
    EnsureSodium();
    unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    crypto_aead_xchacha20poly1305_ietf_keygen(key);
    char hex[sizeof key * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, key, sizeof key);
    sodium_memzero(key, sizeof key);
    return hex;
}

std::string Keyring::KeyId(const std::string& key) {
    EnsureSodium();
    // A keyed hash of a fixed label, not of the key itself: the id must not help anyone guess the key.
    unsigned char digest[8];
    static constexpr char kLabel[] = "cloudopt master key id";
    crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(kLabel), sizeof kLabel - 1,
                       reinterpret_cast<const unsigned char*>(key.data()), key.size());
    char hex[kKeyIdLen + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return hex;
}

Result<Keyring> Keyring::Create(std::string current, std::vector<std::string> previous) {
    Keyring ring;
    previous.insert(previous.begin(), std::move(current));
    for (std::string& k : previous) {
        if (k.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
            return MakeError(ErrorCode::kInvalidArgument, "a master key must be exactly 32 bytes");
        ring.keys_.push_back({KeyId(k), std::move(k)});
    }
    return ring;
}

Keyring::~Keyring() {
    for (Key& k : keys_) sodium_memzero(k.bytes.data(), k.bytes.size());
}

std::string Keyring::KeyIdOf(const std::string& sealed) {
    if (sealed.size() < kHeaderLen || sealed.compare(0, kMagicLen, kMagic) != 0) return "";
    return sealed.substr(kMagicLen, kKeyIdLen);
}

Result<std::string> Keyring::Seal(const std::string& plaintext, const std::string& associated_data) const {
    EnsureSodium();
    const Key& key = keys_.front();
    std::string out(kHeaderLen + plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
    out.replace(0, kMagicLen, kMagic);
    out.replace(kMagicLen, kKeyIdLen, key.id);
    auto* nonce = reinterpret_cast<unsigned char*>(out.data() + kMagicLen + kKeyIdLen);
    randombytes_buf(nonce, kNonceLen);  // 192-bit random nonces: no counter to keep, no realistic collision
    unsigned long long written = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        reinterpret_cast<unsigned char*>(out.data() + kHeaderLen), &written,
        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
        reinterpret_cast<const unsigned char*>(associated_data.data()), associated_data.size(), nullptr, nonce,
        reinterpret_cast<const unsigned char*>(key.bytes.data()));
    out.resize(kHeaderLen + written);
    return out;
}

Result<std::string> Keyring::Open(const std::string& sealed, const std::string& associated_data) const {
    EnsureSodium();
    const std::string id = KeyIdOf(sealed);
    if (id.empty() || sealed.size() < kHeaderLen + crypto_aead_xchacha20poly1305_ietf_ABYTES)
        return MakeError(ErrorCode::kUnprocessable, "stored secret is not a cloudopt envelope");
    const Key* key = nullptr;
    for (const Key& k : keys_)
        if (k.id == id) key = &k;
    if (!key)
        return MakeError(ErrorCode::kUnprocessable, "stored secret was sealed under master key " + id +
                                                        ", which is not configured (add it as a previous key)");
    const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data() + kMagicLen + kKeyIdLen);
    std::string out(sealed.size() - kHeaderLen, '\0');
    unsigned long long written = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            reinterpret_cast<unsigned char*>(out.data()), &written, nullptr,
            reinterpret_cast<const unsigned char*>(sealed.data() + kHeaderLen), sealed.size() - kHeaderLen,
            reinterpret_cast<const unsigned char*>(associated_data.data()), associated_data.size(), nonce,
            reinterpret_cast<const unsigned char*>(key->bytes.data())) != 0)
        return MakeError(ErrorCode::kUnprocessable, "stored secret failed authentication (tampered or moved)");
    out.resize(written);
    return out;
}

std::string MaskSecret(const std::string& secret) {
    if (secret.size() < 16) return "••••••••";
    return "••••••••" + secret.substr(secret.size() - 4);
}

}  // namespace cloudopt::security
