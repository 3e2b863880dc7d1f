#pragma once
// The SQLite side of the store's budgets (core/budget.hpp; table `budgets`, schema v12). Like the identity tables
// it shares the store's writer connection and write lock: budgets are a handful of rows, read once per check.

#include <cstdint>
#include <mutex>
#include <vector>

#include "core/budget.hpp"
#include "core/error.hpp"
#include "store/sqlite/connection.hpp"

namespace cloudopt::sqlite {

// id 0 inserts (kConflict on a taken name); an id replaces that budget's fields (kNotFound for an unknown one).
Result<Budget> SaveBudgetRow(Connection& db, std::mutex& write_mutex, const Budget& budget, UnixSeconds now);
Result<std::vector<Budget>> ListBudgetRows(Connection& db, std::mutex& write_mutex);
Status DeleteBudgetRow(Connection& db, std::mutex& write_mutex, std::int64_t id);  // kNotFound for an unknown id
// The column `alerted` (schema v14), apart from the fields SaveBudgetRow writes. kNotFound for an unknown id.
Status SetBudgetAlertedRow(Connection& db, std::mutex& write_mutex, std::int64_t id, BudgetState state);

}  // namespace cloudopt::sqlite
