#pragma once
// The lock that makes one process the owner of a data directory. The store keeps caches that are exact only
// while one process writes the database (docs/ARCHITECTURE.md, Storage), and two control loops on one store
// would both act on the clouds; so `cloudopt serve` and the CLI commands that write hold this lock for as long
// as they run.
//
// DATA_DIR/cloudopt.lock is locked with flock(2) (released by the kernel when the holder dies, so a lock is never
// stale) and holds a record of the holder: pid, host, start time, command, and whether it had the store open.
// The file is never deleted: deleting a locked file lets a second process lock a new file of the same name.
// flock is not reliable on some network file systems: keep the data directory on a local disk.

#include <optional>
#include <string>

#include "core/error.hpp"

namespace cloudopt {

struct LockRecord {
    long long pid = 0;
    std::string host;
    std::string since;    // UTC, ISO 8601
    std::string command;  // "serve", "user add", ...
    // "starting" (locked, store not yet open), "open" (store open), "stopped" (closed cleanly).
    std::string state;
    unsigned long long db_inode = 0;  // inode of cloudopt.db while it was open (0: unknown)

    // "pid 123 on host db1 since 2025-01-02T03:04:05Z (cloudopt serve)"
    std::string Describe() const;
};

// The text of the record, and back (nullopt for text that is not a record, such as an empty file).
std::string FormatLockRecord(const LockRecord& record);
std::optional<LockRecord> ParseLockRecord(const std::string& text);

// The lock file as another process sees it, without taking the lock or writing anything.
struct LockState {
    bool held = false;                 // a live process holds the lock now
    std::optional<LockRecord> record;  // what the holder, or the last one, wrote
};
LockState PeekDataDirLock(const std::string& data_dir);

class DataDirLock {
public:
    // Locks DATA_DIR/cloudopt.lock without waiting. kConflict when another process holds it, with a message that
    // names the holder and what to do; `command` goes into the record.
    static Result<DataDirLock> Acquire(const std::string& data_dir, const std::string& command);
    // What the last holder wrote, read before this process wrote its own (nullopt on first use of the directory).
    // A record whose state is not "stopped" is one of a process that died with the lock held.
    const std::optional<LockRecord>& previous() const { return previous_; }
    const LockRecord& record() const { return record_; }
    // Records that the store is open (state "open", the database file's inode), so the next holder knows whether
    // this one stopped without closing it.
    Status MarkStoreOpen(unsigned long long db_inode);

    DataDirLock(DataDirLock&& other) noexcept;
    DataDirLock& operator=(DataDirLock&&) = delete;
    DataDirLock(const DataDirLock&) = delete;
    DataDirLock& operator=(const DataDirLock&) = delete;
    // Records "stopped" (or, when this process never opened the store, puts the last owner's record back) and
    // releases the lock. Run it after the store is closed.
    ~DataDirLock();

    static constexpr const char* kFileName = "cloudopt.lock";

private:
    DataDirLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    Status Write();

    int fd_ = -1;
    std::string path_;
    std::optional<LockRecord> previous_;
    LockRecord record_;
};

}  // namespace cloudopt
