#pragma once
// The PostgreSQL side of IdentityStore, on the store's connection pool: one transaction per call.

#include <memory>

#include "core/time.hpp"
#include "store/identity_store.hpp"
#include "store/postgres/connection.hpp"

namespace cloudopt::pg {

std::unique_ptr<IdentityStore> MakeIdentityTables(Pool& pool, const Clock& clock);

}  // namespace cloudopt::pg
