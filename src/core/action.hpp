#pragma once
// Records of what the control loop decided and did.

#include <optional>
#include <string>
#include <string_view>

#include "core/resource.hpp"
#include "core/time.hpp"

namespace cloudopt {

enum class ActionStatus { kPlanned, kApplied, kFailed, kSkipped };
const char* ActionStatusName(ActionStatus status);
std::optional<ActionStatus> ParseActionStatus(std::string_view text);

struct AllocationAction {
    std::int64_t id = 0;
    ResourceId resource_id = 0;
    UnixSeconds ts = 0;
    int from_capacity = 0;
    int to_capacity = 0;
    std::string reason;
    ActionStatus status = ActionStatus::kPlanned;
    std::string error;  // the provider's error when status is failed
    double hourly_cost_before = 0.0;
    double hourly_cost_after = 0.0;
};

// A change of a resource's desired capacity, for counting how often a policy changes its mind.
struct CapacityChange {
    UnixSeconds ts = 0;
    int from = 0;
    int to = 0;
};

// A flap: a change that returns a resource to the capacity it had before the previous change, within `window`
// seconds of that change (3 -> 4 -> 3 within 30 minutes). A scale-in undone that soon saved almost nothing and
// cost a boot; an autoscaler that flaps is one a platform engineer switches off.
inline constexpr UnixSeconds kFlapWindowSeconds = 1800;
inline bool IsFlap(const CapacityChange& previous, const CapacityChange& change,
                   UnixSeconds window = kFlapWindowSeconds) {
    return change.from == previous.to && change.to == previous.from && change.ts - previous.ts <= window;
}

// What recommend mode proposes instead of acting. "open" until applied, dismissed or superseded by a newer one.
struct Recommendation {
    std::int64_t id = 0;
    ResourceId resource_id = 0;
    UnixSeconds created_at = 0;
    int from_capacity = 0;
    int to_capacity = 0;
    std::string reason;
    double hourly_cost_before = 0.0;
    double hourly_cost_after = 0.0;
    // open, then one of: applied, dismissed, superseded (a newer plan differs), expired (the capacity already
    // matches, or it grew too old to act on), closed (the resource left recommend mode).
    std::string status = "open";
    std::string status_reason;  // why it left "open", in a sentence
    UnixSeconds closed_at = 0;  // when it left "open"
    UnixSeconds snooze_until = 0;  // dismissed with a snooze: the same proposal may come back after this
};

}  // namespace cloudopt
