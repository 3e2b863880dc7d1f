#include "control/job_runner.hpp"

namespace cloudopt {

namespace {
constexpr std::size_t kFinishedJobsKept = 1000;
}

const char* JobStateName(JobState state) {
    switch (state) {
        case JobState::kQueued: return "queued";
        case JobState::kRunning: return "running";
        case JobState::kSucceeded: return "succeeded";
        case JobState::kFailed: return "failed";
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
    return stopping_;
}

JobRunner::Submitted JobRunner::Submit(const std::string& kind, const std::string& subject, Work work,
                                       const std::string& reason) {
    std::lock_guard lock(mutex_);
    for (const auto& [id, job] : jobs_) {
        if (job.kind == kind && job.subject == subject &&
            (job.state == JobState::kQueued || job.state == JobState::kRunning))
            return {job, false};
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
        return it == jobs_.end() || it->second.state == JobState::kSucceeded || it->second.state == JobState::kFailed;
    });
}

void JobRunner::Run() {
    std::unique_lock lock(mutex_);
    while (true) {
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        auto [id, work] = std::move(queue_.front());
        queue_.pop_front();
        jobs_[id].state = JobState::kRunning;
        lock.unlock();
        Progress progress = [this, id = id](double p) {
            std::lock_guard guard(mutex_);
            jobs_[id].progress = p;
        };
        Result<std::string> result = work(progress);
        lock.lock();
        JobInfo& job = jobs_[id];
        job.finished_at = clock_.Now();
        if (result) {
            job.state = JobState::kSucceeded;
            job.progress = 1.0;
            job.result_json = std::move(*result);
        } else {
            job.state = JobState::kFailed;
            job.error = result.error().message;
        }
        cv_.notify_all();
    }
}

}  // namespace cloudopt
