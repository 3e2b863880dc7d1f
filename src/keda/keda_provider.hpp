#pragma once
// The `keda` provider (docs/KEDA.md): a resource on it is scaled by KEDA, never by cloudopt directly. The loop
// plans it as any other resource (the same engine, rules and records); "applying" a change only publishes the
// count to the PlanBoard, which the ExternalScaler service serves to KEDA, whose HPA sets the replicas. Its
// actions are recorded as "served to KEDA" (CapacityState::served_to). Thread-safe (the board is).

#include <functional>
#include <optional>

#include "core/provider.hpp"
#include "keda/plan_board.hpp"

namespace cloudopt::keda {

class KedaProvider final : public Provider {
  public:
    // `last_known` gives the count served before a restart (the last desired_capacity the service recorded), so
    // that a restart does not scale a running workload back to min_capacity; null or nothing: min_capacity.
    using LastKnown = std::function<std::optional<int>(const Resource&)>;
    explicit KedaProvider(PlanBoard& board, LastKnown last_known = {});

    // desired = ready = the count being served (the replicas KEDA runs are not visible from here).
    Result<CapacityState> Describe(const Resource& resource) override;
    Status SetDesiredCapacity(const Resource& resource, int desired) override;
    void Planned(const Resource& resource, const PassPlan& plan) override;

  private:
    PlanBoard& board_;  // not owned; outlives the provider
    LastKnown last_known_;
};

}  // namespace cloudopt::keda
