#include "app/data_dir.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>

#include "store/postgres/postgres_store.hpp"
#include "store/store_checks.hpp"

namespace cloudopt {

namespace {

namespace fs = std::filesystem;

std::string OctalMode(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

std::string RepairSteps(const std::string& data_dir) {
    return "To repair (docs/OPERATIONS.md, 'Start-up refusals'): leave the files as they are and run `cloudopt db "
           "check --data-dir " +
           data_dir +
           "` for a report; then either restore the newest backup (docs/OPERATIONS.md, 'Restore'), or start once with "
           "`cloudopt serve --accept-damaged-store` to run on what SQLite can still read (the damaged part is lost; "
           "the files are first copied to " +
           data_dir + "/damaged-<time>/)";
}

// Keeps the files as they were before SQLite drops what it cannot read, for a later look or a manual rescue.
Result<std::string> CopyAside(const std::string& data_dir, const std::string& db_path) {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    const fs::path folder = fs::path(data_dir) / (std::string("damaged-") + stamp);
    std::error_code ec;
    fs::create_directories(folder, ec);
    for (const char* suffix : {"", "-wal", "-shm"}) {
        const fs::path from = db_path + suffix;
        if (!fs::exists(from, ec)) continue;
        fs::copy_file(from, folder / from.filename(), fs::copy_options::overwrite_existing, ec);
        if (ec)
            return MakeError(ErrorCode::kUnavailable, "cannot keep a copy of " + from.string() + " in " +
                                                          folder.string() + ": " + ec.message() + " (disk full?)");
    }
    return folder.string();
}

Result<std::unique_ptr<Store>> OpenPostgres(const DataDirOptions& options, const Clock& clock) {
    PostgresOptions pg;
    pg.url = options.store_url;
    pg.password = options.store_password;
    pg.max_connections = options.store_max_connections;
    return OpenPostgresStore(pg, clock);
}

}  // namespace

void UseConfiguredStore(const Config& config, DataDirOptions& options) {
    if (config.store_driver != "postgres") return;
    options.store_url = config.store_url;
    options.store_password = config.store_password;
    options.store_max_connections = config.store_max_connections;
}

void UseOwnerOnlyFileModes() { ::umask(077); }

std::string DatabasePath(const std::string& data_dir) { return (fs::path(data_dir) / "cloudopt.db").string(); }

std::vector<std::string> LoosePermissionWarnings(const std::string& data_dir) {
    std::vector<std::string> warnings;
    struct stat st {};
    if (::stat(data_dir.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
        warnings.push_back("the data directory " + data_dir + " has mode " + OctalMode(st.st_mode) +
                           ": other users can reach the database and keys in it; run: chmod 700 " + data_dir);
    const std::string db = DatabasePath(data_dir);
    for (const std::string& path : {db, db + "-wal", db + "-shm"}) {
        if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
            warnings.push_back(path + " has mode " + OctalMode(st.st_mode) +
                               ": other users can read password hashes and sealed credentials in it; run: chmod 600 " +
                               path);
    }
    return warnings;
}

Result<OwnedStore> OpenDataDir(const DataDirOptions& options, const Clock& clock) {
    const std::string& dir = options.data_dir;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return MakeError(ErrorCode::kUnavailable, "cannot create data directory '" + dir + "': " + ec.message());
    for (const std::string& warning : LoosePermissionWarnings(dir)) spdlog::warn("{}", warning);

    OwnedStore owned;
    auto lock = DataDirLock::Acquire(dir, options.command);
    if (!lock) {
        if (lock.error().code != ErrorCode::kConflict || !options.read_only_ok_without_lock) return lock.error();
        // The owner keeps the files sound; a reader beside it neither checks them (the owner writes them as we
        // read) nor takes part in checkpoints.
        auto store = options.store_url.empty() ? OpenSqliteStore(DatabasePath(dir), clock, options.durability)
                                               : OpenPostgres(options, clock);
        if (!store) return store.error();
        owned.store = std::move(*store);
        return owned;
    }
    owned.lock.emplace(std::move(*lock));
    if (!options.store_url.empty()) {
        auto store = OpenPostgres(options, clock);
        if (!store) return store.error();
        owned.store = std::move(*store);
        if (Status s = owned.lock->MarkStoreOpen(0); !s) return s.error();
        return owned;
    }
    const auto& previous = owned.lock->previous();
    if (previous && previous->state != "stopped")
        spdlog::warn(
            "the last process in {} ({}) stopped without closing the store (a crash or kill -9); checking "
            "its files",
            dir, previous->Describe());

    const std::string db_path = DatabasePath(dir);
    std::vector<std::string> notes;
    std::vector<std::string> problems = InspectStoreFiles(db_path, previous, notes);
    for (const std::string& note : notes) spdlog::warn("{}", note);
    if (problems.empty() && options.integrity_check && fs::file_size(db_path, ec) > 0 && !ec) {
        auto check = CheckDatabaseIntegrity(db_path, false);
        if (!check) {
            problems.push_back("the database " + db_path + " cannot be checked: " + check.error().message);
        } else if (!check->empty()) {
            std::string found;
            for (std::size_t i = 0; i < check->size() && i < 3; ++i) found += (i ? "; " : "") + (*check)[i];
            problems.push_back("the database " + db_path + " is damaged: SQLite's quick_check found " +
                               std::to_string(check->size()) + " problem(s): " + found);
        }
    }
    if (!problems.empty()) {
        std::string all;
        for (const std::string& p : problems) all += (all.empty() ? "" : "; ") + p;
        if (!options.accept_damaged_store)
            return MakeError(ErrorCode::kUnavailable,
                             "refusing to start on a damaged store: " + all + ". " + RepairSteps(dir));
        auto kept = CopyAside(dir, db_path);
        if (!kept) return kept.error();
        spdlog::warn(
            "--accept-damaged-store: starting on a damaged store ({}); what SQLite cannot read is lost. The "
            "files as they were are in {}",
            all, *kept);
        if (fs::exists(db_path, ec)) {
            if (Status s = FoldWriteAheadLog(db_path); !s) spdlog::warn("{}", s.error().message);
        }
    }

    auto store = OpenSqliteStore(db_path, clock, options.durability);
    if (!store)
        return MakeError(store.error().code,
                         "cannot open the store " + db_path + ": " + store.error().message + ". " + RepairSteps(dir));
    owned.store = std::move(*store);
    if (Status s = owned.lock->MarkStoreOpen(FileInode(db_path)); !s) return s.error();
    return owned;
}

}  // namespace cloudopt
