#pragma once
// `cloudopt serve`: wires the store, the simulated cloud, the control loop and the HTTP API, then runs until
// SIGINT or SIGTERM.

#include "app/config.hpp"

namespace cloudopt {

// Returns the process exit code: 0 after a clean shutdown, 1 when a dependency fails at start-up.
int RunServe(const Config& config);

// Finds a file shipped in the repository's data/ folder (catalog, demo traces) from the build or install tree.
std::string BundledDataPath(const std::string& relative);
// The built dashboard (dashboard/dist) beside the binary or the sources; "" when there is none.
std::string BundledDashboardPath();

}  // namespace cloudopt
