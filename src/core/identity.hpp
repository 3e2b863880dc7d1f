#pragma once
// Who may do what: users and their roles, machine tokens and their scopes, refresh tokens, encrypted
// credentials and the audit log, as the store keeps them. Secrets never appear here in clear: tokens are kept
// as hashes and credentials as ciphertext (see src/security).

#include <cstdint>
#include <optional>
#include <string>

#include "core/time.hpp"

namespace cloudopt {

// viewer reads; operator also applies recommendations, changes modes, pushes metrics and trains; admin also
// manages resources, providers, credentials, users and tokens.
enum class Role { kViewer, kOperator, kAdmin };
const char* RoleName(Role role);
std::optional<Role> ParseRole(const std::string& name);

struct User {
    std::int64_t id = 0;
    std::string name;
    Role role = Role::kViewer;
    std::string password_hash;  // Argon2id, libsodium's crypto_pwhash_str format
    UnixSeconds created_at = 0;
    bool disabled = false;
};

// A refresh token (opaque, random) as stored: its hash, the user and the family it rotates in. Using a
// refresh token revokes it and issues the next one of the same family; presenting a revoked one again
// revokes the whole family (someone replayed a stolen token).
struct RefreshToken {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    std::string token_hash;
    std::string family;
    UnixSeconds created_at = 0;
    UnixSeconds expires_at = 0;
    bool revoked = false;
};

// A long-lived token for machines (metric pushers, CI). `scope` names what it may do: read | metrics:write |
// operator. Shown once at creation; only its hash is kept.
struct ApiToken {
    std::int64_t id = 0;
    std::string name;
    std::string scope;
    std::string token_hash;
    std::string created_by;
    UnixSeconds created_at = 0;
    std::optional<UnixSeconds> revoked_at;
};

// A cloud credential (AWS keys, Azure client secret, GCP service-account key, kubeconfig) encrypted at rest.
// `sealed` is the ciphertext envelope of security/secret_box.hpp; `hint` is a masked form for display.
struct StoredCredential {
    std::int64_t id = 0;
    std::string name;
    std::string kind;  // aws | azure | gcp | kubernetes
    std::string sealed;
    std::string key_id;  // which master key sealed it (for rotation)
    std::string hint;
    UnixSeconds created_at = 0;
    UnixSeconds updated_at = 0;
};

// One change made through the API: who, what, on which target, with which outcome.
struct AuditEntry {
    std::int64_t id = 0;
    UnixSeconds ts = 0;
    std::string actor;   // "user:alice", "token:ci-pusher", "anonymous"
    std::string action;  // "POST /api/resources"
    std::string target;  // the request path
    int status = 0;
    std::string remote_address;
    // Refused requests (401, 429) are written once per client, action, status and minute, with how many came.
    std::int64_t count = 1;
    std::string detail;  // e.g. the user name a login tried (never the password)
};

}  // namespace cloudopt

namespace cloudopt {

// Who is making a request, once authenticated: a person (with a role) or a machine token (with a scope).
struct Principal {
    enum class Kind { kUser, kToken };
    Kind kind = Kind::kUser;
    std::int64_t id = 0;
    std::string name;
    Role role = Role::kViewer;  // users
    std::string scope;          // tokens
    // For logs and the audit trail: "user:alice", "token:ci-pusher".
    std::string Actor() const { return (kind == Kind::kUser ? "user:" : "token:") + name; }
};

}  // namespace cloudopt
