#pragma once
// Background jobs (model training, simulations, allocation passes): the API answers 202 at once and clients poll
// GET /api/jobs/{id} (or cancel it). Two lanes, each one worker thread running its jobs in order: the background
// lane for long work (training, simulations) and the interactive lane for short work a person waits for (an
// allocation pass), so "allocate now" never queues behind minutes of training. At most one active job per (kind,
// subject), so a second "train" for a resource that is already training returns the running job instead of
// queueing a copy.
//
// With replicas sharing a PostgreSQL store (ShareThrough), the kinds given a factory (training) go through the shared
// queue instead (store/coordination.hpp): any replica's worker claims them (FOR UPDATE SKIP LOCKED), the API of every
// replica shows and cancels them, and a job whose replica died is taken over by another. Those jobs keep the queue's
// ids; the jobs only this replica runs (allocation passes, simulations) then count from 1,000,000,000.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"
#include "store/coordination.hpp"

namespace cloudopt {

enum class JobState { kQueued, kRunning, kSucceeded, kFailed, kCancelled };
enum class JobLane { kBackground, kInteractive };
const char* JobStateName(JobState state);

struct JobInfo {
    std::int64_t id = 0;
    std::string kind;
    std::string subject;  // what it works on, e.g. "resource:3" or "all"
    std::string reason;   // why it runs: "requested", or what the schedule or a drift saw
    JobState state = JobState::kQueued;
    double progress = 0.0;    // 0..1
    std::string result_json;  // set on success: a JSON document produced by the job
    std::string error;        // set on failure
    UnixSeconds created_at = 0;
    UnixSeconds finished_at = 0;
    bool stoppable = true;  // false: once running it finishes (cancel refused), e.g. a pass applying changes
};

class JobRunner {
  public:
    using Progress = std::function<void(double)>;
    using Work = std::function<Result<std::string>(const Progress&)>;

    explicit JobRunner(const Clock& clock);
    ~JobRunner();

    // Queues work; returns the new job, or the active one with the same kind and subject (created = false), or
    // refuses it (refused = true, nothing queued) when `max_active_of_kind` jobs of its kind are already queued or
    // running (0: no limit), so uploads cannot queue work and memory without end.
    struct Submitted {
        JobInfo job;
        bool created = true;
        bool refused = false;
    };
    Submitted Submit(const std::string& kind, const std::string& subject, Work work,
                     const std::string& reason = "requested", std::size_t max_active_of_kind = 0);
    struct Options {
        std::string reason = "requested";
        std::size_t max_active_of_kind = 0;
        JobLane lane = JobLane::kBackground;
        // false: work that cannot stop half-way without lying about what it did (an allocation pass applies changes
        // as it goes). Cancel still drops it while queued, and refuses it (kConflict) once it runs.
        bool stoppable = true;
    };
    Submitted Submit(const std::string& kind, const std::string& subject, Work work, const Options& options);
    std::optional<JobInfo> Get(std::int64_t id) const;
    // The jobs it remembers, newest first, at most `limit` (their results left out: GET /api/jobs/{id} has them).
    std::vector<JobInfo> List(std::size_t limit) const;
    // Cancels a job: a queued one at once (state cancelled), a running one at its next stopping() check, after
    // which it ends cancelled. kNotFound for an unknown id, kConflict for a job that already finished or a running
    // job that is not stoppable.
    Result<JobInfo> Cancel(std::int64_t id);
    // True once the runner is shutting down or the job running on the calling worker was cancelled: a long job
    // should stop and report that it did not finish. From another thread: shutting down or the background lane's
    // job cancelled.
    bool stopping() const;
    // Blocks until the job finished (for tests and the CLI); false on timeout.
    bool WaitFor(std::int64_t id, std::chrono::milliseconds timeout) const;

    // Makes the work of a shared job from its subject (e.g. "resource:3"), on whichever replica claims it.
    using Factory = std::function<Result<Work>(const std::string& subject)>;
    // Sends the kinds in `factories` through the shared queue from now on and starts this replica's worker for them
    // (polling every `poll`), which also takes over the jobs of replicas whose heartbeat expired. `member` is this
    // replica's id (its heartbeat is the lease manager's). Call once, before the first Submit. Not owning `queue`.
    void ShareThrough(Coordination& queue, std::string member, std::map<std::string, Factory> factories,
                      std::chrono::milliseconds poll = std::chrono::milliseconds(1000));
    // Called after a shared job this replica ran succeeded (e.g. to tell the other replicas to reload models).
    void OnSharedJobDone(std::function<void(const JobInfo&)> done) { shared_done_ = std::move(done); }

  private:
    static constexpr std::size_t kLanes = 2;
    struct Lane {
        std::deque<std::pair<std::int64_t, Work>> queue;
        std::int64_t running = 0;     // the job its worker runs now (0: none)
        bool cancel_running = false;  // Cancel asked the running job to stop
    };
    void Run(std::size_t lane);
    void ForgetOldResults();  // with mutex_ held
    void RunShared();
    // Writes a shared job's outcome, retrying while the database does not answer (see the definition).
    Result<QueuedJob> FinishShared(const QueuedJob& job);
    static constexpr int kFinalWriteTriesWhenStopping = 3;
    static constexpr std::chrono::milliseconds kFinalWriteMaxWait{5000};
    bool IsShared(std::int64_t id) const { return shared_ != nullptr && id < kLocalIdBase; }
    static constexpr std::int64_t kLocalIdBase = 1'000'000'000;

    const Clock& clock_;
    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
    std::map<std::int64_t, JobInfo> jobs_;
    Lane lanes_[kLanes];
    std::int64_t next_id_ = 1;
    bool stopping_ = false;
    std::thread workers_[kLanes];
    // The shared queue (set by ShareThrough before use, then read-only).
    Coordination* shared_ = nullptr;
    std::string member_;
    std::map<std::string, Factory> factories_;
    std::function<void(const JobInfo&)> shared_done_;
    std::chrono::milliseconds poll_{1000};
    std::chrono::milliseconds shared_retry_first_{100};  // the first wait before a failed final write is retried
    std::atomic<bool> shared_cancel_{false};             // the shared job running here was asked to stop
    std::thread shared_worker_;
};

}  // namespace cloudopt
