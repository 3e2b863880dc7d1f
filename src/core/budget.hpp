#pragma once
// Monthly budgets (issue 32 item 3, docs/COSTS.md "Budgets"): an amount per month for the total, a provider, a
// resource or a label ("team:payments"), compared with the spend forecast's month-end projection (p50 and p90), and
// optionally a cap the planner respects. Value types and pure rules; BudgetCapBoard is the one shared object.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/resource.hpp"
#include "core/time.hpp"

namespace cloudopt {

enum class BudgetScope { kTotal, kProvider, kResource, kLabel };
const char* BudgetScopeName(BudgetScope scope);
std::optional<BudgetScope> ParseBudgetScope(std::string_view text);

// What the planner does while a budget's p50 projection is over it. kOff: nothing (the alert only). kSoft: caps the
// resource's capacity at its share of what the budget has left per hour, but never below what the measured load
// needs now (the planner's reactive floor) nor below min_capacity. kHard: the cap binds below the measured need too
// (a choice the user makes explicitly); the reason then says how much load it leaves unmet.
enum class BudgetCapMode { kOff, kSoft, kHard };
const char* BudgetCapModeName(BudgetCapMode mode);
std::optional<BudgetCapMode> ParseBudgetCapMode(std::string_view text);

struct Budget {
    std::int64_t id = 0;
    std::string name;  // unique; how people and alerts refer to it
    BudgetScope scope = BudgetScope::kTotal;
    // Which provider ("aws"), resource (its name) or label ("team:payments"); empty for the total.
    std::string target;
    double monthly_usd = 0.0;
    BudgetCapMode cap_mode = BudgetCapMode::kOff;
    UnixSeconds created_at = 0;
    UnixSeconds updated_at = 0;
};

// kUnprocessable naming the field and the rule it broke.
Status ValidateBudget(const Budget& budget);
// Whether a resource counts toward the budget.
bool BudgetCovers(const Budget& budget, const Resource& resource);

// Where a budget stands this month. kOk: even the p90 projection is within it. kAtRisk: the p90 crosses it, the p50
// does not. kOver: the p50 crosses it. kExceeded: the spend so far already has. kUnknown: no projection (too little
// load history) and not exceeded yet.
enum class BudgetState { kOk, kAtRisk, kOver, kExceeded, kUnknown };
const char* BudgetStateName(BudgetState state);
// 0 ok/unknown, 1 at risk, 2 over, 3 exceeded: the /metrics gauge and the order alerts escalate in.
int BudgetSeverity(BudgetState state);

struct BudgetProjection {
    double actual_to_date = 0.0;
    // The month's end: actual_to_date + the rest's forecast. Absent without a forecast.
    std::optional<double> p10, p50, p90;
};
BudgetState ClassifyBudget(double monthly_usd, const BudgetProjection& projection);

// A cap the planner applies to one resource while a capping budget's p50 projection is over it.
struct BudgetCapLimit {
    std::string budget;             // the budget's name, for the reason
    double monthly_usd = 0.0;       // the budget
    double allowed_per_hour = 0.0;  // this resource's share of what the budget has left, per hour to the month's end
    int max_instances = 0;          // allowed_per_hour / the price of one instance, rounded down
    bool hard = false;              // BudgetCapMode::kHard
};
// Of two budgets capping one resource, the tighter one holds.
BudgetCapLimit TighterCap(const BudgetCapLimit& a, const BudgetCapLimit& b);

// The caps in force, per resource: written by whoever evaluates budgets (a periodic check in the service), read by
// the control loop on every pass. Thread-safe: both under one mutex; reads copy.
class BudgetCapBoard {
  public:
    void Set(std::map<ResourceId, BudgetCapLimit> caps);
    std::optional<BudgetCapLimit> For(ResourceId id) const;

  private:
    mutable std::mutex mutex_;
    std::map<ResourceId, BudgetCapLimit> caps_;  // guarded by mutex_
};

}  // namespace cloudopt
