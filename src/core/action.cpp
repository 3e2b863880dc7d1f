#include "core/action.hpp"

namespace cloudopt {

const char* ActionStatusName(ActionStatus status) {
    switch (status) {
        case ActionStatus::kPlanned: return "planned";
        case ActionStatus::kApplied: return "applied";
        case ActionStatus::kFailed: return "failed";
        case ActionStatus::kSkipped: return "skipped";
    }
    return "planned";
}

std::optional<ActionStatus> ParseActionStatus(std::string_view text) {
    if (text == "planned") return ActionStatus::kPlanned;
    if (text == "applied") return ActionStatus::kApplied;
    if (text == "failed") return ActionStatus::kFailed;
    if (text == "skipped") return ActionStatus::kSkipped;
    return std::nullopt;
}

}  // namespace cloudopt
