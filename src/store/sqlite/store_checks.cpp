#include "store/store_checks.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

#include "store/sqlite/connection.hpp"
#include "store/sqlite/wal_file.hpp"

namespace cloudopt {

namespace {

std::uint64_t FileSize(const std::string& path, bool& exists) {
    struct stat st {};
    exists = ::stat(path.c_str(), &st) == 0;
    return exists ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// Bytes 18 and 19 of a database header are the read and write format versions: 2 means WAL mode.
bool DatabaseInWalMode(const std::string& db_path) {
    unsigned char header[20] = {};
    const int fd = ::open(db_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool read = ::pread(fd, header, sizeof header, 0) == static_cast<ssize_t>(sizeof header);
    ::close(fd);
    return read && std::memcmp(header, "SQLite format 3", 16) == 0 && header[18] == 2 && header[19] == 2;
}

// The shared-memory index (DB-shm) that SQLite leaves after a crash: its header says how many WAL frames were
// valid (mxFrame, offset 16) and how many were already copied into the database (nBackfill, offset 96). Both are
// in the host's byte order. Frames not yet copied exist only in the WAL.
std::uint32_t FramesOnlyInWal(const std::string& shm_path) {
    unsigned char buf[100] = {};
    const int fd = ::open(shm_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    const bool read = ::pread(fd, buf, sizeof buf, 0) == static_cast<ssize_t>(sizeof buf);
    ::close(fd);
    if (!read || buf[12] != 1) return 0;  // isInit
    std::uint32_t max_frame = 0;
    std::uint32_t backfilled = 0;
    std::memcpy(&max_frame, buf + 16, 4);
    std::memcpy(&backfilled, buf + 96, 4);
    return max_frame > backfilled ? max_frame - backfilled : 0;
}

struct ReadOnlyDb {
    std::unique_ptr<sqlite3, sqlite::DbDeleter> db;
    int rc = SQLITE_OK;
};

ReadOnlyDb OpenReadOnly(const std::string& path) {
    sqlite3* raw = nullptr;
    ReadOnlyDb out;
    out.rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    out.db.reset(raw);
    if (out.rc == SQLITE_OK) {
        // A check must never fold the WAL into the database or delete it: that is what it may be asked about.
        sqlite3_db_config(raw, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
        sqlite3_busy_timeout(raw, 5000);
    }
    return out;
}

}  // namespace

unsigned long long FileInode(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<unsigned long long>(st.st_ino) : 0;
}

std::vector<std::string> InspectStoreFiles(const std::string& db_path, const std::optional<LockRecord>& previous,
                                           std::vector<std::string>& notes) {
    std::vector<std::string> problems;
    const std::string wal_path = db_path + "-wal";
    bool db_exists = false;
    const std::uint64_t db_bytes = FileSize(db_path, db_exists);
    // The last holder had a database open here: a missing or empty one now is lost data, not a fresh install.
    const bool had_store = previous && previous->db_inode != 0;
    const sqlite::WalInspection wal = sqlite::InspectWal(wal_path);
    if (had_store && !db_exists) {
        problems.push_back("the database " + db_path + " is missing, but " + previous->Describe() +
                           " had a database open in this directory: it was deleted or moved, and starting would "
                           "create an empty one");
    } else if (db_exists && db_bytes == 0 && (had_store || wal.file_bytes > 32)) {
        problems.push_back("the database " + db_path + " is empty (0 bytes), but this directory held a database " +
                           (had_store ? std::string("(") + previous->Describe() + " had it open)"
                                      : std::string("(its write-ahead log remains)")) +
                           ": it was truncated, and starting would begin from nothing");
    }
    if (wal.damaged) problems.push_back(wal.problem);
    if (wal.torn_tail)
        notes.push_back("the write-ahead log " + wal_path +
                        " ends in a frame whose page was never written (a crash while a transaction was being "
                        "written): that transaction was not committed, and SQLite drops it");

    if (!wal.exists && db_exists && db_bytes > 0 && DatabaseInWalMode(db_path)) {
        const std::uint32_t lost_frames = FramesOnlyInWal(db_path + "-shm");
        const bool died_with_store_open =
            previous && previous->state == "open" && previous->db_inode == FileInode(db_path);
        if (lost_frames > 0) {
            problems.push_back("the write-ahead log " + wal_path + " is missing, while " + db_path + "-shm shows " +
                               std::to_string(lost_frames) +
                               " of its pages were not yet copied into the database: committed writes are lost");
        } else if (died_with_store_open) {
            problems.push_back("the write-ahead log " + wal_path +
                               " is missing, but the last process with this "
                               "store open (" +
                               previous->Describe() +
                               ") stopped without closing it, so its recent committed writes were only in that log");
        }
    }
    return problems;
}

Result<std::vector<std::string>> CheckDatabaseIntegrity(const std::string& db_path, bool full) {
    bool exists = false;
    FileSize(db_path, exists);
    if (!exists) return MakeError(ErrorCode::kNotFound, "there is no database at " + db_path);
    ReadOnlyDb ro = OpenReadOnly(db_path);
    if (ro.rc != SQLITE_OK) return sqlite::SqliteError(ro.db.get(), ro.rc, "cannot open " + db_path);
    sqlite3_stmt* raw = nullptr;
    const char* sql = full ? "PRAGMA integrity_check(100)" : "PRAGMA quick_check(100)";
    std::vector<std::string> problems;
    int rc = sqlite3_prepare_v2(ro.db.get(), sql, -1, &raw, nullptr);
    std::unique_ptr<sqlite3_stmt, sqlite::StmtDeleter> stmt(raw);
    if (rc == SQLITE_OK) {
        while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
            const std::string line = text ? text : "";
            if (line != "ok") problems.push_back(line);
        }
    }
    if (rc != SQLITE_DONE) {
        // "file is not a database", "database disk image is malformed": the damage stops the check itself.
        problems.push_back(std::string(sqlite3_errmsg(ro.db.get())) + " (SQLite error " + std::to_string(rc) + ")");
    }
    return problems;
}

Status FoldWriteAheadLog(const std::string& db_path) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    std::unique_ptr<sqlite3, sqlite::DbDeleter> db(raw);
    if (rc != SQLITE_OK) return sqlite::SqliteError(raw, rc, "cannot open " + db_path);
    sqlite3_busy_timeout(raw, 5000);
    int log_frames = 0;
    int folded = 0;
    const int cp = sqlite3_wal_checkpoint_v2(raw, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log_frames, &folded);
    // A database not in WAL mode has no log to fold.
    if (cp != SQLITE_OK && (cp & 0xff) != SQLITE_ERROR) return sqlite::SqliteError(raw, cp, "checkpoint of " + db_path);
    return Status::Ok();
}

Status BackupDatabase(const std::string& db_path, const std::string& out_path) {
    ReadOnlyDb source = OpenReadOnly(db_path);
    if (source.rc != SQLITE_OK) return sqlite::SqliteError(source.db.get(), source.rc, "cannot open " + db_path);
    const std::string temporary = out_path + ".partial";
    std::remove(temporary.c_str());
    // Created 0600 before SQLite opens it: a backup holds password hashes and sealed credentials.
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return MakeError(ErrorCode::kInvalidArgument, "cannot create '" + temporary + "': " + std::strerror(errno) +
                                                          " (is --out's folder writable?)");
    ::close(fd);
    auto fail = [&](Error e) {
        std::remove(temporary.c_str());
        return Status(std::move(e));
    };
    {
        sqlite3* raw = nullptr;
        int rc = sqlite3_open_v2(temporary.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
        std::unique_ptr<sqlite3, sqlite::DbDeleter> dest(raw);
        if (rc != SQLITE_OK) return fail(sqlite::SqliteError(raw, rc, "cannot open '" + temporary + "'"));
        sqlite3_backup* backup = sqlite3_backup_init(raw, "main", source.db.get(), "main");
        if (!backup) return fail(sqlite::SqliteError(raw, sqlite3_errcode(raw), "cannot start the backup"));
        // All pages in one step: one read transaction on the source, so the copy is one consistent snapshot.
        do {
            rc = sqlite3_backup_step(backup, -1);
            if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
        } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
        sqlite3_backup_finish(backup);
        if (rc != SQLITE_DONE) return fail(sqlite::SqliteError(raw, rc, "backup of " + db_path + " failed"));
        // A single self-contained file: no WAL beside it to forget when copying it elsewhere.
        char* err = nullptr;
        rc = sqlite3_exec(raw, "PRAGMA journal_mode=DELETE", nullptr, nullptr, &err);
        sqlite3_free(err);
        if (rc != SQLITE_OK) return fail(sqlite::SqliteError(raw, rc, "finishing the backup"));
    }
    auto check = CheckDatabaseIntegrity(temporary, true);
    if (!check) return fail(check.error());
    if (!check->empty())
        return fail(MakeError(ErrorCode::kInternal, "the backup copy failed its integrity check (" + check->front() +
                                                        "): the source is damaged; run `cloudopt db check --full`"));
    const int out = ::open(temporary.c_str(), O_RDONLY | O_CLOEXEC);
    const bool synced = out >= 0 && ::fsync(out) == 0;
    if (out >= 0) ::close(out);
    if (!synced || std::rename(temporary.c_str(), out_path.c_str()) != 0)
        return fail(MakeError(ErrorCode::kInternal, "cannot move the backup into place at '" + out_path + "'"));
    return Status::Ok();
}

}  // namespace cloudopt
