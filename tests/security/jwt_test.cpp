// Access tokens: what verification accepts and, mostly, what it refuses.

#include "security/jwt.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>
#include <string>
#include <vector>

namespace cloudopt::security {
namespace {

constexpr UnixSeconds kNow = 1'800'000'000;

User Alice() {
    User u;
    u.id = 7;
    u.name = "alice";
    u.role = Role::kOperator;
    return u;
}

std::string B64(const std::string& bytes) {
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(std::strlen(out.c_str()));
    return out;
}

std::string Payload(UnixSeconds iat, UnixSeconds exp, const std::string& aud = "cloudopt-api") {
    return R"({"iss":"cloudopt","aud":")" + aud + R"(","sub":"alice","role":"admin","uid":7,"iat":)" +
           std::to_string(iat) + R"(,"nbf":)" + std::to_string(iat) + R"(,"exp":)" + std::to_string(exp) + "}";
}

// Signs header.payload with HMAC-SHA256 or -SHA512 by hand, to build tokens our signer would never issue.
std::string HandMade(const std::string& header, const std::string& payload, const std::string& key, bool sha512 = false) {
    const std::string input = B64(header) + "." + B64(payload);
    std::string mac;
    if (sha512) {
        unsigned char out[crypto_auth_hmacsha512_BYTES];
        crypto_auth_hmacsha512_state st;
        crypto_auth_hmacsha512_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
        crypto_auth_hmacsha512_update(&st, reinterpret_cast<const unsigned char*>(input.data()), input.size());
        crypto_auth_hmacsha512_final(&st, out);
        mac.assign(reinterpret_cast<char*>(out), sizeof out);
    } else {
        unsigned char out[crypto_auth_hmacsha256_BYTES];
        crypto_auth_hmacsha256_state st;
        crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
        crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(input.data()), input.size());
        crypto_auth_hmacsha256_final(&st, out);
        mac.assign(reinterpret_cast<char*>(out), sizeof out);
    }
    return input + "." + B64(mac);
}

class JwtTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_GE(sodium_init(), 0); }
    const std::string key_ = std::string(32, 'a');
    JwtSigner signer_{key_, {}, JwtOptions{}};
    std::string Kid() const { return JwtSigner::KeyId(key_); }
    std::string Reason(const std::string& token, UnixSeconds now = kNow) {
        auto r = signer_.Verify(token, now);
        EXPECT_FALSE(r.ok()) << "accepted: " << token;
        if (r.ok()) return "";
        EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
        return r.error().message;
    }
};

TEST_F(JwtTest, IssuedTokensVerifyWithTheirClaims) {
    auto token = signer_.Issue(Alice(), kNow);
    ASSERT_TRUE(token.ok());
    auto claims = signer_.Verify(*token, kNow + 60);
    ASSERT_TRUE(claims.ok()) << claims.error().message;
    EXPECT_EQ(claims->subject, "alice");
    EXPECT_EQ(claims->user_id, 7);
    EXPECT_EQ(claims->role, Role::kOperator);
    EXPECT_EQ(claims->expires_at, kNow + 15 * 60);
    EXPECT_EQ(claims->token_id.size(), 32u);
    auto again = signer_.Issue(Alice(), kNow);
    EXPECT_NE(*again, *token) << "jti makes every token unique";
}

TEST_F(JwtTest, ExpiryNotBeforeAndSkewAreBounded) {
    auto token = *signer_.Issue(Alice(), kNow);
    EXPECT_TRUE(signer_.Verify(token, kNow + 15 * 60 + 59).ok()) << "within the 60 s skew";
    EXPECT_NE(Reason(token, kNow + 15 * 60 + 60).find("expired"), std::string::npos);
    EXPECT_TRUE(signer_.Verify(token, kNow - 59).ok());
    EXPECT_NE(Reason(token, kNow - 61).find("not valid yet"), std::string::npos);
}

TEST_F(JwtTest, RejectsAlgNoneAndAlgorithmConfusion) {
    const std::string payload = Payload(kNow, kNow + 600);
    // alg none, with and without a signature part.
    EXPECT_NE(Reason(B64(R"({"alg":"none","typ":"JWT"})") + "." + B64(payload) + ".").find("malformed"), std::string::npos);
    EXPECT_NE(Reason(B64(R"({"alg":"none","kid":")" + Kid() + R"("})") + "." + B64(payload) + ".x").find("'none'"),
              std::string::npos);
    // Same key, other HMAC: signed correctly, refused for its algorithm.
    EXPECT_NE(Reason(HandMade(R"({"alg":"HS512","kid":")" + Kid() + R"("})", payload, key_, true)).find("HS512"),
              std::string::npos);
    // RS256 "verified" with the HMAC key as if it were a public key.
    EXPECT_NE(Reason(HandMade(R"({"alg":"RS256","kid":")" + Kid() + R"("})", payload, key_)).find("RS256"),
              std::string::npos);
    // The control: the same hand-made token with HS256 passes, so the refusals above are about the algorithm.
    EXPECT_TRUE(signer_.Verify(HandMade(R"({"alg":"HS256","kid":")" + Kid() + R"("})", payload, key_), kNow).ok());
}

TEST_F(JwtTest, RejectsForgeriesAndForeignTokens) {
    const std::string header = R"({"alg":"HS256","kid":")" + Kid() + R"("})";
    EXPECT_NE(Reason(HandMade(header, Payload(kNow, kNow + 600), std::string(32, 'b'))).find("bad signature"),
              std::string::npos);
    // A valid token with its payload swapped for a more privileged one.
    auto token = *signer_.Issue(Alice(), kNow);
    const std::size_t d1 = token.find('.'), d2 = token.rfind('.');
    EXPECT_NE(Reason(token.substr(0, d1 + 1) + B64(Payload(kNow, kNow + 600)) + token.substr(d2)).find("bad signature"),
              std::string::npos);
    EXPECT_NE(Reason(HandMade(header, Payload(kNow, kNow + 600, "someone-else"), key_)).find("audience"), std::string::npos);
    EXPECT_NE(Reason(HandMade(header, Payload(kNow, kNow + 86400), key_)).find("lifetime"), std::string::npos);
    EXPECT_NE(Reason(HandMade(R"({"alg":"HS256","kid":"0123456789abcdef"})", Payload(kNow, kNow + 600), key_)).find("unknown key"),
              std::string::npos);
    JwtOptions other;
    other.issuer = "not-cloudopt";
    EXPECT_NE(Reason(*JwtSigner(key_, {}, other).Issue(Alice(), kNow)).find("issuer"), std::string::npos);
    for (const std::string& junk : std::vector<std::string>{"", "a", "a.b", "a.b.c.d", "....", std::string(5000, 'x')})
        Reason(junk);
}

TEST_F(JwtTest, PreviousKeysVerifyAfterRotation) {
    const std::string new_key(32, 'n');
    JwtSigner rotated(new_key, {key_}, JwtOptions{});
    auto old_token = *signer_.Issue(Alice(), kNow);
    EXPECT_TRUE(rotated.Verify(old_token, kNow).ok());
    auto new_token = *rotated.Issue(Alice(), kNow);
    EXPECT_TRUE(rotated.Verify(new_token, kNow).ok());
    EXPECT_FALSE(signer_.Verify(new_token, kNow).ok());
    JwtSigner retired(new_key, {}, JwtOptions{});
    EXPECT_FALSE(retired.Verify(old_token, kNow).ok()) << "a key dropped from the ring no longer verifies";
}

}  // namespace
}  // namespace cloudopt::security
