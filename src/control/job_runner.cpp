#include "control/job_runner.hpp"

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace cloudopt {

namespace {
constexpr std::size_t kFinishedJobsKept = 1000;
// Results kept in memory across finished jobs (a simulation's charts are hundreds of kB): past this, the oldest
// finished jobs are forgotten first.
constexpr std::size_t kResultBytesKept = 64u << 20;

bool Finished(JobState state) { return state != JobState::kQueued && state != JobState::kRunning; }

// Which runner's lane the calling thread works for, so stopping() answers for the job that asks.
thread_local const void* tl_runner = nullptr;
thread_local std::size_t tl_lane = 0;
constexpr std::size_t kSharedLane = 99;  // tl_lane of the shared queue's worker

// Progress is written to the shared queue at most this often (it is a database write).
constexpr auto kSharedProgressEvery = std::chrono::seconds(2);

JobState StateOf(const std::string& state) {
    if (state == "running") return JobState::kRunning;
    if (state == "succeeded") return JobState::kSucceeded;
    if (state == "failed") return JobState::kFailed;
    if (state == "cancelled") return JobState::kCancelled;
    return JobState::kQueued;
}

JobInfo InfoOf(const QueuedJob& q) {
    JobInfo job;
    job.id = q.id;
    job.kind = q.kind;
    job.subject = q.subject;
    job.reason = q.reason + (q.attempts > 1 ? " (taken over from a replica that stopped)" : "");
    job.state = StateOf(q.state);
    job.progress = q.progress;
    job.result_json = q.result;
    job.error = q.error;
    job.created_at = q.created_at;
    job.finished_at = q.finished_at;
    return job;
}
}  // namespace

const char* JobStateName(JobState state) {
    switch (state) {
        case JobState::kQueued:
            return "queued";
        case JobState::kRunning:
            return "running";
        case JobState::kSucceeded:
            return "succeeded";
        case JobState::kFailed:
            return "failed";
        case JobState::kCancelled:
            return "cancelled";
    }
    return "queued";
}

JobRunner::JobRunner(const Clock& clock) : clock_(clock) {
    for (std::size_t lane = 0; lane < kLanes; ++lane) workers_[lane] = std::thread([this, lane] { Run(lane); });
}

JobRunner::~JobRunner() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& worker : workers_) worker.join();
    if (shared_worker_.joinable()) shared_worker_.join();
}

bool JobRunner::stopping() const {
    if (tl_runner == this && tl_lane == kSharedLane) {
        std::lock_guard lock(mutex_);
        return stopping_ || shared_cancel_.load();
    }
    std::lock_guard lock(mutex_);
    const std::size_t lane = tl_runner == this ? tl_lane : static_cast<std::size_t>(JobLane::kBackground);
    return stopping_ || lanes_[lane].cancel_running;
}

JobRunner::Submitted JobRunner::Submit(const std::string& kind, const std::string& subject, Work work,
                                       const std::string& reason, std::size_t max_active_of_kind) {
    Options options;
    options.reason = reason;
    options.max_active_of_kind = max_active_of_kind;
    return Submit(kind, subject, std::move(work), options);
}

JobRunner::Submitted JobRunner::Submit(const std::string& kind, const std::string& subject, Work work,
                                       const Options& options) {
    if (shared_ && factories_.count(kind)) {
        // The work is made again from the subject by whichever replica claims it (ShareThrough's factory).
        QueuedJob queued;
        queued.kind = kind;
        queued.subject = subject;
        queued.reason = options.reason;
        queued.created_at = clock_.Now();
        auto stored = shared_->EnqueueJob(queued);
        if (!stored) {
            JobInfo failed;
            failed.kind = kind;
            failed.subject = subject;
            failed.state = JobState::kFailed;
            failed.error = "the shared job queue: " + stored.error().message;
            return {failed, false, true};
        }
        const bool created = stored->id > 0;
        stored->id = std::abs(stored->id);
        return {InfoOf(*stored), created};
    }
    const std::size_t max_active_of_kind = options.max_active_of_kind;
    std::lock_guard lock(mutex_);
    std::size_t active_of_kind = 0;
    for (const auto& [id, job] : jobs_) {
        if (Finished(job.state) || job.kind != kind) continue;
        if (job.subject == subject) return {job, false};
        ++active_of_kind;
    }
    if (max_active_of_kind != 0 && active_of_kind >= max_active_of_kind) {
        JobInfo none;
        none.kind = kind;
        return {none, false, true};
    }
    // Forget the oldest finished jobs so memory stays bounded in a long-running service.
    while (jobs_.size() >= kFinishedJobsKept) {
        auto oldest = jobs_.begin();
        if (oldest->second.state == JobState::kQueued || oldest->second.state == JobState::kRunning) break;
        jobs_.erase(oldest);
    }
    JobInfo job;
    job.id = next_id_++;
    job.kind = kind;
    job.subject = subject;
    job.reason = options.reason;
    job.created_at = clock_.Now();
    job.stoppable = options.stoppable;
    jobs_[job.id] = job;
    lanes_[static_cast<std::size_t>(options.lane)].queue.emplace_back(job.id, std::move(work));
    cv_.notify_all();
    return {job, true};
}

Result<JobInfo> JobRunner::Cancel(std::int64_t id) {
    if (IsShared(id)) {
        auto cancelled = shared_->CancelJob(id, clock_.Now());
        if (!cancelled) return cancelled.error();
        return InfoOf(*cancelled);
    }
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return MakeError(ErrorCode::kNotFound, "job " + std::to_string(id) + " not found");
    JobInfo& job = it->second;
    if (Finished(job.state))
        return MakeError(ErrorCode::kConflict,
                         "job " + std::to_string(id) + " already ended (" + JobStateName(job.state) + ")");
    if (job.state == JobState::kQueued) {
        for (Lane& lane : lanes_) std::erase_if(lane.queue, [id](const auto& queued) { return queued.first == id; });
        job.state = JobState::kCancelled;
        job.error = "cancelled before it started";
        job.finished_at = clock_.Now();
        cv_.notify_all();
        return job;
    }
    if (!job.stoppable)
        return MakeError(ErrorCode::kConflict, "job " + std::to_string(id) + " (" + job.kind +
                                                   ") is running and cannot stop half-way; it ends on its own");
    for (Lane& lane : lanes_)
        if (lane.running == id) lane.cancel_running = true;
    return job;
}

std::vector<JobInfo> JobRunner::List(std::size_t limit) const {
    std::vector<JobInfo> out;
    if (shared_) {
        if (auto listed = shared_->ListJobs(limit); listed)
            for (const QueuedJob& q : *listed) {
                JobInfo summary = InfoOf(q);
                summary.result_json.clear();
                out.push_back(std::move(summary));
            }
    }
    std::lock_guard lock(mutex_);
    for (auto it = jobs_.rbegin(); it != jobs_.rend() && out.size() < limit; ++it) {
        const JobInfo& job = it->second;
        // Every field but the result, which may be hundreds of kB (a simulation's charts).
        JobInfo summary;
        summary.id = job.id;
        summary.kind = job.kind;
        summary.subject = job.subject;
        summary.reason = job.reason;
        summary.state = job.state;
        summary.progress = job.progress;
        summary.error = job.error;
        summary.created_at = job.created_at;
        summary.finished_at = job.finished_at;
        summary.stoppable = job.stoppable;
        out.push_back(std::move(summary));
    }
    if (shared_) {  // both kinds, newest first
        std::stable_sort(out.begin(), out.end(),
                         [](const JobInfo& a, const JobInfo& b) { return a.created_at > b.created_at; });
        if (out.size() > limit) out.resize(limit);
    }
    return out;
}

std::optional<JobInfo> JobRunner::Get(std::int64_t id) const {
    if (IsShared(id)) {
        auto got = shared_->GetJob(id);
        if (!got || !*got) return std::nullopt;
        return InfoOf(**got);
    }
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return std::nullopt;
    return it->second;
}

bool JobRunner::WaitFor(std::int64_t id, std::chrono::milliseconds timeout) const {
    if (IsShared(id)) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto job = Get(id);
            if (!job || Finished(job->state)) return true;
            if (std::chrono::steady_clock::now() >= until) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] {
        auto it = jobs_.find(id);
        return it == jobs_.end() || Finished(it->second.state);
    });
}

void JobRunner::ForgetOldResults() {
    std::size_t bytes = 0;
    for (const auto& [id, job] : jobs_) bytes += job.result_json.size();
    for (auto it = jobs_.begin(); it != jobs_.end() && bytes > kResultBytesKept;) {
        if (!Finished(it->second.state)) {
            ++it;
            continue;
        }
        bytes -= it->second.result_json.size();
        it = jobs_.erase(it);
    }
}

void JobRunner::Run(std::size_t lane_index) {
    tl_runner = this;
    tl_lane = lane_index;
    Lane& lane = lanes_[lane_index];
    std::unique_lock lock(mutex_);
    while (true) {
        cv_.wait(lock, [&] { return stopping_ || !lane.queue.empty(); });
        if (stopping_) return;
        auto [id, work] = std::move(lane.queue.front());
        lane.queue.pop_front();
        jobs_[id].state = JobState::kRunning;
        lane.running = id;
        lane.cancel_running = false;
        lock.unlock();
        Progress progress = [this, id = id](double p) {
            std::lock_guard guard(mutex_);
            jobs_[id].progress = p;
        };
        Result<std::string> result = work(progress);
        lock.lock();
        JobInfo& job = jobs_[id];
        job.finished_at = clock_.Now();
        if (lane.cancel_running) {
            job.state = JobState::kCancelled;
            job.error = "cancelled while running";
        } else if (result) {
            job.state = JobState::kSucceeded;
            job.progress = 1.0;
            job.result_json = std::move(*result);
        } else {
            job.state = JobState::kFailed;
            job.error = result.error().message;
        }
        lane.running = 0;
        lane.cancel_running = false;
        ForgetOldResults();
        cv_.notify_all();
    }
}

void JobRunner::ShareThrough(Coordination& queue, std::string member, std::map<std::string, Factory> factories,
                             std::chrono::milliseconds poll) {
    {
        std::lock_guard lock(mutex_);
        shared_ = &queue;
        member_ = std::move(member);
        factories_ = std::move(factories);
        poll_ = poll;
        next_id_ = std::max(next_id_, kLocalIdBase);
    }
    shared_worker_ = std::thread([this] { RunShared(); });
}

Result<QueuedJob> JobRunner::FinishShared(const QueuedJob& job) {
    // The outcome must reach the queue: while this replica lives nobody takes the job over, so a lost final write
    // would leave it "running" for ever. Retried until it lands or the job is no longer this replica's (kConflict:
    // taken over, the other finishes it); once this replica stops, a few tries, then its leaving lets another
    // replica take the job over.
    // Only an unreachable database is worth waiting for: any other refusal (a value the database will not take) is
    // answered once more with the job failed and no result, so it ends instead of wedging this worker.
    std::chrono::milliseconds wait = shared_retry_first_;
    for (int attempt = 1;; ++attempt) {
        auto stored = shared_->UpdateJob(job, member_);
        if (stored || stored.error().code == ErrorCode::kConflict) return stored;
        if (stored.error().code != ErrorCode::kUnavailable) {
            QueuedJob failed = job;
            failed.state = failed.state == "cancelled" ? "cancelled" : "failed";
            failed.result.clear();
            failed.error = "its outcome could not be stored: " + stored.error().message.substr(0, 500);
            return shared_->UpdateJob(failed, member_);
        }
        std::unique_lock lock(mutex_);
        if (stopping_ && attempt >= kFinalWriteTriesWhenStopping) return stored;
        cv_.wait_for(lock, wait);
        wait = std::min(wait * 2, kFinalWriteMaxWait);
    }
}

void JobRunner::RunShared() {
    tl_runner = this;
    tl_lane = kSharedLane;
    std::vector<std::string> kinds;
    for (const auto& [kind, factory] : factories_) kinds.push_back(kind);
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        auto claimed = shared_->ClaimJob(member_, kinds, clock_.Now());
        if (claimed && *claimed) {
            QueuedJob job = **claimed;
            shared_cancel_ = false;
            auto work = factories_.at(job.kind)(job.subject);
            Result<std::string> result = work ? Result<std::string>(MakeError(ErrorCode::kInternal, "not run"))
                                              : Result<std::string>(work.error());
            if (work) {
                auto last_report = std::chrono::steady_clock::now();
                Progress progress = [&](double p) {
                    job.progress = p;
                    if (std::chrono::steady_clock::now() - last_report < kSharedProgressEvery) return;
                    last_report = std::chrono::steady_clock::now();
                    auto stored = shared_->UpdateJob(job, member_);
                    // Cancelled through any replica, or taken over (this replica was thought dead): stop. A write
                    // that failed otherwise (the database briefly away) is only a progress report lost: go on.
                    if (stored ? stored->cancel_requested : stored.error().code == ErrorCode::kConflict)
                        shared_cancel_ = true;
                };
                result = (*work)(progress);
            }
            job.finished_at = clock_.Now();
            auto latest = shared_->GetJob(job.id);
            const bool cancel_asked = shared_cancel_ || (latest && *latest && (*latest)->cancel_requested);
            bool stopping_now = false;
            {
                std::lock_guard guard(mutex_);
                stopping_now = stopping_;
            }
            if (stopping_now && !shared_cancel_) {
                // This replica stops: the job goes back to the queue for another (or this one, restarted).
                job.state = "queued";
                job.progress = 0.0;
                job.finished_at = 0;
            } else if (cancel_asked) {
                job.state = "cancelled";
                job.error = "cancelled while running";
            } else if (result) {
                job.state = "succeeded";
                job.progress = 1.0;
                job.result = std::move(*result);
            } else {
                job.state = "failed";
                job.error = result.error().message;
            }
            auto stored = FinishShared(job);
            if (stored && job.state == "succeeded" && shared_done_) shared_done_(InfoOf(*stored));
            lock.lock();
            continue;  // look for the next job at once
        }
        lock.lock();
        cv_.wait_for(lock, poll_, [this] { return stopping_; });
    }
}

}  // namespace cloudopt
