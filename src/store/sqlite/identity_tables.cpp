#include "store/sqlite/identity_tables.hpp"

namespace cloudopt::sqlite {

namespace {

constexpr const char* kUserColumns = "id, name, role, password_hash, created_at, disabled";
constexpr const char* kApiTokenColumns = "id, name, scope, token_hash, created_by, created_at, revoked_at";
constexpr const char* kCredentialColumns = "id, name, kind, sealed, key_id, hint, created_at, updated_at";

User ReadUser(const Statement& s) {
    User u;
    u.id = s.Int(0);
    u.name = s.Text(1);
    u.role = ParseRole(s.Text(2)).value_or(Role::kViewer);
    u.password_hash = s.Text(3);
    u.created_at = s.Int(4);
    u.disabled = s.Int(5) != 0;
    return u;
}

RefreshToken ReadRefresh(const Statement& s) {
    RefreshToken t;
    t.id = s.Int(0);
    t.user_id = s.Int(1);
    t.token_hash = s.Text(2);
    t.family = s.Text(3);
    t.created_at = s.Int(4);
    t.expires_at = s.Int(5);
    t.revoked = s.Int(6) != 0;
    return t;
}

ApiToken ReadApiToken(const Statement& s) {
    ApiToken t;
    t.id = s.Int(0);
    t.name = s.Text(1);
    t.scope = s.Text(2);
    t.token_hash = s.Text(3);
    t.created_by = s.Text(4);
    t.created_at = s.Int(5);
    if (!s.IsNull(6)) t.revoked_at = s.Int(6);
    return t;
}

StoredCredential ReadCredential(const Statement& s) {
    StoredCredential c;
    c.id = s.Int(0);
    c.name = s.Text(1);
    c.kind = s.Text(2);
    c.sealed = std::string(s.Blob(3));
    c.key_id = s.Text(4);
    c.hint = s.Text(5);
    c.created_at = s.Int(6);
    c.updated_at = s.Int(7);
    return c;
}

template <typename T, typename Reader>
Result<std::vector<T>> ReadAll(Statement& s, Reader read) {
    std::vector<T> out;
    while (s.Step()) out.push_back(read(s));
    if (!s.status()) return s.status().error();
    return out;
}

template <typename T, typename Reader>
Result<T> ReadOne(Statement& s, Reader read, const std::string& missing) {
    if (s.Step()) return read(s);
    if (!s.status()) return s.status().error();
    return MakeError(ErrorCode::kNotFound, missing);
}

class IdentityTables final : public IdentityStore {
  public:
    IdentityTables(Connection& db, std::mutex& mutex, const Clock& clock) : db_(db), mutex_(mutex), clock_(clock) {}

    Result<User> CreateUser(const User& user) override {
        std::lock_guard lock(mutex_);
        User created = user;
        if (created.created_at == 0) created.created_at = clock_.Now();
        Statement s =
            db_.Prepare("INSERT INTO users (name, role, password_hash, created_at, disabled) VALUES (?,?,?,?,?)");
        s.Bind(1, user.name).Bind(2, std::string_view(RoleName(user.role))).Bind(3, user.password_hash);
        s.Bind(4, created.created_at).Bind(5, user.disabled ? 1 : 0);
        if (Status st = s.Run(); !st) {
            if (st.error().code == ErrorCode::kConflict)
                return MakeError(ErrorCode::kConflict, "a user named '" + user.name + "' already exists");
            return st.error();
        }
        created.id = db_.LastInsertId();
        return created;
    }

    Result<User> GetUser(std::int64_t id) override {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare(std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?");
        s.Bind(1, id);
        return ReadOne<User>(s, ReadUser, "user " + std::to_string(id) + " does not exist");
    }

    Result<User> FindUser(const std::string& name) override {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare(std::string("SELECT ") + kUserColumns + " FROM users WHERE name = ?");
        s.Bind(1, name);
        return ReadOne<User>(s, ReadUser, "user '" + name + "' does not exist");
    }

    Result<std::vector<User>> ListUsers() override {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare(std::string("SELECT ") + kUserColumns + " FROM users ORDER BY name");
        return ReadAll<User>(s, ReadUser);
    }

    Result<User> UpdateUser(const User& user) override {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare("UPDATE users SET role = ?, password_hash = ?, disabled = ? WHERE id = ?");
        s.Bind(1, std::string_view(RoleName(user.role))).Bind(2, user.password_hash).Bind(3, user.disabled ? 1 : 0);
        s.Bind(4, user.id);
        if (Status st = s.Run(); !st) return st.error();
        if (db_.Changes() == 0)
            return MakeError(ErrorCode::kNotFound, "user " + std::to_string(user.id) + " does not exist");
        Statement r = db_.Prepare(std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?");
        r.Bind(1, user.id);
        return ReadOne<User>(r, ReadUser, "user vanished");
    }

    Status DeleteUser(std::int64_t id) override { return DeleteById("DELETE FROM users WHERE id = ?", id, "user"); }

    Result<std::int64_t> CountUsers() override {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare("SELECT count(*) FROM users");
        if (s.Step()) return s.Int(0);
        return s.status().error();
    }

    Status SaveRefreshToken(const RefreshToken& t) override {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare(
            "INSERT INTO refresh_tokens (user_id, token_hash, family, created_at, expires_at, revoked) VALUES "
            "(?,?,?,?,?,?)");
        s.Bind(1, t.user_id).Bind(2, t.token_hash).Bind(3, t.family).Bind(4, t.created_at).Bind(5, t.expires_at);
        s.Bind(6, t.revoked ? 1 : 0);
        if (Status st = s.Run(); !st) {
            if (st.error().code == ErrorCode::kConflict)
                return MakeError(ErrorCode::kNotFound, "user " + std::to_string(t.user_id) + " does not exist");
            return st;
        }
        return Status::Ok();
    }

    Result<std::optional<RefreshToken>> FindRefreshToken(const std::string& token_hash) override {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare(
            "SELECT id, user_id, token_hash, family, created_at, expires_at, revoked FROM refresh_tokens "
            "WHERE token_hash = ?");
        s.Bind(1, token_hash);
        if (s.Step()) return std::optional<RefreshToken>(ReadRefresh(s));
        if (!s.status()) return s.status().error();
        return std::optional<RefreshToken>();
    }

    Result<bool> RevokeRefreshToken(std::int64_t id) override {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare("UPDATE refresh_tokens SET revoked = 1 WHERE id = ? AND revoked = 0");
        s.Bind(1, id);
        if (Status st = s.Run(); !st) return st.error();
        return db_.Changes() == 1;
    }

    Status RevokeRefreshFamily(const std::string& family) override {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare("UPDATE refresh_tokens SET revoked = 1 WHERE family = ?");
        s.Bind(1, family);
        return s.Run();
    }

    Status RevokeUserRefreshTokens(std::int64_t user_id) override {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare("UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?");
        s.Bind(1, user_id);
        return s.Run();
    }

    Result<ApiToken> CreateApiToken(const ApiToken& token) override {
        std::lock_guard lock(mutex_);
        ApiToken created = token;
        if (created.created_at == 0) created.created_at = clock_.Now();
        created.revoked_at.reset();
        Statement s =
            db_.Prepare("INSERT INTO api_tokens (name, scope, token_hash, created_by, created_at) VALUES (?,?,?,?,?)");
        s.Bind(1, token.name).Bind(2, token.scope).Bind(3, token.token_hash).Bind(4, token.created_by);
        s.Bind(5, created.created_at);
        if (Status st = s.Run(); !st) {
            if (st.error().code == ErrorCode::kConflict)
                return MakeError(ErrorCode::kConflict, "an API token named '" + token.name + "' already exists");
            return st.error();
        }
        created.id = db_.LastInsertId();
        return created;
    }

    Result<std::vector<ApiToken>> ListApiTokens() override {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare(std::string("SELECT ") + kApiTokenColumns + " FROM api_tokens ORDER BY id");
        return ReadAll<ApiToken>(s, ReadApiToken);
    }

    Status RevokeApiToken(std::int64_t id, UnixSeconds at) override {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare("UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?");
        s.Bind(1, at).Bind(2, id);
        if (Status st = s.Run(); !st) return st;
        if (db_.Changes() == 0)
            return MakeError(ErrorCode::kNotFound, "API token " + std::to_string(id) + " does not exist");
        return Status::Ok();
    }

    Result<StoredCredential> SaveCredential(const StoredCredential& c) override {
        std::lock_guard lock(mutex_);
        const UnixSeconds now = c.updated_at != 0 ? c.updated_at : clock_.Now();
        Statement s = db_.Prepare(
            "INSERT INTO credentials (name, kind, sealed, key_id, hint, created_at, updated_at) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, sealed = excluded.sealed, key_id = "
            "excluded.key_id, "
            "hint = excluded.hint, updated_at = excluded.updated_at");
        s.Bind(1, c.name).Bind(2, c.kind).BindBlob(3, c.sealed).Bind(4, c.key_id).Bind(5, c.hint).Bind(6, now);
        s.Bind(7, now);
        if (Status st = s.Run(); !st) return st.error();
        Statement r = db_.Prepare(std::string("SELECT ") + kCredentialColumns + " FROM credentials WHERE name = ?");
        r.Bind(1, c.name);
        return ReadOne<StoredCredential>(r, ReadCredential, "credential vanished");
    }

    Result<std::vector<StoredCredential>> ListCredentials() override {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare(std::string("SELECT ") + kCredentialColumns + " FROM credentials ORDER BY name");
        return ReadAll<StoredCredential>(s, ReadCredential);
    }

    Result<StoredCredential> GetCredential(std::int64_t id) override {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare(std::string("SELECT ") + kCredentialColumns + " FROM credentials WHERE id = ?");
        s.Bind(1, id);
        return ReadOne<StoredCredential>(s, ReadCredential, "credential " + std::to_string(id) + " does not exist");
    }

    Status DeleteCredential(std::int64_t id) override {
        return DeleteById("DELETE FROM credentials WHERE id = ?", id, "credential");
    }

    Status AppendAudit(const AuditEntry& e) override {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare(
            "INSERT INTO audit_log (ts, actor, action, target, status, remote_address, count, detail) "
            "VALUES (?,?,?,?,?,?,?,?)");
        s.Bind(1, e.ts)
            .Bind(2, e.actor)
            .Bind(3, e.action)
            .Bind(4, e.target)
            .Bind(5, e.status)
            .Bind(6, e.remote_address);
        s.Bind(7, e.count).Bind(8, e.detail);
        return s.Run();
    }

    static constexpr std::int64_t kPruneBatch = 10000;

    Result<std::int64_t> PruneAudit(UnixSeconds before, std::int64_t max_rows) override {
        std::lock_guard lock(mutex_);
        // At most kPruneBatch rows a call, so one call never holds the writer long; the next call goes on.
        Statement by_age = db_.Prepare(
            "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE ts < ? ORDER BY id LIMIT ?)");
        by_age.Bind(1, before).Bind(2, kPruneBatch);
        if (Status s = by_age.Run(); !s) return s.error();
        std::int64_t removed = db_.Changes();
        // The newest max_rows stay: ids grow with time, so the cut is one indexed range.
        Statement by_size = db_.Prepare(
            "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE id <= (SELECT id FROM audit_log ORDER "
            "BY "
            "id DESC LIMIT 1 OFFSET ?) ORDER BY id LIMIT ?)");
        by_size.Bind(1, max_rows).Bind(2, kPruneBatch);
        if (Status s = by_size.Run(); !s) return s.error();
        return removed + db_.Changes();
    }

    Result<std::vector<AuditEntry>> ListAudit(const AuditQuery& q) override {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare(
            "SELECT id, ts, actor, action, target, status, remote_address, count, detail FROM audit_log WHERE ts >= ? "
            "AND (? = '' OR instr(actor, ?) > 0 OR instr(action, ?) > 0 OR instr(target, ?) > 0) "
            "ORDER BY ts DESC, id DESC LIMIT ? OFFSET ?");
        s.Bind(1, q.since).Bind(2, q.search).Bind(3, q.search).Bind(4, q.search).Bind(5, q.search);
        s.Bind(6, q.limit).Bind(7, q.offset);
        return ReadAll<AuditEntry>(s, [](const Statement& r) {
            AuditEntry e;
            e.id = r.Int(0);
            e.ts = r.Int(1);
            e.actor = r.Text(2);
            e.action = r.Text(3);
            e.target = r.Text(4);
            e.status = static_cast<int>(r.Int(5));
            e.remote_address = r.Text(6);
            e.count = r.Int(7);
            e.detail = r.Text(8);
            return e;
        });
    }

  private:
    Status DeleteById(const char* sql, std::int64_t id, const std::string& what) {
        std::lock_guard lock(mutex_);
        Statement s = db_.Prepare(sql);
        s.Bind(1, id);
        if (Status st = s.Run(); !st) return st;
        if (db_.Changes() == 0)
            return MakeError(ErrorCode::kNotFound, what + " " + std::to_string(id) + " does not exist");
        return Status::Ok();
    }

    Connection& db_;
    std::mutex& mutex_;
    const Clock& clock_;
};

}  // namespace

std::unique_ptr<IdentityStore> MakeIdentityTables(Connection& writer, std::mutex& write_mutex, const Clock& clock) {
    return std::make_unique<IdentityTables>(writer, write_mutex, clock);
}

}  // namespace cloudopt::sqlite
