#pragma once
// Sample changes carried between replicas (docs/PERFORMANCE.md "The read API"): each replica caches rendered
// downsampled buckets (api/rendered_buckets.hpp), kept current by its store's notice of each committed write
// (Store::OnSamplesChanged), which only hears its own process's writes. The event bridge (cluster/event_bridge.hpp)
// queues this replica's changes here and sends them every 100 ms as NOTIFY payloads under PostgreSQL's 8000-byte
// limit, coalesced per series (its oldest changed time); the other replicas' bridges hand them to their caches.
//
// Payload: {"replica": member, "kind": "samples", "s": [[resource_id, "metric", since], ...]}; a metric "" is every
// metric of the resource; {"kind": "samples", "all": true} is every series (too many to list, or some were lost).
//
// Thread-safety: PendingSampleChanges may be used from any thread; the functions are pure. Header-only: small, and
// used by the bridge and its tests.

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/sample.hpp"
#include "core/time.hpp"

namespace cloudopt::cluster {

// The receivers' sign for "every series": no resource has id 0.
inline const SeriesKey kEverySeries{0, std::string()};

class PendingSampleChanges {
  public:
    // Above this many series in one publish, changes are coalesced per resource; above this many resources, one
    // "all" payload is sent (a storm of writes across the fleet costs a few notifications, not hundreds).
    static constexpr std::size_t kMaxEntries = 2000;

    void Add(const SeriesKey& key, UnixSeconds since);
    // Some changes could not be sent: the next payloads say "all", so no replica keeps a stale bucket.
    void MarkLost();
    // Takes what is queued as payloads of at most `max_bytes` each (none when nothing changed).
    std::vector<std::string> TakePayloads(const std::string& member, std::size_t max_bytes);

  private:
    std::mutex mutex_;
    std::map<std::pair<ResourceId, std::string>, UnixSeconds> pending_;  // guarded by mutex_
    bool lost_ = false;                                                  // guarded by mutex_
};

// The changes a "samples" event names (kEverySeries for "all"); malformed entries are skipped.
std::vector<std::pair<SeriesKey, UnixSeconds>> ParseSampleChanges(const nlohmann::json& event);

// Definitions.

inline void PendingSampleChanges::Add(const SeriesKey& key, UnixSeconds since) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = pending_.try_emplace({key.resource_id, key.metric}, since);
    if (!inserted) it->second = std::min(it->second, since);
}

inline void PendingSampleChanges::MarkLost() {
    std::lock_guard lock(mutex_);
    lost_ = true;
}

inline std::vector<std::string> PendingSampleChanges::TakePayloads(const std::string& member, std::size_t max_bytes) {
    std::map<std::pair<ResourceId, std::string>, UnixSeconds> changes;
    bool all = false;
    {
        std::lock_guard lock(mutex_);
        changes.swap(pending_);
        all = lost_;
        lost_ = false;
    }
    if (changes.size() > kMaxEntries) {  // per resource: an empty metric is every metric of it
        std::map<std::pair<ResourceId, std::string>, UnixSeconds> per_resource;
        for (const auto& [key, since] : changes) {
            auto [it, inserted] = per_resource.try_emplace({key.first, std::string()}, since);
            if (!inserted) it->second = std::min(it->second, since);
        }
        changes.swap(per_resource);
        all = all || changes.size() > kMaxEntries;
    }
    const std::string head = nlohmann::json(member).dump();
    if (all) return {R"({"replica":)" + head + R"(,"kind":"samples","all":true})"};
    std::vector<std::string> payloads;
    const std::string open = R"({"replica":)" + head + R"(,"kind":"samples","s":[)";
    std::string current;
    for (const auto& [key, since] : changes) {
        const std::string entry = nlohmann::json::array({key.first, key.second, since}).dump();
        if (!current.empty() && open.size() + current.size() + 1 + entry.size() + 2 > max_bytes) {
            payloads.push_back(open + current + "]}");
            current.clear();
        }
        current += (current.empty() ? "" : ",") + entry;
    }
    if (!current.empty()) payloads.push_back(open + current + "]}");
    return payloads;
}

inline std::vector<std::pair<SeriesKey, UnixSeconds>> ParseSampleChanges(const nlohmann::json& event) {
    std::vector<std::pair<SeriesKey, UnixSeconds>> out;
    if (const auto all = event.find("all"); all != event.end() && all->is_boolean() && all->get<bool>()) {
        out.emplace_back(kEverySeries, INT64_MIN);
        return out;
    }
    const auto list = event.find("s");
    if (list == event.end() || !list->is_array()) return out;
    for (const nlohmann::json& entry : *list) {
        if (!entry.is_array() || entry.size() != 3 || !entry[0].is_number_integer() || !entry[1].is_string() ||
            !entry[2].is_number_integer())
            continue;
        const auto id = entry[0].get<std::int64_t>();
        if (id <= 0) continue;  // 0 would read as "every series"
        out.emplace_back(SeriesKey{id, entry[1].get<std::string>()}, entry[2].get<std::int64_t>());
    }
    return out;
}

}  // namespace cloudopt::cluster
