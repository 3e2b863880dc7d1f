#include "store/postgres/identity_tables.hpp"

namespace cloudopt::pg {

namespace {

constexpr const char* kPgUserColumns = "id, name, role, password_hash, created_at, disabled";
constexpr const char* kPgRefreshColumns = "id, user_id, token_hash, family, created_at, expires_at, revoked";
constexpr const char* kPgApiTokenColumns = "id, name, scope, token_hash, created_by, created_at, revoked_at";
constexpr const char* kPgCredentialColumns = "id, name, kind, sealed, key_id, hint, created_at, updated_at";

User PgReadUser(const pqxx::row& row) {
    User u;
    u.id = row[0].as<std::int64_t>();
    u.name = row[1].as<std::string>();
    u.role = ParseRole(row[2].as<std::string>()).value_or(Role::kViewer);
    u.password_hash = row[3].as<std::string>();
    u.created_at = row[4].as<std::int64_t>();
    u.disabled = row[5].as<std::int64_t>() != 0;
    return u;
}

RefreshToken PgReadRefresh(const pqxx::row& row) {
    RefreshToken t;
    t.id = row[0].as<std::int64_t>();
    t.user_id = row[1].as<std::int64_t>();
    t.token_hash = row[2].as<std::string>();
    t.family = row[3].as<std::string>();
    t.created_at = row[4].as<std::int64_t>();
    t.expires_at = row[5].as<std::int64_t>();
    t.revoked = row[6].as<std::int64_t>() != 0;
    return t;
}

ApiToken PgReadApiToken(const pqxx::row& row) {
    ApiToken t;
    t.id = row[0].as<std::int64_t>();
    t.name = row[1].as<std::string>();
    t.scope = row[2].as<std::string>();
    t.token_hash = row[3].as<std::string>();
    t.created_by = row[4].as<std::string>();
    t.created_at = row[5].as<std::int64_t>();
    if (!row[6].is_null()) t.revoked_at = row[6].as<std::int64_t>();
    return t;
}

StoredCredential PgReadCredential(const pqxx::row& row) {
    StoredCredential c;
    c.id = row[0].as<std::int64_t>();
    c.name = row[1].as<std::string>();
    c.kind = row[2].as<std::string>();
    c.sealed = pqxx::binarystring(row[3]).str();
    c.key_id = row[4].as<std::string>();
    c.hint = row[5].as<std::string>();
    c.created_at = row[6].as<std::int64_t>();
    c.updated_at = row[7].as<std::int64_t>();
    return c;
}

AuditEntry PgReadAudit(const pqxx::row& row) {
    AuditEntry e;
    e.id = row[0].as<std::int64_t>();
    e.ts = row[1].as<std::int64_t>();
    e.actor = row[2].as<std::string>();
    e.action = row[3].as<std::string>();
    e.target = row[4].as<std::string>();
    e.status = static_cast<int>(row[5].as<std::int64_t>());
    e.remote_address = row[6].as<std::string>();
    e.count = row[7].as<std::int64_t>();
    e.detail = row[8].as<std::string>();
    return e;
}

template <typename T, typename Reader>
std::vector<T> PgReadAll(const pqxx::result& rows, Reader read) {
    std::vector<T> out;
    out.reserve(rows.size());
    for (const auto& row : rows) out.push_back(read(row));
    return out;
}

class PgIdentityTables final : public IdentityStore {
  public:
    PgIdentityTables(Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

    Result<User> CreateUser(const User& user) override {
        User created = user;
        if (created.created_at == 0) created.created_at = clock_.Now();
        auto out = pool_.Transact("creating a user", [&](pqxx::work& tx) -> Result<User> {
            created.id = tx.exec_params1(
                               "INSERT INTO users (name, role, password_hash, created_at, disabled) VALUES ($1,$2,$3,"
                               "$4,$5) RETURNING id",
                               user.name, std::string(RoleName(user.role)), user.password_hash, created.created_at,
                               user.disabled ? 1 : 0)[0]
                             .as<std::int64_t>();
            return created;
        });
        if (!out && out.error().code == ErrorCode::kConflict)
            return MakeError(ErrorCode::kConflict, "a user named '" + user.name + "' already exists");
        return out;
    }

    Result<User> GetUser(std::int64_t id) override {
        return One<User>("reading a user", std::string("SELECT ") + kPgUserColumns + " FROM users WHERE id = $1",
                         PgReadUser, "user " + std::to_string(id) + " does not exist", id);
    }

    Result<User> FindUser(const std::string& name) override {
        return One<User>("reading a user", std::string("SELECT ") + kPgUserColumns + " FROM users WHERE name = $1",
                         PgReadUser, "user '" + name + "' does not exist", name);
    }

    Result<std::vector<User>> ListUsers() override {
        return pool_.Transact("listing users", [&](pqxx::work& tx) -> Result<std::vector<User>> {
            return PgReadAll<User>(
                tx.exec(std::string("SELECT ") + kPgUserColumns + " FROM users ORDER BY name COLLATE \"C\""),
                PgReadUser);
        });
    }

    Result<User> UpdateUser(const User& user) override {
        return pool_.Transact("updating a user", [&](pqxx::work& tx) -> Result<User> {
            const pqxx::result rows = tx.exec_params(
                std::string("UPDATE users SET role = $1, password_hash = $2, disabled = $3 WHERE id = $4 RETURNING ") +
                    kPgUserColumns,
                std::string(RoleName(user.role)), user.password_hash, user.disabled ? 1 : 0, user.id);
            if (rows.empty())
                return MakeError(ErrorCode::kNotFound, "user " + std::to_string(user.id) + " does not exist");
            return PgReadUser(rows[0]);
        });
    }

    Status DeleteUser(std::int64_t id) override { return DeleteById("DELETE FROM users WHERE id = $1", id, "user"); }

    Result<std::int64_t> CountUsers() override {
        return pool_.Transact("counting users", [&](pqxx::work& tx) -> Result<std::int64_t> {
            return tx.exec1("SELECT count(*) FROM users")[0].as<std::int64_t>();
        });
    }

    Status SaveRefreshToken(const RefreshToken& t) override {
        Status st = pool_.Transact("saving a refresh token", [&](pqxx::work& tx) -> Status {
            tx.exec_params(
                "INSERT INTO refresh_tokens (user_id, token_hash, family, created_at, expires_at, revoked) VALUES "
                "($1,$2,$3,$4,$5,$6)",
                t.user_id, t.token_hash, t.family, t.created_at, t.expires_at, t.revoked ? 1 : 0);
            return Status::Ok();
        });
        if (!st && (st.error().code == ErrorCode::kNotFound || st.error().code == ErrorCode::kConflict))
            return MakeError(ErrorCode::kNotFound, "user " + std::to_string(t.user_id) + " does not exist");
        return st;
    }

    Result<std::optional<RefreshToken>> FindRefreshToken(const std::string& token_hash) override {
        return pool_.Transact("reading a refresh token", [&](pqxx::work& tx) -> Result<std::optional<RefreshToken>> {
            const pqxx::result rows = tx.exec_params(
                std::string("SELECT ") + kPgRefreshColumns + " FROM refresh_tokens WHERE token_hash = $1", token_hash);
            if (rows.empty()) return std::optional<RefreshToken>();
            return std::optional<RefreshToken>(PgReadRefresh(rows[0]));
        });
    }

    Result<bool> RevokeRefreshToken(std::int64_t id) override {
        return pool_.Transact("revoking a refresh token", [&](pqxx::work& tx) -> Result<bool> {
            return tx.exec_params("UPDATE refresh_tokens SET revoked = 1 WHERE id = $1 AND revoked = 0", id)
                       .affected_rows() == 1;
        });
    }

    Status RevokeRefreshFamily(const std::string& family) override {
        return pool_.Transact("revoking refresh tokens", [&](pqxx::work& tx) -> Status {
            tx.exec_params("UPDATE refresh_tokens SET revoked = 1 WHERE family = $1", family);
            return Status::Ok();
        });
    }

    Status RevokeUserRefreshTokens(std::int64_t user_id) override {
        return pool_.Transact("revoking refresh tokens", [&](pqxx::work& tx) -> Status {
            tx.exec_params("UPDATE refresh_tokens SET revoked = 1 WHERE user_id = $1", user_id);
            return Status::Ok();
        });
    }

    Result<ApiToken> CreateApiToken(const ApiToken& token) override {
        ApiToken created = token;
        if (created.created_at == 0) created.created_at = clock_.Now();
        created.revoked_at.reset();
        auto out = pool_.Transact("creating an API token", [&](pqxx::work& tx) -> Result<ApiToken> {
            created.id = tx.exec_params1(
                               "INSERT INTO api_tokens (name, scope, token_hash, created_by, created_at) VALUES ($1,$2,"
                               "$3,$4,$5) RETURNING id",
                               token.name, token.scope, token.token_hash, token.created_by, created.created_at)[0]
                             .as<std::int64_t>();
            return created;
        });
        if (!out && out.error().code == ErrorCode::kConflict)
            return MakeError(ErrorCode::kConflict, "an API token named '" + token.name + "' already exists");
        return out;
    }

    Result<std::vector<ApiToken>> ListApiTokens() override {
        return pool_.Transact("listing API tokens", [&](pqxx::work& tx) -> Result<std::vector<ApiToken>> {
            return PgReadAll<ApiToken>(
                tx.exec(std::string("SELECT ") + kPgApiTokenColumns + " FROM api_tokens ORDER BY id"), PgReadApiToken);
        });
    }

    Status RevokeApiToken(std::int64_t id, UnixSeconds at) override {
        return pool_.Transact("revoking an API token", [&](pqxx::work& tx) -> Status {
            if (tx.exec_params("UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2", at, id)
                    .affected_rows() == 0)
                return MakeError(ErrorCode::kNotFound, "API token " + std::to_string(id) + " does not exist");
            return Status::Ok();
        });
    }

    Result<StoredCredential> SaveCredential(const StoredCredential& c) override {
        const UnixSeconds now = c.updated_at != 0 ? c.updated_at : clock_.Now();
        return pool_.Transact("saving a credential", [&](pqxx::work& tx) -> Result<StoredCredential> {
            return PgReadCredential(tx.exec_params1(
                std::string("INSERT INTO credentials (name, kind, sealed, key_id, hint, created_at, updated_at) VALUES "
                            "($1,$2,$3,$4,$5,$6,$6) ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, sealed = "
                            "excluded.sealed, key_id = excluded.key_id, hint = excluded.hint, updated_at = "
                            "excluded.updated_at RETURNING ") +
                    kPgCredentialColumns,
                c.name, c.kind, pqxx::binarystring(c.sealed.data(), c.sealed.size()), c.key_id, c.hint, now));
        });
    }

    Result<std::vector<StoredCredential>> ListCredentials() override {
        return pool_.Transact("listing credentials", [&](pqxx::work& tx) -> Result<std::vector<StoredCredential>> {
            return PgReadAll<StoredCredential>(tx.exec(std::string("SELECT ") + kPgCredentialColumns +
                                                       " FROM credentials ORDER BY name COLLATE \"C\""),
                                               PgReadCredential);
        });
    }

    Result<StoredCredential> GetCredential(std::int64_t id) override {
        return One<StoredCredential>("reading a credential",
                                     std::string("SELECT ") + kPgCredentialColumns + " FROM credentials WHERE id = $1",
                                     PgReadCredential, "credential " + std::to_string(id) + " does not exist", id);
    }

    Status DeleteCredential(std::int64_t id) override {
        return DeleteById("DELETE FROM credentials WHERE id = $1", id, "credential");
    }

    Status AppendAudit(const AuditEntry& e) override {
        return pool_.Transact("writing the audit log", [&](pqxx::work& tx) -> Status {
            tx.exec_params(
                "INSERT INTO audit_log (ts, actor, action, target, status, remote_address, count, detail) VALUES ($1,"
                "$2,$3,$4,$5,$6,$7,$8)",
                e.ts, e.actor, e.action, e.target, e.status, e.remote_address, e.count, e.detail);
            return Status::Ok();
        });
    }

    static constexpr std::int64_t kPgPruneBatch = 10000;

    Result<std::int64_t> PruneAudit(UnixSeconds before, std::int64_t max_rows) override {
        return pool_.Transact("pruning the audit log", [&](pqxx::work& tx) -> Result<std::int64_t> {
            // At most kPgPruneBatch rows of each kind a call; the next call goes on.
            auto removed = static_cast<std::int64_t>(
                tx.exec_params("DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE ts < $1 ORDER BY id "
                               "LIMIT $2)",
                               before, kPgPruneBatch)
                    .affected_rows());
            removed += static_cast<std::int64_t>(
                tx.exec_params("DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE id <= (SELECT id "
                               "FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET $1) ORDER BY id LIMIT $2)",
                               max_rows, kPgPruneBatch)
                    .affected_rows());
            return removed;
        });
    }

    Result<std::vector<AuditEntry>> ListAudit(const AuditQuery& q) override {
        return pool_.Transact("reading the audit log", [&](pqxx::work& tx) -> Result<std::vector<AuditEntry>> {
            return PgReadAll<AuditEntry>(
                tx.exec_params("SELECT id, ts, actor, action, target, status, remote_address, count, detail FROM "
                               "audit_log WHERE ts >= $1 AND ($4 = '' OR strpos(actor, $4) > 0 OR strpos(action, $4) "
                               "> 0 OR strpos(target, $4) > 0) ORDER BY ts DESC, id DESC LIMIT $2 OFFSET $3",
                               q.since, q.limit, q.offset, q.search),
                PgReadAudit);
        });
    }

  private:
    template <typename T, typename Reader, typename Arg>
    Result<T> One(const char* what, const std::string& sql, Reader read, const std::string& missing, const Arg& arg) {
        return pool_.Transact(what, [&](pqxx::work& tx) -> Result<T> {
            const pqxx::result rows = tx.exec_params(sql, arg);
            if (rows.empty()) return MakeError(ErrorCode::kNotFound, missing);
            return read(rows[0]);
        });
    }

    Status DeleteById(const char* sql, std::int64_t id, const std::string& what) {
        return pool_.Transact("deleting a " + what, [&](pqxx::work& tx) -> Status {
            if (tx.exec_params(sql, id).affected_rows() == 0)
                return MakeError(ErrorCode::kNotFound, what + " " + std::to_string(id) + " does not exist");
            return Status::Ok();
        });
    }

    Pool& pool_;
    const Clock& clock_;
};

}  // namespace

std::unique_ptr<IdentityStore> MakeIdentityTables(Pool& pool, const Clock& clock) {
    return std::make_unique<PgIdentityTables>(pool, clock);
}

}  // namespace cloudopt::pg
