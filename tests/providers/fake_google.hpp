#pragma once
// What a fake Google endpoint needs: the test service account's RSA key (generated once per process) and a check of
// the RS256 JWT it signs, as Google's token endpoint would verify it.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

namespace cloudopt::testing {

using nlohmann::json;

// A fresh 2048-bit RSA key for the test's service account: its PEM private key and PEM public key.
struct TestKey {
    TestKey() {
        EVP_PKEY* key = EVP_RSA_gen(2048);
        BIO* priv = BIO_new(BIO_s_mem());
        PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
        BIO* pub = BIO_new(BIO_s_mem());
        PEM_write_bio_PUBKEY(pub, key);
        char* data = nullptr;
        long length = BIO_get_mem_data(priv, &data);
        private_pem.assign(data, static_cast<std::size_t>(length));
        length = BIO_get_mem_data(pub, &data);
        public_pem.assign(data, static_cast<std::size_t>(length));
        BIO_free(priv);
        BIO_free(pub);
        EVP_PKEY_free(key);
    }
    std::string private_pem, public_pem;
};

inline const TestKey& Key() {
    static const TestKey key;
    return key;
}

inline std::string Base64UrlDecode(std::string s) {
    for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (s.size() % 4) s += '=';
    std::string out(s.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
    out.resize(static_cast<std::size_t>(std::max(n, 0)));
    while (!s.empty() && s.back() == '=') {
        s.pop_back();
        out.pop_back();
    }
    return out;
}

// "" when `jwt` is an RS256 JWT that the test key's public half verifies; else the reason.
inline std::string VerifyRs256(const std::string& jwt, json& header, json& claims) {
    const std::size_t a = jwt.find('.'), b = jwt.rfind('.');
    if (a == std::string::npos || a == b) return "not three parts";
    header = json::parse(Base64UrlDecode(jwt.substr(0, a)), nullptr, false);
    claims = json::parse(Base64UrlDecode(jwt.substr(a + 1, b - a - 1)), nullptr, false);
    const std::string signature = Base64UrlDecode(jwt.substr(b + 1));
    BIO* bio = BIO_new_mem_buf(Key().public_pem.data(), static_cast<int>(Key().public_pem.size()));
    EVP_PKEY* pub = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const std::string input = jwt.substr(0, b);
    const bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pub) == 1 &&
                    EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pub);
    BIO_free(bio);
    return ok ? "" : "signature does not verify";
}

}  // namespace cloudopt::testing
