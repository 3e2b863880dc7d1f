#pragma once
// Storage of who may do what: users, refresh tokens, machine API tokens, encrypted credentials and the audit
// log. Part of every Store (Store::Identity()); the same thread-safety and atomicity rules hold. Secrets arrive
// here already hashed or sealed (src/security): the store never sees a password, token or key in clear.

#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/identity.hpp"

namespace cloudopt {

// A page of the audit log: entries at or after `since`, newest first, `offset` rows skipped, and with `search`
// only those whose actor, action or target contains it (case-sensitive, plain text).
struct AuditQuery {
    UnixSeconds since = 0;
    int limit = 100;
    int offset = 0;
    std::string search{};
};

// Timestamps: a created_at (updated_at for credentials) left 0 is stamped from the store's clock; callers that
// keep real time apart from a simulated clock (the demo) pass their own.
class IdentityStore {
  public:
    virtual ~IdentityStore() = default;

    // Users. Names are unique (kConflict).
    virtual Result<User> CreateUser(const User& user) = 0;
    virtual Result<User> GetUser(std::int64_t id) = 0;           // kNotFound
    virtual Result<User> FindUser(const std::string& name) = 0;  // kNotFound
    virtual Result<std::vector<User>> ListUsers() = 0;
    virtual Result<User> UpdateUser(const User& user) = 0;  // role, password hash, disabled
    virtual Status DeleteUser(std::int64_t id) = 0;         // with its refresh tokens
    virtual Result<std::int64_t> CountUsers() = 0;

    // Refresh tokens, found by hash.
    virtual Status SaveRefreshToken(const RefreshToken& token) = 0;
    virtual Result<std::optional<RefreshToken>> FindRefreshToken(const std::string& token_hash) = 0;
    // Revokes one token if it is still live; false when it was already revoked (so two concurrent refreshes with
    // the same token cannot both succeed).
    virtual Result<bool> RevokeRefreshToken(std::int64_t id) = 0;
    virtual Status RevokeRefreshFamily(const std::string& family) = 0;
    virtual Status RevokeUserRefreshTokens(std::int64_t user_id) = 0;

    // Machine API tokens.
    virtual Result<ApiToken> CreateApiToken(const ApiToken& token) = 0;  // names are unique (kConflict)
    virtual Result<std::vector<ApiToken>> ListApiTokens() = 0;
    virtual Status RevokeApiToken(std::int64_t id, UnixSeconds at) = 0;  // kNotFound

    // Credentials: saving a name that exists replaces its value (and keeps its id and created_at).
    virtual Result<StoredCredential> SaveCredential(const StoredCredential& credential) = 0;
    virtual Result<std::vector<StoredCredential>> ListCredentials() = 0;
    virtual Result<StoredCredential> GetCredential(std::int64_t id) = 0;  // kNotFound
    virtual Status DeleteCredential(std::int64_t id) = 0;                 // kNotFound

    // Audit log, newest first.
    virtual Status AppendAudit(const AuditEntry& entry) = 0;
    virtual Result<std::vector<AuditEntry>> ListAudit(const AuditQuery& query) = 0;
    // Retention: deletes entries older than `before`, then the oldest beyond `max_rows`, at most 10,000 of each a
    // call (the next call goes on); returns how many went.
    virtual Result<std::int64_t> PruneAudit(UnixSeconds before, std::int64_t max_rows) = 0;
};

}  // namespace cloudopt
