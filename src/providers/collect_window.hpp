#pragma once
// Where each resource's next read of a metric source starts: one period after the last point it returned, and
// never further back than the backfill (the first read of a resource fetches that much history). Every pull
// source (CloudWatch, Azure Monitor, Cloud Monitoring, Prometheus) keeps one. Thread-safe.

#include <algorithm>
#include <map>
#include <mutex>

#include "core/resource.hpp"
#include "core/time.hpp"

namespace cloudopt::providers {

class CollectWindow {
public:
    explicit CollectWindow(UnixSeconds backfill_seconds) : backfill_(backfill_seconds) {}

    // Where a read ending at `end` starts for this resource (start >= end: nothing new to ask for).
    UnixSeconds Start(ResourceId id, UnixSeconds end) const {
        std::lock_guard lock(mutex_);
        auto it = next_start_.find(id);
        return std::max(it == next_start_.end() ? end - backfill_ : it->second, end - backfill_);
    }
    // The newest point a read returned; the next read starts one period after it.
    void Seen(ResourceId id, UnixSeconds newest, UnixSeconds period) {
        std::lock_guard lock(mutex_);
        next_start_[id] = newest + period;
    }

private:
    UnixSeconds backfill_;
    mutable std::mutex mutex_;
    std::map<ResourceId, UnixSeconds> next_start_;
};

}  // namespace cloudopt::providers
