#pragma once
// The PostgreSQL side of the store's budgets (core/budget.hpp; table `budgets`, PostgreSQL schema migration
// "budgets"). Same contract as store/sqlite/budget_table.hpp; each call is one transaction on the pool.

#include <cstdint>
#include <vector>

#include "core/budget.hpp"
#include "core/error.hpp"
#include "store/postgres/connection.hpp"

namespace cloudopt::pg {

Result<Budget> SaveBudgetRow(Pool& pool, const Budget& budget, UnixSeconds now);
Result<std::vector<Budget>> ListBudgetRows(Pool& pool);
Status DeleteBudgetRow(Pool& pool, std::int64_t id);
Status SetBudgetAlertedRow(Pool& pool, std::int64_t id, BudgetState state);

}  // namespace cloudopt::pg
