#include "store/sqlite/connection.hpp"

#include <cassert>
#include <cstdio>

namespace cloudopt::sqlite {

Error SqliteError(sqlite3* db, int rc, std::string_view what) {
    std::string message = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED: return MakeError(ErrorCode::kUnavailable, message + " (database busy; retry)");
        case SQLITE_CONSTRAINT: return MakeError(ErrorCode::kConflict, message);
        case SQLITE_FULL: return MakeError(ErrorCode::kUnavailable, message + " (disk full)");
        default: return MakeError(ErrorCode::kInternal, message);
    }
}

namespace {

// Result codes that say the storage itself is failing, as opposed to a busy database or a constraint.
bool IsStorageFault(int rc) {
    switch (rc & 0xff) {
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
        case SQLITE_IOERR:
        case SQLITE_FULL:
        case SQLITE_READONLY:
        case SQLITE_CANTOPEN: return true;
        default: return false;
    }
}

}  // namespace

void FaultLog::Record(int rc, const std::string& message) {
    if (!IsStorageFault(rc)) return;
    std::lock_guard lock(mutex_);
    const int primary = rc & 0xff;
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
        if (!damage_) damage_ = message + " (the database is damaged: see docs/OPERATIONS.md, Start-up refusals)";
    } else {
        transient_ = message;
    }
}

void FaultLog::WriteCommitted() {
    std::lock_guard lock(mutex_);
    transient_.reset();
}

std::optional<std::string> FaultLog::Current() const {
    std::lock_guard lock(mutex_);
    return damage_ ? damage_ : transient_;
}

Statement::~Statement() { Reset(); }

void Statement::Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

Statement& Statement::Bind(int index, std::int64_t v) {
    sqlite3_bind_int64(stmt_, index, v);
    return *this;
}
Statement& Statement::Bind(int index, double v) {
    sqlite3_bind_double(stmt_, index, v);
    return *this;
}
Statement& Statement::Bind(int index, std::string_view v) {
    sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
}
Statement& Statement::BindBlob(int index, std::string_view bytes) {
    sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    return *this;
}

std::string_view Statement::Blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    return p ? std::string_view(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string_view();
}

Statement& Statement::BindNull(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
}

bool Statement::Step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE && status_.ok()) {
        status_ = SqliteError(db_, rc, "sqlite step");
        if (faults_) faults_->Record(rc, status_.error().message);
    }
    // A write outside BEGIN ... COMMIT committed here.
    if (rc == SQLITE_DONE && faults_ && !sqlite3_stmt_readonly(stmt_) && sqlite3_get_autocommit(db_))
        faults_->WriteCommitted();
    return false;
}

Status Statement::Run() {
    while (Step()) {
    }
    return status_;
}

std::string Statement::Text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, bool read_only, FaultLog* faults) {
    sqlite3* raw = nullptr;
    const int flags = (read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) |
                      SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    std::unique_ptr<Connection> conn(new Connection(raw, faults));
    if (rc != SQLITE_OK) return SqliteError(raw, rc, "cannot open database '" + path + "'");
    constexpr int kBusyTimeoutMs = 5000;
    sqlite3_busy_timeout(raw, kBusyTimeoutMs);
    for (const char* pragma : {"PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL", "PRAGMA temp_store=MEMORY",
                               "PRAGMA cache_size=-32768"}) {
        if (Status s = conn->Exec(pragma); !s) return s.error();
    }
    if (!read_only) {
        if (Status s = conn->Exec("PRAGMA journal_mode=WAL"); !s) return s.error();
    }
    return conn;
}

Statement Connection::Prepare(const std::string& sql) {
    auto& slot = cache_[sql];
    if (!slot) {
        sqlite3_stmt* stmt = nullptr;
        const int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size()),
                                          SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
        if (rc != SQLITE_OK) std::fprintf(stderr, "bad SQL (%s): %s\n", sqlite3_errmsg(db_.get()), sql.c_str());
        assert(rc == SQLITE_OK && "our SQL is fixed text; a failure here is a bug");
        slot.reset(stmt);
    }
    return Statement(slot.get(), db_.get(), faults_);
}

Status Connection::Exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string message = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        // Built with append: g++ 12 warns falsely (-Wrestrict, GCC PR105329) on "'" + std::string.
        std::string what = "statement '";
        what.append(sql, 0, 60).append("': ").append(message);
        Error error = SqliteError(nullptr, rc, what);
        if (faults_) faults_->Record(rc, error.message);
        return error;
    }
    if (faults_ && sql.rfind("COMMIT", 0) == 0) faults_->WriteCommitted();
    return Status::Ok();
}

}  // namespace cloudopt::sqlite
