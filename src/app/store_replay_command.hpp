#pragma once
// `cloudopt simulate --from-store DATA_DIR`: replays the load a service recorded, resource by resource, through
// the engine the service runs (simulate/service_replay.hpp), with the service's settings (--config) and any flag
// given over single keys (--flap-budget, --stabilization, ...), and sets what the replay decided beside what the
// service did over the same window (its applied actions). With the service's own settings and model the two agree
// tick by tick (docs/ALLOCATION.md "One engine"); with other settings it answers "what would these have done on my
// own load?" before a user changes them.
//
// It only reads: it runs beside the service that owns the data directory.

#include "app/simulate_command.hpp"

namespace cloudopt {

// The process exit code: 0, 1 when the store cannot be read or a replay fails, 2 for bad input.
int RunSimulateFromStore(const SimulateCommand& command);

}  // namespace cloudopt
