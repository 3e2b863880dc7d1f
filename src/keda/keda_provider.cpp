#include "keda/keda_provider.hpp"

#include <algorithm>

namespace cloudopt::keda {

KedaProvider::KedaProvider(PlanBoard& board, LastKnown last_known)
    : board_(board), last_known_(std::move(last_known)) {}

Result<CapacityState> KedaProvider::Describe(const Resource& r) {
    const int count = board_.Count(r, [&] {
        const std::optional<int> known = last_known_ ? last_known_(r) : std::nullopt;
        return std::clamp(known.value_or(r.min_capacity), r.min_capacity, r.max_capacity);
    });
    CapacityState state;
    state.desired = state.ready = count;
    state.instance_type = r.instance_type;
    state.served_to = "KEDA";
    return state;
}

Status KedaProvider::SetDesiredCapacity(const Resource& r, int desired) {
    if (desired < 0) return MakeError(ErrorCode::kInvalidArgument, "desired capacity must be >= 0");
    board_.SetCount(r, desired);
    return Status::Ok();
}

void KedaProvider::Planned(const Resource& r, const PassPlan& plan) { board_.Record(r, plan); }

}  // namespace cloudopt::keda
