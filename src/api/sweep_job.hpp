#pragma once
// The cost/risk frontier as JSON (docs/COSTS.md section 1; SweepResult in src/api/openapi.json): one mapping for
// `cloudopt simulate --sweep --json` (app/sweep_command) and the service's sweep job (POST /api/simulations with
// "sweep", api/routes_simulations.cpp), so both give the same points; and the request's "sweep" member.
// Pure functions, thread-safe.

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.hpp"
#include "simulate/sweep.hpp"

namespace cloudopt::api {

// {policy, setting, cost_rel, unmet, hot, flaps_per_day, actions_per_day}, rounded as the CLI prints them.
nlohmann::json SweepPointJson(const SweepPoint& point);

// The fields every sweep result has: sweep (true), series, unmet_budget, grid, points, cheapest,
// cheapest_predictive (null when none), per_series (id -> points). Callers add where it ran (data or source) and
// its settings.
nlohmann::json SweepRunJson(const SweepRun& run, const SweepGrid& grid, double unmet_budget);

// The "sweep" member of a simulation request: true (the default grid) or {policies, quantiles, unmet_budgets,
// targets, unmet_budget}, each optional. kUnprocessable naming the field otherwise; false is refused too (leave the
// member out to compare policies).
Result<SweepRunOptions> ParseSweepOption(const nlohmann::json& sweep);

// The service's sweep job: `sweep` over `series` with the service's engine and models (`options`), on one worker
// (one core stays with the API and the loop), stopping between tasks and LSTM batches once `stopped` says so
// (kUnavailable). The result is SweepRunJson's with source, boot_delay_s, target, epochs and seconds added.
Result<std::string> RunSweepJob(const std::map<std::string, RegularSeries>& series, const std::string& source,
                                ReplayOptions options, SweepRunOptions sweep,
                                const std::function<void(double)>& progress, const std::function<bool()>& stopped);

}  // namespace cloudopt::api
