#pragma once
// The PostgreSQL backend of Store (docs/DEPLOYMENT.md): any number of connections, nothing cached in the process
// that another process could change (so replicas can share one database later), samples in weekly partitions,
// versioned migrations run under an advisory lock.

#include <memory>
#include <string>

#include "core/error.hpp"
#include "core/time.hpp"
#include "store/store.hpp"

namespace cloudopt {

struct PostgresOptions {
    std::string url;       // postgres://user@host:port/database (a password in it works, but prefer `password`)
    std::string password;  // store.password / CLOUDOPT_STORE_PASSWORD; empty: the URL's or libpq's (~/.pgpass)
    int max_connections = 8;
    bool migrate = true;  // migrate to this build's schema first; false only checks the version
};

// The URL with its password (if any) replaced by ***, for messages and logs.
std::string RedactStoreUrl(const std::string& url);

// The newest schema version this build knows.
int PostgresSchemaVersion();

struct MigrationReport {
    int from = 0;  // the version found (0: an empty database)
    int to = 0;    // the version now
};

// Migrates the database to this build's schema under an advisory lock (another migrator waits, then finds nothing
// to do). Refuses a database whose schema is newer than this build knows.
Result<MigrationReport> MigratePostgres(const PostgresOptions& options);

// Connects, migrates (unless options.migrate is false, when an older schema is refused), and opens the store.
// Errors say what to check: the URL, that the server runs and is reachable, the password.
Result<std::unique_ptr<Store>> OpenPostgresStore(const PostgresOptions& options, const Clock& clock);

}  // namespace cloudopt
