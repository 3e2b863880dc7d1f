#include "app/db_commands.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "app/config.hpp"
#include "app/data_dir.hpp"
#include "store/data_dir_lock.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/store_checks.hpp"
#include "store/store_copy.hpp"

namespace cloudopt {

namespace {

Result<std::string> DataDirOf(const DbCommand& command) {
    auto config = LoadConfig(command.config_path, ProcessEnvironment());
    if (!config) return config.error();
    return command.data_dir ? *command.data_dir : config->data_dir;
}

int CheckFailed(const std::string& message) {
    std::cerr << "cloudopt: " << message << "\n";
    return 1;
}

Result<Config> ConfigOf(const DbCommand& command) {
    auto config = LoadConfig(command.config_path, ProcessEnvironment());
    if (!config) return config.error();
    if (command.data_dir) config->data_dir = *command.data_dir;
    if (command.store_url) {
        config->store_driver = "postgres";
        config->store_url = *command.store_url;
    }
    if (Status s = ValidateConfig(*config); !s) return s.error();
    return config;
}

}  // namespace

int RunDbCheck(const DbCommand& command) {
    auto dir = DataDirOf(command);
    if (!dir) return CheckFailed(dir.error().message);
    const std::string db_path = DatabasePath(*dir);
    std::error_code ec;
    if (!std::filesystem::exists(db_path, ec) && !std::filesystem::exists(*dir + "/" + DataDirLock::kFileName, ec))
        return CheckFailed("there is no store in " + *dir + " (set --data-dir or --config)");
    std::printf("store %s\n", db_path.c_str());
    const LockState lock = PeekDataDirLock(*dir);
    bool damaged = false;
    if (lock.held) {
        std::printf("  owner:     %s is running; its files are checked through SQLite only\n",
                    lock.record ? lock.record->Describe().c_str() : "a process");
    } else {
        if (lock.record && lock.record->state != "stopped")
            std::printf("  owner:     none; the last one (%s) stopped without closing the store\n",
                        lock.record->Describe().c_str());
        else
            std::printf("  owner:     none\n");
        // The write-ahead log is only steady when no one writes it.
        std::vector<std::string> notes;
        const auto problems = InspectStoreFiles(db_path, lock.record, notes);
        for (const std::string& p : problems) std::printf("  DAMAGED:   %s\n", p.c_str());
        for (const std::string& n : notes) std::printf("  note:      %s\n", n.c_str());
        if (problems.empty()) std::printf("  files:     ok (database, write-ahead log)\n");
        damaged = !problems.empty();
    }
    const char* which = command.full ? "integrity_check" : "quick_check";
    if (std::filesystem::exists(db_path, ec) && std::filesystem::file_size(db_path, ec) > 0) {
        auto check = CheckDatabaseIntegrity(db_path, command.full);
        if (!check) {
            std::printf("  DAMAGED:   %s cannot run: %s\n", which, check.error().message.c_str());
            damaged = true;
        } else if (check->empty()) {
            std::printf("  integrity: ok (%s)\n", which);
        } else {
            for (const std::string& line : *check) std::printf("  DAMAGED:   %s: %s\n", which, line.c_str());
            damaged = true;
        }
    }
    if (damaged) {
        std::printf(
            "result: DAMAGED. Keep the files as they are; restore a backup or start once with "
            "`cloudopt serve --accept-damaged-store` (docs/OPERATIONS.md, 'Start-up refusals')\n");
        return 1;
    }
    std::printf("result: ok\n");
    return 0;
}

int RunDbBackup(const DbCommand& command) {
    auto dir = DataDirOf(command);
    if (!dir) return CheckFailed(dir.error().message);
    const std::string db_path = DatabasePath(*dir);
    std::error_code ec;
    if (!std::filesystem::exists(db_path, ec) || std::filesystem::file_size(db_path, ec) == 0)
        return CheckFailed("there is no database at " + db_path + " to back up (set --data-dir or --config)");
    if (Status s = BackupDatabase(db_path, command.out); !s) return CheckFailed(s.error().message);
    const auto bytes = std::filesystem::file_size(command.out, ec);
    std::printf("backed up %s to %s (%llu bytes, integrity_check ok)\n", db_path.c_str(), command.out.c_str(),
                static_cast<unsigned long long>(bytes));
    return 0;
}

int RunDbMigrate(const DbCommand& command) {
    auto config = ConfigOf(command);
    if (!config) return CheckFailed(config.error().message);
    if (config->store_driver == "postgres") {
        PostgresOptions options;
        options.url = config->store_url;
        options.password = config->store_password;
        auto report = MigratePostgres(options);
        if (!report) return CheckFailed(report.error().message);
        if (report->from == report->to)
            std::printf("PostgreSQL store at %s: schema version %d, up to date\n", RedactStoreUrl(options.url).c_str(),
                        report->to);
        else
            std::printf("PostgreSQL store at %s: migrated from schema version %d to %d\n",
                        RedactStoreUrl(options.url).c_str(), report->from, report->to);
        return 0;
    }
    // The SQLite store migrates when it opens; opening it owns the data directory for the moment.
    UseOwnerOnlyFileModes();
    DataDirOptions options;
    options.data_dir = config->data_dir;
    options.command = "db migrate";
    SystemClock clock;
    auto owned = OpenDataDir(options, clock);
    if (!owned) return CheckFailed(owned.error().message);
    std::printf("SQLite store %s: schema up to date\n", DatabasePath(config->data_dir).c_str());
    return 0;
}

int RunDbCopy(const DbCommand& command) {
    auto config = LoadConfig(command.config_path, ProcessEnvironment());
    if (!config) return CheckFailed(config.error().message);
    if (command.from.rfind("sqlite:", 0) != 0 || command.from.size() <= 7)
        return CheckFailed("--from must be sqlite:PATH, PATH a data directory or its cloudopt.db (got '" +
                           command.from + "')");
    std::string path = command.from.substr(7);
    std::error_code ec;
    const bool is_dir = std::filesystem::is_directory(path, ec);
    const std::string dir = is_dir ? path : std::filesystem::path(path).parent_path().string();
    if (is_dir) path = DatabasePath(path);
    if (!std::filesystem::exists(path, ec)) return CheckFailed("there is no SQLite store at " + path);
    // A service still writing would add what the snapshot misses.
    const LockState lock = PeekDataDirLock(dir.empty() ? "." : dir);
    if (lock.held)
        return CheckFailed((lock.record ? lock.record->Describe() : std::string("a process")) + " has the store " +
                           path + " open: stop it first, so nothing it writes after the copy is left behind");
    PostgresOptions to;
    to.url = command.to;
    to.password = config->store_password;
    std::printf("copying %s to %s\n", path.c_str(), RedactStoreUrl(to.url).c_str());
    std::fflush(stdout);
    auto copied = CopySqliteToPostgres(path, to);
    if (!copied) return CheckFailed(copied.error().message);
    std::printf("  %-18s %12s  %s\n", "table", "rows", "checksum (the same on both sides)");
    for (const TableDigest& t : *copied)
        std::printf("  %-18s %12lld  %s\n", t.table.c_str(), static_cast<long long>(t.rows), t.checksum.c_str());
    std::printf(
        "result: ok, every table copied and checked; run cloudopt with store.driver: postgres and store.url: %s\n",
        RedactStoreUrl(to.url).c_str());
    return 0;
}

}  // namespace cloudopt
