#include "store/sqlite/budget_table.hpp"

namespace cloudopt::sqlite {

namespace {

constexpr const char* kBudgetColumns =
    "id, name, scope, target, monthly_usd, cap_mode, created_at, updated_at, alerted";

Budget ReadBudgetRow(const Statement& s) {
    Budget b;
    b.id = s.Int(0);
    b.name = s.Text(1);
    b.scope = ParseBudgetScope(s.Text(2)).value_or(BudgetScope::kTotal);
    b.target = s.Text(3);
    b.monthly_usd = s.Double(4);
    b.cap_mode = ParseBudgetCapMode(s.Text(5)).value_or(BudgetCapMode::kOff);
    b.created_at = s.Int(6);
    b.updated_at = s.Int(7);
    b.alerted = ParseBudgetState(s.Text(8)).value_or(BudgetState::kOk);
    return b;
}

Error BudgetNameTaken(const Budget& b) {
    return Error{ErrorCode::kConflict, "a budget named '" + b.name +
                                           "' already exists: choose another name, or "
                                           "update that one (PUT /api/budgets/{id})"};
}

}  // namespace

Result<Budget> SaveBudgetRow(Connection& db, std::mutex& write_mutex, const Budget& budget, UnixSeconds now) {
    std::lock_guard lock(write_mutex);
    Budget out = budget;
    out.updated_at = now;
    if (budget.id == 0) {
        out.created_at = now;
        Statement s = db.Prepare(
            "INSERT INTO budgets (name, scope, target, monthly_usd, cap_mode, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?)");
        s.Bind(1, budget.name).Bind(2, std::string_view(BudgetScopeName(budget.scope))).Bind(3, budget.target);
        s.Bind(4, budget.monthly_usd).Bind(5, std::string_view(BudgetCapModeName(budget.cap_mode)));
        s.Bind(6, now).Bind(7, now);
        if (Status st = s.Run(); !st) {
            if (st.error().code == ErrorCode::kConflict) return BudgetNameTaken(budget);
            return st.error();
        }
        out.id = db.LastInsertId();
        return out;
    }
    Statement s = db.Prepare(
        "UPDATE budgets SET name=?, scope=?, target=?, monthly_usd=?, cap_mode=?, updated_at=? WHERE id=? "
        "RETURNING created_at");
    s.Bind(1, budget.name).Bind(2, std::string_view(BudgetScopeName(budget.scope))).Bind(3, budget.target);
    s.Bind(4, budget.monthly_usd).Bind(5, std::string_view(BudgetCapModeName(budget.cap_mode)));
    s.Bind(6, now).Bind(7, budget.id);
    if (!s.Step()) {
        if (!s.status()) {
            if (s.status().error().code == ErrorCode::kConflict) return BudgetNameTaken(budget);
            return s.status().error();
        }
        return MakeError(ErrorCode::kNotFound, "budget " + std::to_string(budget.id) + " does not exist");
    }
    out.created_at = s.Int(0);
    s.Reset();
    return out;
}

Result<std::vector<Budget>> ListBudgetRows(Connection& db, std::mutex& write_mutex) {
    std::lock_guard lock(write_mutex);
    Statement s = db.Prepare(std::string("SELECT ") + kBudgetColumns + " FROM budgets ORDER BY name");
    std::vector<Budget> out;
    while (s.Step()) out.push_back(ReadBudgetRow(s));
    if (!s.status()) return s.status().error();
    return out;
}

Status DeleteBudgetRow(Connection& db, std::mutex& write_mutex, std::int64_t id) {
    std::lock_guard lock(write_mutex);
    Statement s = db.Prepare("DELETE FROM budgets WHERE id = ?");
    s.Bind(1, id);
    if (Status st = s.Run(); !st) return st;
    if (db.Changes() == 0) return MakeError(ErrorCode::kNotFound, "budget " + std::to_string(id) + " does not exist");
    return Status::Ok();
}

Status SetBudgetAlertedRow(Connection& db, std::mutex& write_mutex, std::int64_t id, BudgetState state) {
    std::lock_guard lock(write_mutex);
    Statement s = db.Prepare("UPDATE budgets SET alerted = ? WHERE id = ?");
    s.Bind(1, std::string_view(BudgetStateName(state))).Bind(2, id);
    if (Status st = s.Run(); !st) return st;
    if (db.Changes() == 0) return MakeError(ErrorCode::kNotFound, "budget " + std::to_string(id) + " does not exist");
    return Status::Ok();
}

}  // namespace cloudopt::sqlite
