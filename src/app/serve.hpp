#pragma once
// `cloudopt serve`: wires the store, the simulated cloud, the control loop and the HTTP API, then runs until
// SIGINT or SIGTERM.

#include "app/config.hpp"

namespace cloudopt {

// What only the command line sets: one-off decisions of an operator, never kept in a config file.
struct ServeOptions {
    // Start although the start-up checks found the store damaged or emptied (docs/OPERATIONS.md).
    bool accept_damaged_store = false;
};

// Returns the process exit code: 0 after a clean shutdown, 1 when a dependency fails at start-up (another process
// owns the data directory, a damaged store, ...).
int RunServe(const Config& config, const ServeOptions& options = {});

// Finds a file shipped in the repository's data/ folder (catalog, demo traces) from the build or install tree.
std::string BundledDataPath(const std::string& relative);
// The built dashboard (dashboard/dist) beside the binary or the sources; "" when there is none.
std::string BundledDashboardPath();

}  // namespace cloudopt
