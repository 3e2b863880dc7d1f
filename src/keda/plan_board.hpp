#pragma once
// Where the `keda` provider leaves what the control loop planned for each resource it serves, and where the
// ExternalScaler service (keda/scaler_server.hpp) reads it when KEDA asks. The loop writes from its provider
// lane, the gRPC threads read: every member is thread-safe (one mutex; readers get copies).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "core/provider.hpp"
#include "core/resource.hpp"

namespace cloudopt::keda {

struct BoardEntry {
    Resource resource;             // as the loop last saw it
    int count = 0;                 // the replicas cloudopt wants: what the loop applied last (or the start value)
    std::optional<PassPlan> plan;  // the last pass's plan; none before the first pass since start
};

class PlanBoard {
  public:
    // The count for `resource`, set first to `initial()` when the board has none (the first Describe after start).
    int Count(const Resource& resource, const std::function<int()>& initial);
    void SetCount(const Resource& resource, int count);
    void Record(const Resource& resource, const PassPlan& plan);
    std::optional<BoardEntry> Find(ResourceId id) const;

    // Changes are numbered: a reader that saw `seen` waits until a later change or `deadline` (or Wake), and gets
    // the number now current.
    std::uint64_t version() const;
    std::uint64_t WaitForChange(std::uint64_t seen, std::chrono::steady_clock::time_point deadline) const;
    void Wake();  // wakes every waiter (the server is stopping)

  private:
    void Changed();  // with mutex_ held
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::map<ResourceId, BoardEntry> entries_;  // guarded by mutex_
    std::uint64_t version_ = 0;                 // guarded by mutex_
};

}  // namespace cloudopt::keda
