#pragma once
// Authentication: logins (Argon2id passwords, throttled), access tokens (JWT), rotating refresh tokens and
// machine API tokens. Transport-free: the routes and the CLI call it; access_control.cpp applies it to requests.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "core/identity.hpp"
#include "core/time.hpp"
#include "security/jwt.hpp"
#include "security/password.hpp"
#include "security/rate_limiter.hpp"
#include "store/identity_store.hpp"

namespace cloudopt::api {

struct AuthOptions {
    security::JwtOptions jwt;
    std::string jwt_key;                         // 32+ random bytes; signs access tokens
    std::vector<std::string> previous_jwt_keys;  // still verify (rotation)
    UnixSeconds refresh_lifetime = 7 * 86400;
    security::PasswordCost password_cost = security::PasswordCost::Interactive();
};

struct AuthSession {
    std::string access_token;
    UnixSeconds access_expires_in = 0;
    std::string refresh_token;  // opaque; rotate on every use
    UnixSeconds refresh_expires_in = 0;
    User user;
};

struct IssuedApiToken {
    ApiToken record;
    std::string token;  // shown once
};

class AuthService {
  public:
    AuthService(IdentityStore& store, const Clock& clock, AuthOptions options);

    // kUnauthenticated for a wrong name or password (the same message for both), kTooManyRequests (with the
    // wait in seconds in *retry_after) when throttled.
    Result<AuthSession> Login(const std::string& username, const std::string& password, const std::string& address,
                              int* retry_after = nullptr);
    // Rotates: the presented token is revoked and a new one of the same family issued. A token presented again
    // after rotation revokes its whole family (it was copied) and fails.
    Result<AuthSession> Refresh(const std::string& refresh_token);
    Status Logout(const std::string& refresh_token);

    // "Bearer <jwt>" or "Bearer <API token>": the principal, or kUnauthenticated saying what is wrong.
    Result<Principal> Authenticate(const std::string& authorization_header);

    // Users. Passwords are checked against the policy and hashed here.
    Result<User> CreateUser(const std::string& name, Role role, const std::string& password);
    Result<User> UpdateUser(std::int64_t id, std::optional<Role> role, const std::optional<std::string>& password,
                            std::optional<bool> disabled);
    Status DeleteUser(std::int64_t id);
    // The first-run admin: when no user exists, creates `name` with `password`, or with a generated password
    // when `password` is empty. Returns the password it generated (empty when given one or when users exist).
    Result<std::string> EnsureFirstAdmin(const std::string& name, const std::string& password);

    Result<IssuedApiToken> CreateApiToken(const std::string& name, const std::string& scope,
                                          const std::string& created_by);
    Status RevokeApiToken(std::int64_t id);

    // For tests and tools: an access token for a stored user without a password round trip.
    Result<std::string> IssueAccessToken(const User& user);

    IdentityStore& store() { return store_; }
    const Clock& clock() const { return clock_; }  // real time, also under the demo's fast clock
    const AuthOptions& options() const { return options_; }

  private:
    Result<AuthSession> StartSession(const User& user, const std::string& family);
    Result<Principal> AuthenticateApiToken(const std::string& token);
    Result<Principal> AuthenticateJwt(const std::string& token);
    // The users and API tokens, cached: a request must not cost a database read. Reloaded after any change made
    // through this service, and otherwise when older than `max_age`.
    void ReloadLocked(std::chrono::steady_clock::duration max_age);
    // A lookup in one of the caches: reloaded first when stale, and once more (rate-limited) on a miss.
    template <typename Map, typename Key>
    typename Map::const_iterator FindCachedLocked(const Map& map, const Key& key);
    // The hot path of every request: under a shared lock, when the cache is fresh and holds the key, hands the
    // entry to `use` and returns true; otherwise the caller takes the exclusive path above.
    template <typename Map, typename Key, typename Use>
    bool ReadFresh(const Map& map, const Key& key, Use&& use);
    // JWT verification (HMAC, base64, JSON) remembered per token until it expires: a token that verified stays
    // valid until then, and the user's state is still read on every request.
    Result<security::AccessClaims> VerifyJwtCached(const std::string& token);

    IdentityStore& store_;
    const Clock& clock_;
    AuthOptions options_;
    security::JwtSigner signer_;
    security::LoginThrottle throttle_;
    std::shared_mutex mutex_;
    std::map<std::int64_t, User> users_;
    std::map<std::string, ApiToken> api_tokens_;  // by token hash
    // "user:NAME" of each disabled user: the API tokens such a user created (ApiToken::created_by) are refused
    // while the user stays disabled, and work again when it is enabled.
    std::set<std::string> disabled_actors_;
    std::chrono::steady_clock::time_point loaded_at_{};
    bool loaded_ = false;
    static constexpr std::size_t kVerifiedCacheSize = 4096;
    std::shared_mutex verified_mutex_;
    std::unordered_map<std::string, security::AccessClaims> verified_;
};

}  // namespace cloudopt::api
