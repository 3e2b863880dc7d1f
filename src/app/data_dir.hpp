#pragma once
// Taking ownership of a data directory and opening its store, for `cloudopt serve` and the CLI commands that
// open the store: the directory lock (store/data_dir_lock.hpp), owner-only permissions, and the checks that
// refuse a damaged or emptied store instead of silently losing data (docs/OPERATIONS.md).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "store/data_dir_lock.hpp"
#include "store/store.hpp"

namespace cloudopt {

struct DataDirOptions {
    std::string data_dir;
    std::string command;  // for the lock record and messages: "serve", "user add", ...
    Durability durability = Durability::kProcessCrash;
    bool integrity_check = false;       // PRAGMA quick_check before opening (serve)
    bool accept_damaged_store = false;  // start on a store the checks refuse, keeping a copy of its files
    // When another process owns the directory: false refuses (the command writes); true opens the store
    // without the lock (the command only reads, and SQLite keeps that safe).
    bool read_only_ok_without_lock = false;
    // With a PostgreSQL URL the store is that database (migrated at open, under its advisory lock) and the data
    // directory holds only the keys and the lock; the SQLite file checks do not apply.
    std::string store_url;
    std::string store_password;
    int store_max_connections = 8;
};

// Members are destroyed in reverse: the store closes before the lock records a clean stop.
struct OwnedStore {
    std::optional<DataDirLock> lock;  // empty when a read-only command runs beside the owner
    std::unique_ptr<Store> store;
};

// Makes the process's new files owner-only (umask 077): the database holds password hashes and sealed
// credentials, and SQLite creates its -wal and -shm files as the process makes them.
void UseOwnerOnlyFileModes();

// Warnings for an existing data directory or store file that other users can read: path, mode, chmod command.
std::vector<std::string> LoosePermissionWarnings(const std::string& data_dir);

// Copies the config's store choice (store.driver, store.url, store.password) into `options`.
void UseConfiguredStore(const Config& config, DataDirOptions& options);

// The path of the database in a data directory.
std::string DatabasePath(const std::string& data_dir);

// Creates the directory (0700) if needed, takes its lock, checks the store's files (and with integrity_check, the
// database), and opens the store. Errors say what is wrong and how to repair it; warnings go to the log.
Result<OwnedStore> OpenDataDir(const DataDirOptions& options, const Clock& clock);

}  // namespace cloudopt
