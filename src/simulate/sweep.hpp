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

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/sample.hpp"
#include "simulate/replay.hpp"

namespace cloudopt {

struct SweepGrid {
    // The calibrated bands, and p99.9 extrapolated from their tail (core/forecast.hpp QuantileLevel::kP999).
    std::vector<double> quantiles = {0.5, 0.9, 0.95, 0.99, 0.999};
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

// A whole sweep of `all` series: one task per (series, family) on `jobs` threads (the predictive tasks first, so the
// pool does not end waiting on one long task), the points per series (static once) and their means, and the
// cheapest settings within `unmet_budget`. What `cloudopt simulate --sweep` and the service's sweep job run.
struct SweepRunOptions {
    std::vector<std::string> families = {"predictive", "reactive", "seasonal", "oracle"};
    SweepGrid grid;
    double unmet_budget = 0.005;  // the user's budget the named setting must meet
    int jobs = 1;                 // worker threads (the calling thread is one of them)
    // Asked between tasks: true stops the run (kUnavailable).
    std::function<bool()> cancelled = {};
    // Called after each task, from the thread that ran it, one call at a time.
    std::function<void(std::size_t done, std::size_t total, const std::string& series, const std::string& family)>
        progress = {};
};
struct SweepRun {
    std::vector<std::string> ids;                               // the series, in file order
    std::map<std::string, std::vector<SweepPoint>> per_series;  // id -> its points (static once)
    std::vector<SweepPoint> points;                             // the means over the series
    std::optional<SweepPoint> cheapest;                         // any runnable policy (never the oracle)
    std::optional<SweepPoint> cheapest_predictive;
    int jobs = 1;
};
// `options` as for SweepFamily; the fleet network (AddFleetNetwork) is the caller's to add. Errors name the series
// and the family; kInvalidArgument for an unknown family.
Result<SweepRun> RunSweepGrid(const std::map<std::string, RegularSeries>& all, const ReplayOptions& options,
                              const SweepRunOptions& run);

}  // namespace cloudopt
