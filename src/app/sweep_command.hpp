#pragma once
// `cloudopt simulate --sweep`: the cost/risk frontier (simulate/sweep.hpp) of every series of a trace, printed,
// as --json, or drawn by --report; the cheapest setting within --unmet-budget named, and with --adopt the cheapest
// predictive one written for the service to run (app/adopted_settings.hpp) beside the sweep's JSON as evidence.

#include <string>

#include "app/simulate_command.hpp"
#include "core/error.hpp"

namespace cloudopt {

// The process exit code: 0, or 2 for bad input or a failed replay (the message on stderr says what to do).
int RunSweep(const SimulateCommand& command);

}  // namespace cloudopt
