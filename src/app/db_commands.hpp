#pragma once
// Operator commands on a data directory's store, safe while the service runs (docs/OPERATIONS.md):
//   cloudopt db check [--full]      a report on the store's files and SQLite's integrity check; exit 1 on damage
//   cloudopt db backup --out FILE   an online, consistent copy of the database, checked before it is kept

#include <optional>
#include <string>

namespace cloudopt {

struct DbCommand {
    std::string config_path;
    std::optional<std::string> data_dir;
    bool full = false;  // integrity_check instead of quick_check
    std::string out;
};

int RunDbCheck(const DbCommand& command);
int RunDbBackup(const DbCommand& command);

}  // namespace cloudopt
