#pragma once
// Thin RAII over sqlite3: a connection that caches its prepared statements, and a statement cursor.
// Not thread-safe: each connection is used by one thread at a time (the store hands them out).

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cloudopt::sqlite {

struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
struct DbDeleter {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

// The storage faults the connections of one store met (a damaged file, an I/O error, a full or read-only disk),
// for readiness (/readyz): the API serves many reads from memory, so a store can be broken while requests succeed.
// Damage stays reported until restart (a damaged file does not heal); the others until the next committed write.
class FaultLog {
public:
    void Record(int rc, const std::string& message);
    void WriteCommitted();
    std::optional<std::string> Current() const;

private:
    mutable std::mutex mutex_;
    std::optional<std::string> damage_;
    std::optional<std::string> transient_;
};

// A prepared statement borrowed from the connection's cache; reset and unbound when it goes out of scope.
class Statement {
public:
    Statement(sqlite3_stmt* stmt, sqlite3* db, FaultLog* faults) : stmt_(stmt), db_(db), faults_(faults) {}
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& Bind(int index, std::int64_t v);
    Statement& Bind(int index, int v) { return Bind(index, static_cast<std::int64_t>(v)); }
    Statement& Bind(int index, double v);
    Statement& Bind(int index, std::string_view v);
    Statement& BindNull(int index);
    Statement& BindBlob(int index, std::string_view bytes);

    // Steps once: true when a row is ready, false when done. Errors are kept; see status().
    bool Step();
    // Runs to completion, for statements without rows.
    Status Run();
    Status status() const { return status_; }
    void Reset();

    std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
    double Double(int col) const { return sqlite3_column_double(stmt_, col); }
    std::string Text(int col) const;
    // Valid until the next Step or Reset.
    std::string_view Blob(int col) const;
    bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

private:
    sqlite3_stmt* stmt_;
    sqlite3* db_;
    FaultLog* faults_;
    Status status_;
};

class Connection {
public:
    // Opens with WAL, synchronous=NORMAL (a committed transaction survives a process crash; the WAL is fsynced at
    // checkpoints), foreign keys on, and a busy timeout so readers and the writer wait instead of failing.
    // Storage faults go to `faults` when given.
    static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool read_only,
                                                    FaultLog* faults = nullptr);

    Statement Prepare(const std::string& sql);  // asserts on SQL errors: our SQL is fixed text
    Status Exec(const std::string& sql);        // for DDL and BEGIN/COMMIT
    std::int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_.get()); }
    int Changes() const { return sqlite3_changes(db_.get()); }
    sqlite3* raw() const { return db_.get(); }

private:
    Connection(sqlite3* db, FaultLog* faults) : db_(db), faults_(faults) {}
    std::unique_ptr<sqlite3, DbDeleter> db_;
    FaultLog* faults_;
    std::map<std::string, std::unique_ptr<sqlite3_stmt, StmtDeleter>> cache_;
};

// Maps a sqlite result code to our error: busy/locked is kUnavailable (retry), constraint is kConflict.
Error SqliteError(sqlite3* db, int rc, std::string_view what);

}  // namespace cloudopt::sqlite
