#pragma once
// The serverless form of "unmet demand". On a serverless resource (Lambda provisioned concurrency, Cloud Run minimum
// instances, Azure Functions always-ready instances) the warm capacity a policy keeps serves load at once; load
// beyond it is still served, but by environments the platform starts on demand, and each such start is a cold start
// (an init of hundreds of milliseconds to seconds that the request waits for).
//
// Counted per scored step k of a replay (simulate/replay.hpp), with one environment of the same size as a warm
// unit (it serves `capacity_per_instance` units of load):
//   on_demand(k) = ceil(max(0, demand(k) - ready(k) x capacity_per_instance) / capacity_per_instance)
//   cold(k)      = max(0, on_demand(k) - max(on_demand(k - K) .. on_demand(k - 1)))
// where K = ceil(keep_warm_s / step): an environment started on demand stays warm for keep_warm_s after its last
// use, so a step needs new (cold) environments only beyond those still alive. No cloud publishes how long an idle
// environment lives; 300 s is a conservative planning figure (0 counts every step's excess as cold). Steps whose
// demand was not measured are not scored and need no environment.

#include <cstddef>
#include <vector>

#include "core/sample.hpp"
#include "core/time.hpp"

namespace cloudopt {

inline constexpr UnixSeconds kDefaultKeepWarmSeconds = 300;

struct ColdStarts {
    double starts = 0.0;       // cold starts over the scored steps
    double cold_share = 0.0;   // share of the scored demand served beyond warm capacity
    double steps_share = 0.0;  // share of scored steps with at least one cold start
};

// `ready` holds the warm units of each step from `first_scored` on (PolicyResult::ready). Pure; thread-safe.
ColdStarts CountColdStarts(const RegularSeries& series, std::size_t first_scored, const std::vector<int>& ready,
                           double capacity_per_instance, UnixSeconds keep_warm_s = kDefaultKeepWarmSeconds);

}  // namespace cloudopt
