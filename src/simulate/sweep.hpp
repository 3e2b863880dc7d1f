#pragma once
// The cost/risk frontier (`cloudopt simulate --sweep`, docs/COSTS.md): each policy replayed at a range of its
// settings, so a user sees what a level of unmet demand costs under each and can pick the cheapest setting that
// meets a budget. Policies and their settings:
// - predictive (cloudopt's engine): loop.quantile x loop.unmet_budget; its model is trained once per series and
//   replayed per setting (simulate/replay.hpp ReplayPredictiveEngines);
// - reactive (the Kubernetes HPA rule): its target utilization;
// - seasonal (AWS-style predictive + target tracking, simulate/seasonal_policy.hpp): its target utilization;
// - oracle and static: one point each (static is the yardstick of cost_rel).
// Functions here are pure over their inputs and thread-safe; a sweep's tasks may run on any threads.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/sample.hpp"
#include "simulate/replay.hpp"

namespace cloudopt {

struct SweepGrid {
    std::vector<double> quantiles = {0.5, 0.9, 0.95, 0.99};  // the calibrated bands (p99.9 has none yet)
    std::vector<double> unmet_budgets = {0.001, 0.005, 0.02};
    std::vector<double> hpa_targets = {0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
    std::vector<double> seasonal_targets = {0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
};

// Parses "0.5,0.9" into values each in [low, high]; kInvalidArgument naming `what` otherwise.
Result<std::vector<double>> ParseSweepList(const std::string& text, double low, double high, const std::string& what);

// One policy at one setting: on one series, or averaged over series (each series weighs alike, as simulate does).
struct SweepPoint {
    std::string policy;                     // predictive | reactive | seasonal | oracle | static
    std::map<std::string, double> setting;  // e.g. {quantile: 0.95, unmet_budget: 0.005} or {target: 0.5}
    double cost_rel = 0.0;                  // cost / static's cost on the same series
    double unmet = 0.0, hot = 0.0, flaps_per_day = 0.0, actions_per_day = 0.0;
    std::string Label() const;  // "predictive quantile=0.95 unmet_budget=0.005"
};

// The policy families a sweep runs; "predictive" is the slow one (a model per series).
inline constexpr const char* kSweepPolicies = "predictive, reactive, seasonal, oracle";

// One unit of work: one family on one series. Families are independent, so a caller runs them on a bounded pool.
// `base` carries the model and engine settings the predictive points start from (its quantile and budget are
// overridden per point) and the boot delay; its target is static's and oracle's, so cost_rel has one yardstick.
// kInvalidArgument for an unknown family, errors of ReplaySeries otherwise.
Result<std::vector<SweepPoint>> SweepFamily(const RegularSeries& series, const std::string& family,
                                            const ReplayOptions& base, const SweepGrid& grid);

// The mean of each (policy, setting) over `per_series` (one vector of points per series, any order within).
std::vector<SweepPoint> AverageSweep(const std::vector<std::vector<SweepPoint>>& per_series);

// The cheapest point of `policy` ("" for any) whose mean unmet is at most `unmet_budget`; nullopt when none is.
std::optional<SweepPoint> CheapestWithin(const std::vector<SweepPoint>& points, double unmet_budget,
                                         const std::string& policy = "");

}  // namespace cloudopt
