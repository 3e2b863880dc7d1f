#include "app/db_commands.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "app/config.hpp"
#include "app/data_dir.hpp"
#include "store/data_dir_lock.hpp"
#include "store/store_checks.hpp"

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

}  // namespace cloudopt
