#pragma once
// An anomaly alert on one metric series of a resource (docs/ANOMALY.md, "In the service"): opened when the
// streaming detector's score passes the threshold, closed when the series is back in its former range.

#include <cstdint>
#include <optional>
#include <string>

#include "core/resource.hpp"
#include "core/time.hpp"

namespace cloudopt {

struct Alert {
    std::int64_t id = 0;
    ResourceId resource_id = 0;
    std::string metric;
    std::string state = "open";        // "open" or "closed"
    std::string severity = "warning";  // "warning", or "critical" for a score at or above kCriticalScore
    UnixSeconds opened_at = 0;         // start of the 5-minute step whose mean opened it
    UnixSeconds closed_at = 0;         // 0 while open
    // The evidence: the mean that opened it, its score, the highest score while open, and what was expected.
    double value = 0.0;
    double score = 0.0;
    double peak_score = 0.0;
    double range_low = 0.0;  // the range the series covered before the alert (what "back to normal" means)
    double range_high = 0.0;
    std::optional<double> forecast_p50;  // the stored forecast's band for that step, where there was one
    std::optional<double> forecast_p99;
    // The chart window that shows it: from before it opened to after the last step it covered.
    UnixSeconds window_from = 0;
    UnixSeconds window_to = 0;
    std::string message;  // one sentence for people, e.g. "cpu_cores 120.0 is 45% of its range above 80.0"
};

inline constexpr double kCriticalScore = 0.63;  // evidence of 20% of the range (docs/ANOMALY.md)

struct AlertQuery {
    std::optional<ResourceId> resource_id;
    std::optional<std::string> state;  // "open" or "closed"; all when unset
    int limit = 100;
};

}  // namespace cloudopt
