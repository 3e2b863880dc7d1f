#pragma once
// Start-up and operator checks of the SQLite store's files (docs/OPERATIONS.md): what SQLite would silently
// lose or misread, found before it opens them; its integrity checks; and the online backup.

#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "store/data_dir_lock.hpp"

namespace cloudopt {

// What the files of the store at `db_path` show before SQLite opens them (which would replay, and then drop, a
// damaged write-ahead log). `previous` is the record of the data directory's last lock holder. Each entry names
// one problem; none means the files are as SQLite left them. Notes (not problems) go to `notes`.
std::vector<std::string> InspectStoreFiles(const std::string& db_path, const std::optional<LockRecord>& previous,
                                           std::vector<std::string>& notes);

// PRAGMA quick_check (or integrity_check when `full`: also indexes against their tables, slower) on a read-only
// connection that never checkpoints. The problems SQLite reports, none when the database is sound; an error when
// the file cannot be read as a database at all (that is reported as a problem too).
Result<std::vector<std::string>> CheckDatabaseIntegrity(const std::string& db_path, bool full);

// Copies the database at `db_path` to `out_path` with SQLite's online backup (a consistent snapshot, safe while
// the service writes), checks the copy with integrity_check, and moves it into place. The copy is 0600.
Status BackupDatabase(const std::string& db_path, const std::string& out_path);

// Folds what SQLite can read of the write-ahead log into the database and empties the log (a TRUNCATE
// checkpoint), so frames it dropped as damaged cannot be mistaken for new damage later.
Status FoldWriteAheadLog(const std::string& db_path);

// The inode of `path`, or 0 when it does not exist.
unsigned long long FileInode(const std::string& path);

}  // namespace cloudopt
