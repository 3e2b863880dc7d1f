#include "control/job_runner.hpp"

namespace cloudopt {

namespace {
constexpr std::size_t kFinishedJobsKept = 1000;
// Results kept in memory across finished jobs (a simulation's charts are hundreds of kB): past this, the oldest
// finished jobs are forgotten first.
constexpr std::size_t kResultBytesKept = 64u << 20;

bool Finished(JobState state) { return state != JobState::kQueued && state != JobState::kRunning; }
}  // namespace

const char* JobStateName(JobState state) {
    switch (state) {
        case JobState::kQueued: return "queued";
        case JobState::kRunning: return "running";
        case JobState::kSucceeded: return "succeeded";
        case JobState::kFailed: return "failed";
        case JobState::kCancelled: return "cancelled";
    }
    return "queued";
}

JobRunner::JobRunner(const Clock& clock) : clock_(clock), worker_([this] { Run(); }) {}

JobRunner::~JobRunner() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    worker_.join();
}

bool JobRunner::stopping() const {
    std::lock_guard lock(mutex_);
    return stopping_ || cancel_running_;
}

JobRunner::Submitted JobRunner::Submit(const std::string& kind, const std::string& subject, Work work,
                                       const std::string& reason, std::size_t max_active_of_kind) {
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
    job.reason = reason;
    job.created_at = clock_.Now();
    jobs_[job.id] = job;
    queue_.emplace_back(job.id, std::move(work));
    cv_.notify_all();
    return {job, true};
}

Result<JobInfo> JobRunner::Cancel(std::int64_t id) {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return MakeError(ErrorCode::kNotFound, "job " + std::to_string(id) + " not found");
    JobInfo& job = it->second;
    if (Finished(job.state))
        return MakeError(ErrorCode::kConflict, "job " + std::to_string(id) + " already ended (" +
                                                   JobStateName(job.state) + ")");
    if (job.state == JobState::kQueued) {
        std::erase_if(queue_, [id](const auto& queued) { return queued.first == id; });
        job.state = JobState::kCancelled;
        job.error = "cancelled before it started";
        job.finished_at = clock_.Now();
        cv_.notify_all();
    } else if (running_ == id) {
        cancel_running_ = true;
    }
    return job;
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

void JobRunner::Run() {
    std::unique_lock lock(mutex_);
    while (true) {
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        auto [id, work] = std::move(queue_.front());
        queue_.pop_front();
        jobs_[id].state = JobState::kRunning;
        running_ = id;
        cancel_running_ = false;
        lock.unlock();
        Progress progress = [this, id = id](double p) {
            std::lock_guard guard(mutex_);
            jobs_[id].progress = p;
        };
        Result<std::string> result = work(progress);
        lock.lock();
        JobInfo& job = jobs_[id];
        job.finished_at = clock_.Now();
        if (cancel_running_) {
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
        running_ = 0;
        cancel_running_ = false;
        ForgetOldResults();
        cv_.notify_all();
    }
}

}  // namespace cloudopt
