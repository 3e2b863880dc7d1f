#pragma once
// Spend forecasts (docs/COSTS.md): what a resource will cost from `from` to `to` (the month's end), as p10/p50/p90
// per UTC day and in total, from its load forecast through the planner's sizing and the catalog's price, not a
// trend line through past bills.
//
// The load forecast to a month's end is an analog ensemble: each path takes, for each future day, the load of a
// past day the same number of whole days back (the same weekday once two weeks of history exist, so a weekly cycle
// is kept), drawn at random among the last `history_days`, scaled by one level factor per path drawn from how much
// the mean load of a window as long as the forecast moved in the history (centred, as likely up as down, clipped
// at halving and doubling); the p50 is that of the paths without the factor. The factors are then calibrated
// split-conformally: the ensemble is run at up to 14 whole-day origins inside the history, each from the load before
// it, and the log-errors of those spans' p50s (taken up and down, stretched to a finite-sample conformal quantile)
// become the level factors, so the band is as wide as this forecast has been wrong here. A fleet's resources
// (ForecastFleetSpend) pool those errors, each scaled by its resource's size of error shrunk toward the fleet's. The
// service's own
// models forecast hours ahead with calibrated bands; a month needs whole-day scenarios, and their spread is what
// the band is measured on (the backtest in app/costs_backtest.hpp).
//
// Each path is sized per step as the planner sizes a forecast load: ceil(load / (c x target)) within [min, max],
// times the price per instance-hour. Groups (a provider, the total, later budgets and labels) are path-wise sums of
// their resources' paths, so their quantiles are those of the sum, not sums of quantiles.
// Pure functions; thread-safe.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/sample.hpp"

namespace cloudopt {

struct SpendSizing {
    double capacity_per_instance = 1.0;  // load units one instance serves at 100%
    double target = 0.75;                // utilization the planner sizes for (the band's middle)
    int min_instances = 1;
    int max_instances = 1 << 20;
    double price_per_instance_hour = 1.0;  // USD, the catalog's on-demand price of one instance
};

// What the sizing rule costs to serve `load` over its steps (measured steps and filled ones alike): the "actual" a
// backtest compares with, and the naive projection's base.
double SizedSpend(const RegularSeries& load, const SpendSizing& sizing);
// The instances the sizing rule runs at each step of `load` (what commitment planning's backtest scores on).
std::vector<int> SizedInstances(const RegularSeries& load, const SpendSizing& sizing);

struct SpendOptions {
    UnixSeconds from = 0;  // where the forecast starts (now); the history must end at or before it
    UnixSeconds to = 0;    // where it ends (the month's end), after `from`
    int paths = 400;
    int history_days = 28;
    std::uint64_t seed = 1;  // the same inputs and seed give the same forecast
    // Also keep, per path, the hours spent at each instance count (SpendPaths::path_instance_hours), which
    // commitment planning reads (simulate/commitment_plan.hpp).
    bool instance_hours = false;
    // Also keep, per path, the sized instance count of every step (SpendPaths::path_instances): summed path-wise
    // over resources, they are a pool's counts (commitments pooled across resources, simulate/commitment_plan.hpp).
    bool instance_steps = false;
};

struct SpendBand {
    double p10 = 0.0, p50 = 0.0, p90 = 0.0;
};

// One resource's (or group's) spend paths over [from, to): path_days[path][day], day 0 the UTC day holding `from`.
struct SpendPaths {
    UnixSeconds from = 0, to = 0;
    UnixSeconds first_day = 0;  // UTC midnight of day 0
    std::vector<std::vector<double>> path_days;
    // The same paths without their level factor: the p50 is theirs. The level factors widen the band, but as a
    // centre they only added noise (the p50's error on bitbrains_rnd rose from 20% to 29%; docs/COSTS.md).
    std::vector<std::vector<double>> base_days;
    // Calibration (ForecastSpend, ForecastFleetSpend): how many of the history's own spans were scored (0: too short a
    // history; its band is then the fleet's scale, or in a fleet of one the history's level moves), and how far the
    // fleet's scaled errors were stretched to their conformal quantile (1 without calibration).
    int calibration_origins = 0;
    double width = 1.0;
    // With SpendOptions::instance_hours: per path (with its level factor), hours at each sized instance count.
    std::vector<std::map<int, double>> path_instance_hours = {};
    // With SpendOptions::instance_steps: per path (with its level factor), the instances of each step of
    // `instance_step` seconds from `from` (the last one ends at `to`).
    std::vector<std::vector<int>> path_instances = {};
    UnixSeconds instance_step = 0;
    // p10/p90 of the paths, p50 of the base paths (p10 <= p50 <= p90 kept): of each day's spend, and the span's.
    std::vector<SpendBand> Days() const;
    SpendBand Total() const;
};

// The spend paths of one resource whose load `history` ends at or before options.from. kUnprocessable with less
// than one whole day of history, a step that does not divide a day, or no measured load; kInvalidArgument for a
// span that is empty or longer than 62 days, or a sizing without positive capacity, target and price.
Result<SpendPaths> ForecastSpend(const RegularSeries& history, const SpendSizing& sizing, const SpendOptions& options);

// One resource of a fleet whose spend is forecast together (ForecastFleetSpend): its load history (not owned; it
// must outlive the call) and its sizing.
struct SpendMember {
    const RegularSeries* history = nullptr;
    SpendSizing sizing;
};

// ForecastSpend for each resource of a fleet over the same span, their bands calibrated on the fleet's errors pooled
// (each resource's own errors scaled by its own size of error, shrunk toward the fleet's): one resource's few
// overlapping spans are a noisy measure of how far its forecast can be off, the fleet's many are less so
// (docs/COSTS.md section 2). One result per member, in order; a fleet of one is ForecastSpend. Path i of every
// member draws the same calibration origin and sign, and, for histories of the same length, the same past days, so
// their path-wise sums are scenarios.
std::vector<Result<SpendPaths>> ForecastFleetSpend(const std::vector<SpendMember>& fleet, const SpendOptions& options);

// Backtest of ForecastSpend on one trace (what `cloudopt costs backtest` reports, docs/COSTS.md section 2): the
// spend of a span of `days` days is forecast at several origins, each only from the load before that origin, and
// compared with what the same sizing spends on the load that came. Origin 0 is the single origin (the
// span is the trace's last `days` days); origin k ends k x `every_days` days earlier. Each origin is sized as the
// replay sizes, from its own history alone: the history's 99th percentile needs 20 instances, target 0.75, price 1
// per instance-hour.
struct SpendBacktestOptions {
    int days = 7;
    int origins = 1;
    int every_days = 1;
    int paths = 400;
    int history_days = 28;
    int month_days = 30;  // the naive projection's month: the `month_days - days` days before the origin are "so far"
};

struct SpendBacktestPoint {
    UnixSeconds origin = 0;
    double history_days = 0.0;  // days of load before the origin
    double actual = 0.0;        // what the sizing spent on the span's load
    double naive = 0.0;         // the month so far at its rate, for the span
    SpendBand band;
    double width = 1.0;  // the calibration's width at that origin (SpendPaths::width)
};

// The scored origins of `series`, origin 0 first. kUnprocessable (saying why) when origin 0 cannot be scored: a
// step that does not divide a day, under days + 1 days of load, no spend in the span, or the forecast's own
// refusal. Later origins that cannot be scored (too little history before them, no spend) are left out.
// kInvalidArgument for days outside [1, 31], origins < 1 or every_days < 1.
Result<std::vector<SpendBacktestPoint>> BacktestSpend(const RegularSeries& series, const SpendBacktestOptions& options);

// BacktestSpend for each series of a fleet (a trace's series), the series whose origins fall at the same time
// forecast together (ForecastFleetSpend). One result per series, in order.
std::vector<Result<std::vector<SpendBacktestPoint>>> BacktestFleetSpend(const std::vector<RegularSeries>& fleet,
                                                                        const SpendBacktestOptions& options);

// The path-wise sum of `parts` (same span and path count, e.g. from the same options); kInvalidArgument otherwise.
// An empty list gives kInvalidArgument too.
Result<SpendPaths> SumSpend(const std::vector<const SpendPaths*>& parts);

}  // namespace cloudopt
