#include "cluster/apply_relay.hpp"

#include <cstdlib>
#include <nlohmann/json.hpp>

namespace cloudopt::cluster {

namespace {

const char* const kSubjectPrefix = "recommendation:";

// The error code travels in the job's result ({"code": "conflict"}), the message in its error.
ErrorCode CodeNamed(const std::string& name) {
    for (ErrorCode code : {ErrorCode::kInvalidArgument, ErrorCode::kNotFound, ErrorCode::kConflict,
                           ErrorCode::kUnprocessable, ErrorCode::kUnavailable, ErrorCode::kInternal})
        if (name == ErrorCodeName(code)) return code;
    return ErrorCode::kInternal;
}

}  // namespace

ApplyRelay::ApplyRelay(Coordination& coordination, std::string member, Apply apply, const Clock& clock, Options options)
    : coordination_(coordination),
      member_(std::move(member)),
      apply_(std::move(apply)),
      clock_(clock),
      options_(options) {
    if (options_.wait.count() <= 0) options_.wait = std::chrono::milliseconds(35000);
}

ApplyRelay::~ApplyRelay() { Stop(); }

void ApplyRelay::Start() {
    if (thread_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = false;
    }
    thread_ = std::thread([this] { Work(); });
}

void ApplyRelay::Stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void ApplyRelay::Work() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        auto claimed = coordination_.ClaimJob(member_, {kApplyJobKind}, clock_.Now());
        if (claimed && *claimed) {
            QueuedJob job = **claimed;
            Result<std::int64_t> action =
                MakeError(ErrorCode::kInvalidArgument, "not a recommendation: " + job.subject);
            if (job.subject.rfind(kSubjectPrefix, 0) == 0) {
                try {
                    action = apply_(std::stoll(job.subject.substr(std::string(kSubjectPrefix).size())));
                } catch (const std::exception&) {  // a malformed subject only: apply_ reports errors as values
                }
            }
            job.finished_at = clock_.Now();
            job.progress = 1.0;
            if (action) {
                job.state = "succeeded";
                job.result = nlohmann::json{{"action_id", *action}}.dump();
            } else {
                job.state = "failed";
                job.error = action.error().message;
                job.result = nlohmann::json{{"code", ErrorCodeName(action.error().code)}}.dump();
            }
            // A lost write leaves the job running under a live member: retried a few times; if it never lands the
            // asking replica's wait ends with "did not answer" and the job is taken over once this replica goes.
            for (int attempt = 0; attempt < 5; ++attempt) {
                auto stored = coordination_.UpdateJob(job, member_);
                if (stored || stored.error().code == ErrorCode::kConflict) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(200) * (attempt + 1));
            }
            lock.lock();
            continue;
        }
        lock.lock();
        cv_.wait_for(lock, options_.poll, [this] { return stopping_; });
    }
}

Result<std::int64_t> ApplyRelay::Forward(std::int64_t recommendation_id, ResourceId resource_id,
                                         const std::string& holder_hint) {
    QueuedJob job;
    job.kind = kApplyJobKind;
    job.subject = kSubjectPrefix + std::to_string(recommendation_id);
    job.reason = "applied by a user through replica " + member_;
    job.params = nlohmann::json{{"lease_of", resource_id}}.dump();  // claimed by the lease's holder only
    job.created_at = clock_.Now();
    auto queued = coordination_.EnqueueJob(job);
    if (!queued) return queued.error();
    const std::int64_t id = std::abs(queued->id);  // negative: an apply of it is already queued, wait for that one
    const std::string holder = holder_hint.empty() ? "the replica holding its lease" : "replica " + holder_hint;
    const auto until = std::chrono::steady_clock::now() + options_.wait;
    for (;;) {
        auto got = coordination_.GetJob(id);
        if (got && *got) {
            const QueuedJob& j = **got;
            if (j.state == "succeeded") {
                const auto result = nlohmann::json::parse(j.result, nullptr, false);
                if (result.is_object() && result.contains("action_id") && result["action_id"].is_number_integer())
                    return result["action_id"].get<std::int64_t>();
                return MakeError(ErrorCode::kInternal, "the apply job " + std::to_string(id) + " has no action");
            }
            if (j.state == "failed" || j.state == "cancelled") {
                const auto result = nlohmann::json::parse(j.result, nullptr, false);
                const ErrorCode code = result.is_object() && result.contains("code") && result["code"].is_string()
                                           ? CodeNamed(result["code"].get<std::string>())
                                           : ErrorCode::kConflict;
                return MakeError(code,
                                 j.error.empty() ? "the apply job " + std::to_string(id) + " " + j.state : j.error);
            }
        }
        if (std::chrono::steady_clock::now() >= until)
            return MakeError(ErrorCode::kUnavailable,
                             "the resource is planned by " + holder + ", which applies it; it did not answer within " +
                                 std::to_string(options_.wait.count() / 1000) + " s. The apply stays queued as job " +
                                 std::to_string(id) + ": follow it with GET /api/jobs/" + std::to_string(id));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

}  // namespace cloudopt::cluster
