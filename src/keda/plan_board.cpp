#include "keda/plan_board.hpp"

namespace cloudopt::keda {

int PlanBoard::Count(const Resource& resource, const std::function<int()>& initial) {
    {
        std::lock_guard lock(mutex_);
        if (auto it = entries_.find(resource.id); it != entries_.end()) return it->second.count;
    }
    const int start = initial ? initial() : resource.min_capacity;  // may read the store: not under the lock
    std::lock_guard lock(mutex_);
    auto [it, inserted] = entries_.try_emplace(resource.id, BoardEntry{resource, start, std::nullopt});
    if (inserted) Changed();
    return it->second.count;
}

void PlanBoard::SetCount(const Resource& resource, int count) {
    std::lock_guard lock(mutex_);
    BoardEntry& e = entries_[resource.id];
    e.resource = resource;
    e.count = count;
    Changed();
}

void PlanBoard::Record(const Resource& resource, const PassPlan& plan) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = entries_.try_emplace(resource.id, BoardEntry{resource, resource.min_capacity, std::nullopt});
    it->second.resource = resource;
    it->second.plan = plan;
    Changed();
}

std::optional<BoardEntry> PlanBoard::Find(ResourceId id) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
}

std::uint64_t PlanBoard::version() const {
    std::lock_guard lock(mutex_);
    return version_;
}

std::uint64_t PlanBoard::WaitForChange(std::uint64_t seen, std::chrono::steady_clock::time_point deadline) const {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, deadline, [&] { return version_ != seen; });
    return version_;
}

void PlanBoard::Wake() {
    std::lock_guard lock(mutex_);
    Changed();
}

void PlanBoard::Changed() {
    ++version_;
    changed_.notify_all();
}

}  // namespace cloudopt::keda
