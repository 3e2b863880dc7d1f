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

// Where a budget stands this month. kOk: even the p90 projection is within it. kAtRisk: the p90 crosses it, the p50
// does not. kOver: the p50 crosses it. kExceeded: the spend so far already has. kUnknown: no projection (too little
// load history) and not exceeded yet.
enum class BudgetState { kOk, kAtRisk, kOver, kExceeded, kUnknown };
const char* BudgetStateName(BudgetState state);
// 0 ok/unknown, 1 at risk, 2 over, 3 exceeded: the /metrics gauge and the order alerts escalate in.
int BudgetSeverity(BudgetState state);
// Reads a BudgetStateName back; nothing for any other text.
std::optional<BudgetState> ParseBudgetState(std::string_view text);

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
    // The last state sent to the alert webhook, kept by the store so a restart sends only changes
    // (Store::SetBudgetAlerted writes it; SaveBudget leaves it as it is).
    BudgetState alerted = BudgetState::kOk;
};

// kUnprocessable naming the field and the rule it broke.
Status ValidateBudget(const Budget& budget);
// Whether a resource counts toward the budget.
bool BudgetCovers(const Budget& budget, const Resource& resource);

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
    // The resource has no projection of its own (under a day of load history), so its share of what is left is
    // unknown: it is held at what its measured load needs now whatever the budget's mode (a hard cap would otherwise
    // starve it with a share of 0). Such a cap is always soft, with max_instances 0.
    bool unprojected = false;
};
// Of two budgets of one mode capping one resource, the tighter one holds.
BudgetCapLimit TighterCap(const BudgetCapLimit& a, const BudgetCapLimit& b);

// Every cap on one resource: the tightest of each mode, applied apart (allocate/budget_cap.hpp), so a soft cap
// tighter than a hard one cannot lift the hard one to the measured need: soft binds down to the measured need, hard
// binds below it, and the lower of the two holds.
struct BudgetCaps {
    std::optional<BudgetCapLimit> soft, hard;
};
// Adds `cap` to the slot of its mode, keeping the tighter.
void AddCap(BudgetCaps& caps, const BudgetCapLimit& cap);

// The caps in force, per resource: written by whoever evaluates budgets (a periodic check in the service), read by
// the control loop on every pass. Thread-safe: both under one mutex; reads copy.
class BudgetCapBoard {
  public:
    void Set(std::map<ResourceId, BudgetCaps> caps);
    std::optional<BudgetCaps> For(ResourceId id) const;

  private:
    mutable std::mutex mutex_;
    std::map<ResourceId, BudgetCaps> caps_;  // guarded by mutex_
};

}  // namespace cloudopt
