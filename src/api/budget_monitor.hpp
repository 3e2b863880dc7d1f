#pragma once
// Budgets against the spend forecast (issue 32 item 3, docs/COSTS.md "Budgets"). Each check computes the month's
// cost report (api/cost_report.hpp), compares every budget with its group's month-end projection (p50 and p90), sets
// the gauges of /metrics, tells its listener when a budget's state changes (the service sends that to the alert
// webhook), and, for budgets with a cap mode, writes the caps the control loop's planner respects
// (core/budget.hpp BudgetCapBoard, allocate/budget_cap.hpp).
//
// Ownership: references the store, the loop and the registry, which outlive it; the cap board is optional (null: no
// caps are written). Thread-safety: Check may run on any thread, one at a time (a mutex serializes checks); Latest
// may be read from any thread at once. The listener is called inside Check, after the new states are published.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/cost_report.hpp"
#include "core/budget.hpp"
#include "core/telemetry.hpp"

namespace cloudopt::api {

struct BudgetStatus {
    Budget budget;
    BudgetState state = BudgetState::kUnknown;
    BudgetProjection projection;
    int resources = 0;  // resources the budget covers
    // The caps it sets now (cap mode on, p50 over): resource name -> instances.
    std::map<std::string, int> caps;
    // Covered resources without a projection of their own: held at what their measured load needs, whatever the
    // mode (BudgetCapLimit::unprojected).
    std::vector<std::string> held_at_need;
    std::string note;  // why there is no projection, or what the state means in a sentence
};

struct BudgetEvent {
    BudgetState from = BudgetState::kUnknown;
    BudgetStatus status;  // the state now and the numbers behind it
};

// The pure part: each budget against `report` (groups by kind and name) and the caps it sets, merged per resource
// (the tighter holds). `price_per_instance_hour` prices one instance of a resource.
struct BudgetEvaluation {
    std::vector<BudgetStatus> statuses;
    std::map<ResourceId, BudgetCaps> caps;
};
BudgetEvaluation EvaluateBudgets(const std::vector<Budget>& budgets, const std::vector<Resource>& resources,
                                 const CostReport& report,
                                 const std::function<double(const Resource&)>& price_per_instance_hour);

class BudgetMonitor {
  public:
    BudgetMonitor(Store& store, const ControlLoop& loop, MetricsRegistry& metrics, BudgetCapBoard* caps = nullptr);

    // Reads the budgets, computes the cost report for `now`, evaluates, publishes. Returns the statuses.
    Result<std::vector<BudgetStatus>> Check(UnixSeconds now);
    // The last check's statuses and when it ran (0: never).
    std::pair<std::vector<BudgetStatus>, UnixSeconds> Latest() const;
    // How long ago the last check ran in real time (steady clock), whatever the service clock says (the demo's runs
    // faster); nullopt before the first.
    std::optional<std::chrono::steady_clock::duration> SinceLatest() const;
    // Set before the first Check.
    void OnChange(std::function<void(const BudgetEvent&)> listener) { listener_ = std::move(listener); }

  private:
    Store& store_;
    const ControlLoop& loop_;
    MetricsRegistry& metrics_;
    BudgetCapBoard* caps_;
    std::function<void(const BudgetEvent&)> listener_;
    std::mutex check_mutex_;           // one check at a time
    std::set<std::string> gauged_;     // budget names with series on /metrics; guarded by check_mutex_
    mutable std::mutex latest_mutex_;  // guards latest_, latest_at_, latest_real_, states_
    std::vector<BudgetStatus> latest_;
    UnixSeconds latest_at_ = 0;
    std::chrono::steady_clock::time_point latest_real_{};
    std::map<std::int64_t, BudgetState> states_;  // per budget id, for transitions
};

// "Budget 'payments' (label team:payments, $1,000.00/month) is projected over: p50 $1,180.00, p90 $1,320.00, spent
// $400.00 so far" — the sentence alerts carry.
std::string DescribeBudget(const BudgetStatus& status);

}  // namespace cloudopt::api
