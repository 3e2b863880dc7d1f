#include "api/auth_service.hpp"

#include "security/permissions.hpp"
#include "security/tokens.hpp"

namespace cloudopt::api {

namespace {

constexpr const char* kRefreshPrefix = "cort_";
constexpr const char* kApiTokenPrefix = "coat_";
// A miss reloads at most once a second (a token or user created by the CLI meanwhile); a hit is re-checked every
// 30 s (a revocation made by the CLI while the service runs).
constexpr auto kReloadOnMiss = std::chrono::seconds(1);
constexpr auto kReloadOnHit = std::chrono::seconds(30);

Error BadLogin() { return MakeError(ErrorCode::kUnauthenticated, "wrong user name or password"); }

Status CheckName(const std::string& name, const std::string& what) {
    if (name.empty() || name.size() > 64)
        return MakeError(ErrorCode::kUnprocessable, what + " must be 1 to 64 characters");
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '_' || c == '.' || c == '@';
        if (!ok) return MakeError(ErrorCode::kUnprocessable, what + " may use letters, digits and - _ . @ only");
    }
    return Status::Ok();
}

}  // namespace

AuthService::AuthService(IdentityStore& store, const Clock& clock, AuthOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      signer_(options_.jwt_key, options_.previous_jwt_keys, options_.jwt) {}

void AuthService::ReloadLocked(std::chrono::steady_clock::duration max_age) {
    const auto now = std::chrono::steady_clock::now();
    if (loaded_ && now - loaded_at_ < max_age) return;
    auto users = store_.ListUsers();
    auto tokens = store_.ListApiTokens();
    if (!users || !tokens) return;  // keep the old view; the next request tries again
    users_.clear();
    disabled_actors_.clear();
    for (User& u : *users) {
        if (u.disabled) disabled_actors_.insert("user:" + u.name);
        users_[u.id] = std::move(u);
    }
    api_tokens_.clear();
    for (ApiToken& t : *tokens) api_tokens_[t.token_hash] = std::move(t);
    loaded_at_ = now;
    loaded_ = true;
}

template <typename Map, typename Key>
typename Map::const_iterator AuthService::FindCachedLocked(const Map& map, const Key& key) {
    ReloadLocked(kReloadOnHit);
    auto it = map.find(key);
    if (it != map.end()) return it;
    ReloadLocked(kReloadOnMiss);
    return map.find(key);
}

Result<AuthSession> AuthService::Login(const std::string& username, const std::string& password,
                                       const std::string& address, int* retry_after) {
    if (auto wait = throttle_.Check(username, address)) {
        if (retry_after) *retry_after = *wait;
        return MakeError(ErrorCode::kTooManyRequests,
                         "too many failed logins; try again in " + std::to_string(*wait) + " s");
    }
    auto user = store_.FindUser(username);
    if (!user) {
        if (user.error().code != ErrorCode::kNotFound) return user.error();
        security::VerifyAgainstDummy(password, options_.password_cost);  // same time as a real check
        throttle_.Failed(username, address);
        return BadLogin();
    }
    if (!security::VerifyPassword(user->password_hash, password) || user->disabled) {
        throttle_.Failed(username, address);
        return BadLogin();
    }
    throttle_.Succeeded(username);
    return StartSession(*user, security::RandomId());
}

Result<AuthSession> AuthService::StartSession(const User& user, const std::string& family) {
    const UnixSeconds now = clock_.Now();
    auto access = signer_.Issue(user, now);
    if (!access) return access.error();
    RefreshToken record;
    const std::string refresh = security::NewToken(kRefreshPrefix);
    record.user_id = user.id;
    record.token_hash = security::TokenHash(refresh);
    record.family = family;
    record.created_at = now;
    record.expires_at = now + options_.refresh_lifetime;
    if (Status s = store_.SaveRefreshToken(record); !s) return s.error();
    AuthSession session;
    session.access_token = std::move(*access);
    session.access_expires_in = options_.jwt.lifetime;
    session.refresh_token = refresh;
    session.refresh_expires_in = options_.refresh_lifetime;
    session.user = user;
    session.user.password_hash.clear();
    return session;
}

Result<AuthSession> AuthService::Refresh(const std::string& refresh_token) {
    const Error rejected =
        MakeError(ErrorCode::kUnauthenticated, "refresh token is invalid, expired or revoked; log in again");
    if (refresh_token.rfind(kRefreshPrefix, 0) != 0) return rejected;
    auto found = store_.FindRefreshToken(security::TokenHash(refresh_token));
    if (!found) return found.error();
    if (!*found) return rejected;
    const RefreshToken& record = **found;
    if (record.revoked) {
        // A rotated-out token came back: someone holds a copy. End every session of this family.
        (void)store_.RevokeRefreshFamily(record.family);
        return rejected;
    }
    if (clock_.Now() >= record.expires_at) return rejected;
    auto won = store_.RevokeRefreshToken(record.id);
    if (!won) return won.error();
    if (!*won) return rejected;  // a concurrent refresh used it first
    auto user = store_.GetUser(record.user_id);
    if (!user || user->disabled) return rejected;
    return StartSession(*user, record.family);
}

Status AuthService::Logout(const std::string& refresh_token) {
    if (refresh_token.rfind(kRefreshPrefix, 0) != 0) return Status::Ok();
    auto found = store_.FindRefreshToken(security::TokenHash(refresh_token));
    if (!found) return found.error();
    if (*found) return store_.RevokeRefreshFamily((*found)->family);
    return Status::Ok();
}

Result<Principal> AuthService::Authenticate(const std::string& header) {
    static constexpr std::string_view kBearer = "Bearer ";
    if (header.empty())
        return MakeError(
            ErrorCode::kUnauthenticated,
            "authentication required: send 'Authorization: Bearer <token>' (POST /api/auth/login gives one)");
    if (header.size() <= kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0)
        return MakeError(ErrorCode::kUnauthenticated, "the Authorization header must be 'Bearer <token>'");
    const std::string token = header.substr(kBearer.size());
    if (token.rfind(kApiTokenPrefix, 0) == 0) return AuthenticateApiToken(token);
    return AuthenticateJwt(token);
}

template <typename Map, typename Key, typename Use>
bool AuthService::ReadFresh(const Map& map, const Key& key, Use&& use) {
    std::shared_lock lock(mutex_);
    if (!loaded_ || std::chrono::steady_clock::now() - loaded_at_ >= kReloadOnHit) return false;
    auto it = map.find(key);
    if (it == map.end()) return false;
    use(it->second);
    return true;
}

Result<Principal> AuthService::AuthenticateApiToken(const std::string& token) {
    const std::string hash = security::TokenHash(token);
    Principal p;
    p.kind = Principal::Kind::kToken;
    bool revoked = false;
    bool creator_disabled = false;
    auto use = [&](const ApiToken& t) {  // runs under mutex_ (shared or exclusive), as disabled_actors_ needs
        revoked = t.revoked_at.has_value();
        creator_disabled = disabled_actors_.count(t.created_by) > 0;
        p.id = t.id;
        p.name = t.name;
        p.scope = t.scope;
    };
    if (!ReadFresh(api_tokens_, hash, use)) {
        std::lock_guard lock(mutex_);
        auto it = FindCachedLocked(api_tokens_, hash);
        if (it == api_tokens_.end()) return MakeError(ErrorCode::kUnauthenticated, "API token is unknown or revoked");
        use(it->second);
    }
    if (revoked) return MakeError(ErrorCode::kUnauthenticated, "API token is unknown or revoked");
    if (creator_disabled)
        return MakeError(ErrorCode::kUnauthenticated,
                         "API token refused: the user who created it is disabled; an admin can enable the user or "
                         "create a new token");
    return p;
}

Result<security::AccessClaims> AuthService::VerifyJwtCached(const std::string& token) {
    const UnixSeconds now = clock_.Now();
    {
        std::shared_lock lock(verified_mutex_);
        auto it = verified_.find(token);
        if (it != verified_.end() && now < it->second.expires_at) return it->second;
    }
    auto claims = signer_.Verify(token, now);
    if (!claims) return claims.error();
    std::lock_guard lock(verified_mutex_);
    if (verified_.size() >= kVerifiedCacheSize) verified_.clear();  // simple and bounded; refills from live tokens
    verified_[token] = *claims;
    return claims;
}

Result<Principal> AuthService::AuthenticateJwt(const std::string& token) {
    auto claims = VerifyJwtCached(token);
    if (!claims) return claims.error();
    // The role and state come from the user record, not the token: demoting or disabling a user takes effect at
    // once instead of when the token expires.
    Principal p;
    p.kind = Principal::Kind::kUser;
    bool accepted = false;
    auto use = [&](const User& u) {
        accepted = !u.disabled && u.name == claims->subject;
        p.id = u.id;
        p.name = u.name;
        p.role = u.role;
    };
    if (!ReadFresh(users_, claims->user_id, use)) {
        std::lock_guard lock(mutex_);
        auto it = FindCachedLocked(users_, claims->user_id);
        if (it != users_.end()) use(it->second);
    }
    if (!accepted)
        return MakeError(ErrorCode::kUnauthenticated,
                         "access token rejected: the user no longer exists or is disabled");
    return p;
}

Result<User> AuthService::CreateUser(const std::string& name, Role role, const std::string& password) {
    if (Status s = CheckName(name, "user name"); !s) return s.error();
    if (Status s = security::CheckPasswordPolicy(password); !s) return s.error();
    auto hash = security::HashPassword(password, options_.password_cost);
    if (!hash) return hash.error();
    User user;
    user.name = name;
    user.role = role;
    user.password_hash = std::move(*hash);
    user.created_at = clock_.Now();
    auto created = store_.CreateUser(user);
    std::lock_guard lock(mutex_);
    ReloadLocked(std::chrono::seconds(0));
    return created;
}

Result<User> AuthService::UpdateUser(std::int64_t id, std::optional<Role> role,
                                     const std::optional<std::string>& password, std::optional<bool> disabled) {
    auto user = store_.GetUser(id);
    if (!user) return user.error();
    if (role) user->role = *role;
    if (disabled) user->disabled = *disabled;
    if (password) {
        if (Status s = security::CheckPasswordPolicy(*password); !s) return s.error();
        auto hash = security::HashPassword(*password, options_.password_cost);
        if (!hash) return hash.error();
        user->password_hash = std::move(*hash);
    }
    auto updated = store_.UpdateUser(*user);
    // A new password or a disabled account ends the user's sessions.
    if (updated && (password || (disabled && *disabled))) (void)store_.RevokeUserRefreshTokens(id);
    std::lock_guard lock(mutex_);
    ReloadLocked(std::chrono::seconds(0));
    return updated;
}

Status AuthService::DeleteUser(std::int64_t id) {
    // The API tokens of a disabled user are refused only while its user exists and stays disabled: deleting it
    // would bring them back, so they are revoked first.
    if (auto user = store_.GetUser(id); user && user->disabled) {
        auto tokens = store_.ListApiTokens();
        if (!tokens) return tokens.error();
        for (const ApiToken& t : *tokens)
            if (t.created_by == "user:" + user->name && !t.revoked_at)
                if (Status revoked = store_.RevokeApiToken(t.id, clock_.Now()); !revoked) return revoked;
    }
    Status s = store_.DeleteUser(id);
    std::lock_guard lock(mutex_);
    ReloadLocked(std::chrono::seconds(0));
    return s;
}

Result<std::string> AuthService::EnsureFirstAdmin(const std::string& name, const std::string& password) {
    auto count = store_.CountUsers();
    if (!count) return count.error();
    if (*count > 0) return std::string();
    const std::string chosen = password.empty() ? security::GeneratePassword() : password;
    auto created = CreateUser(name.empty() ? "admin" : name, Role::kAdmin, chosen);
    if (!created) return created.error();
    return password.empty() ? chosen : std::string();
}

Result<IssuedApiToken> AuthService::CreateApiToken(const std::string& name, const std::string& scope,
                                                   const std::string& created_by) {
    if (Status s = CheckName(name, "token name"); !s) return s.error();
    if (!security::IsValidScope(scope))
        return MakeError(ErrorCode::kUnprocessable,
                         "scope '" + scope + "' is unknown; use one of: " + security::kValidScopes);
    IssuedApiToken issued;
    issued.token = security::NewToken(kApiTokenPrefix);
    ApiToken record;
    record.name = name;
    record.scope = scope;
    record.token_hash = security::TokenHash(issued.token);
    record.created_by = created_by;
    record.created_at = clock_.Now();
    auto created = store_.CreateApiToken(record);
    if (!created) return created.error();
    issued.record = std::move(*created);
    std::lock_guard lock(mutex_);
    ReloadLocked(std::chrono::seconds(0));
    return issued;
}

Status AuthService::RevokeApiToken(std::int64_t id) {
    Status s = store_.RevokeApiToken(id, clock_.Now());
    std::lock_guard lock(mutex_);
    ReloadLocked(std::chrono::seconds(0));
    return s;
}

Result<std::string> AuthService::IssueAccessToken(const User& user) { return signer_.Issue(user, clock_.Now()); }

}  // namespace cloudopt::api
