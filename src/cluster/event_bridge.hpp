#pragma once
// Live events across replicas (LISTEN/NOTIFY): the dashboard's event stream (GET /api/events) on any replica hears
// the passes of every replica, so a page refreshes when the replica that planned its resources made a change, not
// only when the one it is connected to did. This replica NOTIFYs after each of its loop's ticks (a small JSON
// payload, far below PostgreSQL's 8000-byte limit), and one thread LISTENs and counts the others' events. It also
// carries each replica's sample changes to the others, so that their caches of rendered buckets drop what changed.
//
// Thread-safety: remote_events() and last_remote() from any thread; Start/Stop from one.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/sample_changes.hpp"
#include "core/time.hpp"
#include "store/coordination.hpp"

namespace cloudopt::cluster {

class EventBridge {
  public:
    // `local_passes` is polled (every 100 ms) for this replica's tick count; each change is announced. Not owning.
    EventBridge(Coordination& coordination, std::string member, std::function<std::int64_t()> local_passes,
                const Clock& clock);
    ~EventBridge();
    EventBridge(const EventBridge&) = delete;
    EventBridge& operator=(const EventBridge&) = delete;

    void Start();
    void Stop();
    // Events received from the other replicas since start.
    std::int64_t remote_events() const { return remote_events_.load(); }
    // The last of them, as sent (JSON: {"replica":..,"passes":..,"now":..}).
    std::string last_remote() const;
    // Tells the other replicas that something they keep in memory changed (e.g. "models": a training job stored new
    // models); theirs hear it through OnRemote. Set OnRemote before Start.
    Status Announce(const std::string& kind);
    void OnRemote(std::function<void(const std::string& kind)> heard) { on_remote_ = std::move(heard); }
    // Samples this replica committed (its store's OnSamplesChanged): queued, then sent to the other replicas within
    // 100 ms, coalesced per series (cluster/sample_changes.hpp). Any thread; cheap (a map insert).
    void SamplesChanged(const SeriesKey& key, UnixSeconds since) { pending_samples_.Add(key, since); }
    // Hears the samples the other replicas committed (cluster::kEverySeries, INT64_MIN: anything may have changed,
    // e.g. after this replica's listening connection was lost). Called on the listener thread; add before Start.
    void OnRemoteSamples(std::function<void(const SeriesKey& key, UnixSeconds since)> heard) {
        on_remote_samples_.push_back(std::move(heard));
    }

  private:
    void Publish();
    void PublishSamples();
    void Listen();
    void HeardSamples(const std::vector<std::pair<SeriesKey, UnixSeconds>>& changes);

    Coordination& coordination_;
    const std::string member_;
    std::function<std::int64_t()> local_passes_;
    std::function<void(const std::string&)> on_remote_;
    std::vector<std::function<void(const SeriesKey&, UnixSeconds)>> on_remote_samples_;
    PendingSampleChanges pending_samples_;
    const Clock& clock_;
    std::atomic<std::int64_t> remote_events_{0};
    mutable std::mutex mutex_;
    std::string last_remote_;  // guarded by mutex_
    std::condition_variable stop_cv_;
    bool stopping_ = false;  // guarded by mutex_
    std::thread publisher_;
    std::thread listener_;
};

}  // namespace cloudopt::cluster
