#include "store/postgres/budget_table.hpp"

namespace cloudopt::pg {

namespace {

constexpr const char* kPgBudgetColumns =
    "id, name, scope, target, monthly_usd, cap_mode, created_at, updated_at, alerted";

Budget PgReadBudget(const pqxx::row& row) {
    Budget b;
    b.id = row[0].as<std::int64_t>();
    b.name = row[1].as<std::string>();
    b.scope = ParseBudgetScope(row[2].as<std::string>()).value_or(BudgetScope::kTotal);
    b.target = row[3].as<std::string>();
    b.monthly_usd = row[4].as<double>();
    b.cap_mode = ParseBudgetCapMode(row[5].as<std::string>()).value_or(BudgetCapMode::kOff);
    b.created_at = row[6].as<std::int64_t>();
    b.updated_at = row[7].as<std::int64_t>();
    b.alerted = ParseBudgetState(row[8].as<std::string>()).value_or(BudgetState::kOk);
    return b;
}

}  // namespace

Result<Budget> SaveBudgetRow(Pool& pool, const Budget& budget, UnixSeconds now) {
    auto out = pool.Transact("saving a budget", [&](pqxx::work& tx) -> Result<Budget> {
        Budget b = budget;
        b.updated_at = now;
        const std::string scope = BudgetScopeName(budget.scope), cap = BudgetCapModeName(budget.cap_mode);
        if (budget.id == 0) {
            b.created_at = now;
            b.id = tx.exec_params1(
                         "INSERT INTO budgets (name, scope, target, monthly_usd, cap_mode, created_at, updated_at) "
                         "VALUES ($1,$2,$3,$4,$5,$6,$6) RETURNING id",
                         budget.name, scope, budget.target, budget.monthly_usd, cap, now)[0]
                       .as<std::int64_t>();
            return b;
        }
        const pqxx::result rows = tx.exec_params(
            "UPDATE budgets SET name=$1, scope=$2, target=$3, monthly_usd=$4, cap_mode=$5, updated_at=$6 WHERE id=$7 "
            "RETURNING created_at",
            budget.name, scope, budget.target, budget.monthly_usd, cap, now, budget.id);
        if (rows.empty())
            return MakeError(ErrorCode::kNotFound, "budget " + std::to_string(budget.id) + " does not exist");
        b.created_at = rows[0][0].as<std::int64_t>();
        return b;
    });
    if (!out && out.error().code == ErrorCode::kConflict)
        return MakeError(ErrorCode::kConflict, "a budget named '" + budget.name +
                                                   "' already exists: choose another name, or update that one "
                                                   "(PUT /api/budgets/{id})");
    return out;
}

Result<std::vector<Budget>> ListBudgetRows(Pool& pool) {
    return pool.Transact("listing budgets", [&](pqxx::work& tx) -> Result<std::vector<Budget>> {
        std::vector<Budget> out;
        for (const auto& row : tx.exec(std::string("SELECT ") + kPgBudgetColumns + " FROM budgets ORDER BY name"))
            out.push_back(PgReadBudget(row));
        return out;
    });
}

Status DeleteBudgetRow(Pool& pool, std::int64_t id) {
    return pool.Transact("deleting a budget", [&](pqxx::work& tx) -> Status {
        if (tx.exec_params("DELETE FROM budgets WHERE id = $1 RETURNING id", id).empty())
            return MakeError(ErrorCode::kNotFound, "budget " + std::to_string(id) + " does not exist");
        return Status::Ok();
    });
}

Status SetBudgetAlertedRow(Pool& pool, std::int64_t id, BudgetState state) {
    return pool.Transact("recording a budget's alert", [&](pqxx::work& tx) -> Status {
        if (tx.exec_params("UPDATE budgets SET alerted = $1 WHERE id = $2 RETURNING id",
                           std::string(BudgetStateName(state)), id)
                .empty())
            return MakeError(ErrorCode::kNotFound, "budget " + std::to_string(id) + " does not exist");
        return Status::Ok();
    });
}

}  // namespace cloudopt::pg
