#pragma once
// Actions a user asks of a replica that does not plan the resource (issue 31 item 2: POST
// /api/resources/recommendations/{id}/apply works on every replica) are carried out by the replica holding the
// resource's lease, on its fenced path: the asking replica queues a job bound to the lease (store/coordination.hpp,
// params {"lease_of": id}), which only the lease's holder claims; the holder applies it under its lease (the epoch
// written with the action, its cloud call bounded by the lease) and the asking replica waits for the outcome. A
// holder that dies meanwhile leaves the job to the next holder (taken over like any shared job).
//
// Thread-safety: Forward from any thread (API workers); Start/Stop from one.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.hpp"
#include "core/resource.hpp"
#include "core/time.hpp"
#include "store/coordination.hpp"

namespace cloudopt::cluster {

// The job kind of a forwarded apply; its subject is "recommendation:<id>".
inline constexpr const char* kApplyJobKind = "apply";

class ApplyRelay {
  public:
    // Applies recommendation `id` on this replica, which holds the resource's lease; returns the recorded action's
    // id (it must not forward again).
    using Apply = std::function<Result<std::int64_t>(std::int64_t recommendation_id)>;
    struct Options {
        std::chrono::milliseconds poll{200};  // how often the worker looks for forwarded applies
        std::chrono::milliseconds wait{0};    // how long Forward waits for the holder (0: 2 lease periods + 5 s)
    };
    // Not owning; `coordination` and `clock` outlive it.
    ApplyRelay(Coordination& coordination, std::string member, Apply apply, const Clock& clock, Options options);
    ~ApplyRelay();
    ApplyRelay(const ApplyRelay&) = delete;
    ApplyRelay& operator=(const ApplyRelay&) = delete;

    void Start();  // the worker that claims the applies forwarded to this replica
    void Stop();

    // Asks the holder of `resource_id`'s lease to apply the recommendation and waits for it: the recorded action's
    // id, the holder's error (its code kept), or kUnavailable when the holder did not answer in time (the job stays
    // queued: GET /api/jobs/{id} follows it).
    Result<std::int64_t> Forward(std::int64_t recommendation_id, ResourceId resource_id,
                                 const std::string& holder_hint);

  private:
    void Work();
    Coordination& coordination_;
    std::string member_;
    Apply apply_;
    const Clock& clock_;
    Options options_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;  // guarded by mutex_
    std::thread thread_;
};

}  // namespace cloudopt::cluster
