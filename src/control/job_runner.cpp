#include "control/job_runner.hpp"

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
}

bool JobRunner::stopping() const {
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
    std::lock_guard lock(mutex_);
    std::vector<JobInfo> out;
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
    return out;
}

std::optional<JobInfo> JobRunner::Get(std::int64_t id) const {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return std::nullopt;
    return it->second;
}

bool JobRunner::WaitFor(std::int64_t id, std::chrono::milliseconds timeout) const {
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

}  // namespace cloudopt
