#pragma once
// Several items of a lane's pass in flight at once (ControlLoop::RunResources). A pass over a provider's resources
// mostly waits: on the store's round trips and commits (PostgreSQL: about 18 per resource, docs/PERFORMANCE.md) and on
// the cloud's API, not on this process's CPU, so a few resources planned at once shorten the pass about that many
// times until the database or the cores are busy.
//
// Items are started in index order, each at most once. When `stop` turns true no further item starts; the ones
// running finish (a resource is never left half planned). Returns how many items were started: `count` unless
// stopped.
//
// Thread-safety: `work` and `stop` are called from up to `in_flight` threads at once (the caller's among them), each
// index on exactly one of them; `work` must not throw. Returns after every started item finished.

#include <cstddef>
#include <functional>

namespace cloudopt {

std::size_t RunInFlight(std::size_t count, int in_flight, const std::function<void(std::size_t)>& work,
                        const std::function<bool()>& stop = {});

}  // namespace cloudopt
