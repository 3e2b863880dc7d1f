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
    std::string status = "open";
};

}  // namespace cloudopt
