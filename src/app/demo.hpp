#pragma once
// The demo: four resources on four clouds (all on the built-in simulated cloud), each replaying a real trace,
// with seven days of history written before the loop starts so forecasts and static-cost comparisons have data.

#include <string>

#include "core/catalog.hpp"
#include "simulate/simulated_cloud.hpp"
#include "store/store.hpp"

namespace cloudopt {

// Creates the demo resources if missing, registers their simulated groups and fills history up to `now`
// (on a restart, only the gap since the last run). Fails with a message naming the missing or bad trace file.
Status SetupDemo(Store& store, SimulatedCloud& cloud, const Catalog& catalog, const std::string& demo_dir,
                 UnixSeconds now);

// Latest sample time across the demo resources, so a restarted demo clock continues where it stopped; samples
// dated later than the demo clock could have reached at `speed` since the resources were created are ignored.
UnixSeconds LatestDemoTime(Store& store, UnixSeconds real_now, double speed);

}  // namespace cloudopt
