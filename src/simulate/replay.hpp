#pragma once
// Trace replay: the demand of one resource is replayed against scaling policies under one time model, so that
// every policy is judged alike (docs/SAVINGS.md):
// - decisions are taken at step boundaries, knowing the demand of finished steps only (the oracle alone sees
//   ahead);
// - an instance launched at a boundary is billed from then (per second, 60 s minimum) and serves from the first
//   boundary at least one boot delay later; a stopped instance stops billing at once, and the ones stopped first
//   are those not yet ready, then the newest;
// - a step is scored against the capacity ready for the whole step.
// One instance serves `c` units of demand at 100% utilization; models train on the first part of the series and
// the rest is scored.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "allocate/scaling_engine.hpp"
#include "core/error.hpp"
#include "core/forecast.hpp"
#include "core/sample.hpp"
#include "forecast/trained_model.hpp"

namespace cloudopt {

struct ReplayOptions {
    UnixSeconds boot_delay_s = 180;
    double target = 0.75;  // the middle of the utilization band [target - 0.05, target + 0.05]
    double test_fraction = 0.2;
    double capacity_per_instance = 0;  // 0: the 99th percentile of the training part needs 20 instances
    std::string model = "auto";        // the predictive policy's forecaster
    ModelOptions models;
    // The predictive policy's decision engine, with the service's settings (loop.quantile, loop.stabilization_seconds,
    // the flap guard, loop.unmet_budget, the rate limit). Its tick is the series' step. The reactive policy keeps
    // HPA's own 300 s window: it is the baseline as Kubernetes ships it.
    EngineOptions engine;
};

// "perfect_forecast" is a diagnostic: the predictive policy's planner and rules fed the load that will come, so that
// the gap between predictive and oracle splits into what the rules cost and what forecast error costs.
inline constexpr const char* kPolicies = "static, reactive, predictive, oracle, perfect_forecast";
bool IsKnownPolicy(const std::string& name);

struct PolicyResult {
    double cost = 0.0;       // instance-hours over the scored part (one instance-hour costs 1)
    double unmet = 0.0;      // share of scored steps whose demand exceeded ready capacity
    double hot = 0.0;        // share of scored steps above 90% utilization of ready capacity
    double util = 0.0;       // mean utilization of ready capacity (demand beyond it counts as 100%)
    int actions = 0;         // changes of the desired count
    int flaps = 0;           // changes that undid the previous one within 30 minutes (core/action.hpp IsFlap)
    double days = 0.0;       // the scored part's length, for actions and flaps per resource-day
    std::vector<int> ready;  // ready instances per scored step (for charts)
};

struct SeriesReplay {
    double capacity_per_instance = 0.0;
    std::size_t first_scored = 0;  // index of the first scored step
    std::vector<double> demand;    // the scored steps' demand
    std::map<std::string, PolicyResult> policies;
};

// Replays the policies that need no model (static sized by the series' own peak at the band top, reactive, oracle)
// over every step but the first: load the service recorded has no training part. `target` is the middle of the
// utilization band, `band_high` its top. kUnprocessable under 3 steps.
Result<std::map<std::string, PolicyResult>> ReplayBaselines(const RegularSeries& demand, double capacity_per_instance,
                                                            UnixSeconds boot_delay_s, double target, double band_high);

// Where a replay's scoring starts: the points before it train the models.
std::size_t ReplayTrainingPoints(std::size_t points, double test_fraction);
// How many steps ahead the predictive policy forecasts: the boot delay plus one step, plus the step in progress, or
// the scale-in lookahead (FlapGuard::lookahead_seconds) when that is longer.
int ReplayHorizon(UnixSeconds step, UnixSeconds boot_delay_s, UnixSeconds lookahead_s = 0);

// One network across `all` series (lstm_fleet, docs/FORECASTING.md), trained on their training parts only, when the
// predictive policy forecasts with "auto" (with the LSTM) on two series or more on one grid. "auto" then weighs it
// instead of an LSTM per series (options.models.fleet_replaces_lstm): the same windows, trained on once instead of
// twice. Otherwise `options` are left as they are.
Status AddFleetNetwork(const std::map<std::string, RegularSeries>& all, const std::vector<std::string>& policies,
                       ReplayOptions& options);

// Replays `series` against each named policy. kInvalidArgument for an unknown policy or option,
// kUnprocessable when the series is too short to train and score.
Result<SeriesReplay> ReplaySeries(const RegularSeries& series, const std::vector<std::string>& policies,
                                  const ReplayOptions& options);

}  // namespace cloudopt

namespace cloudopt {

// The cost/risk frontier (simulate/sweep.hpp) replays policies at many settings; these two entries let it do so
// without a model trained per setting and with policies written in their own files.

// A policy written outside this file. At boundary k (the demand of steps [0, k) is known) it gets the desired count
// and the instances that were ready during step k - 1, and returns the desired count from step k on. It must not
// read the demand of step k or later: the replay cannot check that, the policy's own tests must.
using ExternalDecide = std::function<int(std::size_t k, int desired, int ready_previous)>;

// Replays `decide` over the scored part of `series` (options.test_fraction) under the time model above, with
// `capacity_per_instance` units per instance and options.boot_delay_s. kInvalidArgument/kUnprocessable as
// ReplaySeries.
Result<PolicyResult> ReplayExternalPolicy(const RegularSeries& series, double capacity_per_instance,
                                          const ReplayOptions& options, const ExternalDecide& decide);

// The predictive policy's model trained once (options.model, options.models) and its forecasts replayed through
// the service's engine once per entry of `engines`, in order: a sweep over loop.quantile and loop.unmet_budget pays
// one training per series, not one per setting. The horizon follows options.engine's scale-in lookahead, so the
// entries should share it. Errors as ReplaySeries.
Result<std::vector<PolicyResult>> ReplayPredictiveEngines(const RegularSeries& series, double capacity_per_instance,
                                                          const ReplayOptions& options,
                                                          const std::vector<EngineOptions>& engines);

}  // namespace cloudopt
