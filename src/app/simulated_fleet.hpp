#pragma once
// A fleet on the simulated cloud for tests and benchmarks of many resources (issue 31 items 2 and 4): a resource on
// a simulated provider whose provider_ref is "fleet/<trace>/<anything>" replays the bundled demo trace <trace>
// (web_frontend, api_gateway, batch_workers, checkout: data/demo/<trace>.csv) from a week before it was created, so
// every replica that plans it replays the same demand. Its capacity starts where the store last saw it
// (desired_capacity), so a replica that takes the resource over continues from there.

#include <string>

#include "core/catalog.hpp"
#include "simulate/simulated_cloud.hpp"
#include "store/store.hpp"

namespace cloudopt {

// Not owning: `store` and `catalog` outlive the cloud. Thread-safe (the trace files are read once, under a lock).
SimulatedCloud::GroupSource FleetGroupSource(Store& store, const Catalog& catalog, const std::string& demo_dir);

}  // namespace cloudopt
