// Passwords, opaque tokens, the keyring that seals credentials, permissions and rate limits.

#include <gtest/gtest.h>

#include "security/password.hpp"
#include "security/permissions.hpp"
#include "security/rate_limiter.hpp"
#include "security/secret_box.hpp"
#include "security/tokens.hpp"

namespace cloudopt::security {
namespace {

TEST(Password, HashesAreSaltedArgon2idAndVerify) {
    auto a = HashPassword("correct horse battery", PasswordCost::MinimumForTests());
    auto b = HashPassword("correct horse battery", PasswordCost::MinimumForTests());
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->rfind("$argon2id$", 0), 0u) << *a;
    EXPECT_NE(*a, *b) << "each hash has its own salt";
    EXPECT_TRUE(VerifyPassword(*a, "correct horse battery"));
    EXPECT_FALSE(VerifyPassword(*a, "correct horse batterY"));
    EXPECT_FALSE(VerifyPassword("", "x"));
    EXPECT_FALSE(VerifyPassword("garbage", "x"));
    EXPECT_FALSE(CheckPasswordPolicy("short").ok());
    EXPECT_TRUE(CheckPasswordPolicy("twelve chars").ok());
    EXPECT_EQ(GeneratePassword().size(), 24u);
    EXPECT_NE(GeneratePassword(), GeneratePassword());
}

TEST(Tokens, RandomPrefixedAndHashed) {
    const std::string t = NewToken("coat_");
    EXPECT_EQ(t.rfind("coat_", 0), 0u);
    EXPECT_EQ(t.size(), 5u + 43u);
    EXPECT_NE(NewToken("coat_"), t);
    EXPECT_EQ(TokenHash(t).size(), 64u);
    EXPECT_EQ(TokenHash(t), TokenHash(t));
    EXPECT_EQ(TokenHash(t).find(t.substr(5)), std::string::npos);
}

TEST(Keyring, SealsOpensAndBindsToAssociatedData) {
    auto key = Keyring::ParseKey(Keyring::GenerateKeyText());
    ASSERT_TRUE(key.ok());
    auto ring = Keyring::Create(*key);
    ASSERT_TRUE(ring.ok());
    const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    auto sealed = ring->Seal(secret, "credential:aws:prod");
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(sealed->find(secret), std::string::npos);
    EXPECT_NE(*ring->Seal(secret, "credential:aws:prod"), *sealed) << "random nonces";
    EXPECT_EQ(*ring->Open(*sealed, "credential:aws:prod"), secret);
    EXPECT_FALSE(ring->Open(*sealed, "credential:aws:staging").ok()) << "moved to another row";
    std::string tampered = *sealed;
    tampered.back() ^= 1;
    EXPECT_FALSE(ring->Open(tampered, "credential:aws:prod").ok());
    EXPECT_FALSE(ring->Open("junk", "credential:aws:prod").ok());
    EXPECT_FALSE(Keyring::ParseKey("too short").ok());
    EXPECT_FALSE(Keyring::Create("short").ok());
}

TEST(Keyring, RotationOpensOldValuesUnderThePreviousKey) {
    const std::string old_key = *Keyring::ParseKey(Keyring::GenerateKeyText());
    const std::string new_key = *Keyring::ParseKey(Keyring::GenerateKeyText());
    auto old_ring = *Keyring::Create(old_key);
    auto sealed = *old_ring.Seal("s3cret", "ad");
    auto new_only = *Keyring::Create(new_key);
    auto failed = new_only.Open(sealed, "ad");
    ASSERT_FALSE(failed.ok());
    EXPECT_NE(failed.error().message.find(old_ring.current_key_id()), std::string::npos) << failed.error().message;
    auto rotating = *Keyring::Create(new_key, {old_key});
    EXPECT_EQ(*rotating.Open(sealed, "ad"), "s3cret");
    auto resealed = *rotating.Seal("s3cret", "ad");
    EXPECT_EQ(Keyring::KeyIdOf(resealed), new_only.current_key_id());
    EXPECT_EQ(*new_only.Open(resealed, "ad"), "s3cret");
}

TEST(Permissions, RolesAndScopesGrantWhatTheDocsSay) {
    EXPECT_TRUE(RoleAllows(Role::kViewer, Permission::kRead));
    EXPECT_FALSE(RoleAllows(Role::kViewer, Permission::kOperate));
    EXPECT_FALSE(RoleAllows(Role::kViewer, Permission::kPushMetrics));
    EXPECT_TRUE(RoleAllows(Role::kOperator, Permission::kOperate));
    EXPECT_FALSE(RoleAllows(Role::kOperator, Permission::kAdmin));
    EXPECT_TRUE(RoleAllows(Role::kAdmin, Permission::kAdmin));
    EXPECT_TRUE(ScopeAllows("metrics:write", Permission::kPushMetrics));
    EXPECT_FALSE(ScopeAllows("metrics:write", Permission::kRead));
    EXPECT_TRUE(ScopeAllows("read", Permission::kRead));
    EXPECT_FALSE(ScopeAllows("operator", Permission::kAdmin));
    EXPECT_FALSE(ScopeAllows("admin", Permission::kRead));
}

TEST(RateLimiter, AllowsBurstsThenAsksToWait) {
    RateLimiter limiter(2.0, 4.0);
    const auto t0 = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
    for (int i = 0; i < 4; ++i) EXPECT_FALSE(limiter.Take("ip", t0).has_value());
    auto wait = limiter.Take("ip", t0);
    ASSERT_TRUE(wait.has_value());
    EXPECT_EQ(*wait, 1);
    EXPECT_FALSE(limiter.Take("other", t0).has_value()) << "keys are independent";
    EXPECT_FALSE(limiter.Take("ip", t0 + std::chrono::milliseconds(600)).has_value()) << "refilled at 2/s";
}

TEST(LoginThrottle, LocksOutAfterRepeatedFailuresWithGrowingWaits) {
    LoginThrottle throttle;
    auto t = LoginThrottle::Clock::time_point{} + std::chrono::hours(1);
    for (int i = 0; i < 4; ++i) {
        EXPECT_FALSE(throttle.Check("bob", "10.0.0.1", t).has_value());
        throttle.Failed("bob", "10.0.0.1", t);
    }
    EXPECT_FALSE(throttle.Check("bob", "10.0.0.1", t).has_value());
    throttle.Failed("bob", "10.0.0.1", t);
    EXPECT_TRUE(throttle.Check("bob", "10.0.0.2", t).has_value()) << "per user name";
    EXPECT_TRUE(throttle.Check("carol", "10.0.0.1", t).has_value()) << "per address";
    t += std::chrono::seconds(2);
    throttle.Failed("bob", "10.0.0.1", t);
    auto wait = throttle.Check("bob", "10.0.0.9", t);
    ASSERT_TRUE(wait.has_value());
    EXPECT_EQ(*wait, 2) << "the lockout doubles";
    throttle.Succeeded("bob");
    EXPECT_FALSE(throttle.Check("bob", "10.0.0.9", t).has_value());
}

}  // namespace
}  // namespace cloudopt::security
