#pragma once
// The SQLite side of IdentityStore. It shares the store's writer connection and write lock: identity data is
// small and read rarely (login, token checks are cached by the caller), so a reader pool would buy nothing.

#include <memory>
#include <mutex>

#include "core/time.hpp"
#include "store/identity_store.hpp"
#include "store/sqlite/connection.hpp"

namespace cloudopt::sqlite {

std::unique_ptr<IdentityStore> MakeIdentityTables(Connection& writer, std::mutex& write_mutex, const Clock& clock);

}  // namespace cloudopt::sqlite
