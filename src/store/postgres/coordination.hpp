#pragma once
// The PostgreSQL side of replicas sharing one database (store/coordination.hpp): members, leases with fencing epochs,
// the fenced plan log, the job queue and LISTEN/NOTIFY. Its tables come with the store's migrations
// (store/postgres/cluster_schema.hpp); open it after the store migrated the database.

#include <memory>

#include "core/error.hpp"
#include "store/coordination.hpp"
#include "store/postgres/postgres_store.hpp"

namespace cloudopt {

// The channel replicas notify each other on.
inline constexpr const char* kClusterChannel = "cloudopt_events";

// Opens a small pool of its own (the store's pool serves requests; a lease round must not wait behind them) and,
// on the first AwaitNotifications, one listening connection.
Result<std::unique_ptr<Coordination>> OpenPostgresCoordination(const PostgresOptions& options);

}  // namespace cloudopt
