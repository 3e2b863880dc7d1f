#pragma once
// Operator commands on a data directory's store, safe while the service runs (docs/OPERATIONS.md):
//   cloudopt db check [--full]      a report on the store's files and SQLite's integrity check; exit 1 on damage
//   cloudopt db backup --out FILE   an online, consistent copy of the database, checked before it is kept
//   cloudopt db migrate             brings the store's schema to this build's (PostgreSQL: under an advisory lock)
//   cloudopt db copy --from sqlite:PATH --to postgres://...   moves an installation to PostgreSQL, checked table by
//                                   table (docs/DEPLOYMENT.md)

#include <optional>
#include <string>

namespace cloudopt {

struct DbCommand {
    std::string config_path;
    std::optional<std::string> data_dir;
    bool full = false;  // integrity_check instead of quick_check
    std::string out;
    std::optional<std::string> store_url;  // --store: a PostgreSQL URL over the config's store
    std::string from;                      // db copy: sqlite:PATH (a data directory or its cloudopt.db)
    std::string to;                        // db copy: postgres://...
};

int RunDbCheck(const DbCommand& command);
int RunDbBackup(const DbCommand& command);
int RunDbMigrate(const DbCommand& command);
int RunDbCopy(const DbCommand& command);

}  // namespace cloudopt
