// Shared jobs end correctly whatever happens to the database or the replica running them (issue 31 item 2, the
// review's lock-ups): a lost progress write does not cancel the job, a lost final write is retried, and a job asked
// to stop on a replica that died ends cancelled. A real PostgreSQL (tests/support/postgres_server.hpp).

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "control/job_runner.hpp"
#include "store/postgres/coordination.hpp"
#include "store/postgres/postgres_store.hpp"
#include "support/postgres_server.hpp"

namespace cloudopt {
namespace {

using namespace std::chrono_literals;

// The real queue, with job writes that fail (as when the database is briefly away) on command.
class FlakyQueue final : public Coordination {
  public:
    explicit FlakyQueue(Coordination& real) : real_(real) {}
    std::atomic<int> fail_progress_writes{0};  // of a running job
    std::atomic<int> fail_final_writes{0};     // of its outcome
    std::atomic<int> final_writes{0};

    Result<QueuedJob> UpdateJob(const QueuedJob& job, const std::string& member) override {
        std::atomic<int>& fail = job.state == "running" ? fail_progress_writes : fail_final_writes;
        if (job.state != "running") ++final_writes;
        if (fail.load() > 0) {
            --fail;
            return MakeError(ErrorCode::kUnavailable, "the database is not answering (simulated)");
        }
        return real_.UpdateJob(job, member);
    }
    Result<LeaseRoundResult> RunLeaseRound(const LeaseRound& r) override { return real_.RunLeaseRound(r); }
    Status Leave(const std::string& m) override { return real_.Leave(m); }
    Status RecordPlan(ResourceId id, std::int64_t t, UnixSeconds ts, const std::string& m, std::int64_t e) override {
        return real_.RecordPlan(id, t, ts, m, e);
    }
    Result<std::vector<MemberInfo>> ListMembers() override { return real_.ListMembers(); }
    Result<std::vector<LeaseInfo>> ListLeases() override { return real_.ListLeases(); }
    Result<QueuedJob> EnqueueJob(const QueuedJob& j) override { return real_.EnqueueJob(j); }
    Result<std::optional<QueuedJob>> ClaimJob(const std::string& m, const std::vector<std::string>& k,
                                              UnixSeconds now) override {
        return real_.ClaimJob(m, k, now);
    }
    Result<std::optional<QueuedJob>> GetJob(std::int64_t id) override { return real_.GetJob(id); }
    Result<std::vector<QueuedJob>> ListJobs(std::size_t n) override { return real_.ListJobs(n); }
    Result<QueuedJob> CancelJob(std::int64_t id, UnixSeconds now) override { return real_.CancelJob(id, now); }
    Result<std::int64_t> PruneHistory(std::chrono::seconds keep, UnixSeconds now) override {
        return real_.PruneHistory(keep, now);
    }
    Result<std::string> AgreeOnKey(const std::string& n, const std::string& k,
                                   const std::vector<std::string>& r) override {
        return real_.AgreeOnKey(n, k, r);
    }
    Result<SharedAdoption> RecordAdoption(const SharedAdoption& a) override { return real_.RecordAdoption(a); }
    Result<std::optional<SharedAdoption>> LatestAdoption() override { return real_.LatestAdoption(); }
    Status Notify(const std::string& p) override { return real_.Notify(p); }
    Result<std::vector<std::string>> AwaitNotifications(std::chrono::milliseconds t) override {
        return real_.AwaitNotifications(t);
    }

  private:
    Coordination& real_;
};

class SharedJobs : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!server_.available()) GTEST_SKIP() << "PostgreSQL unavailable: " << server_.why();
        options_ = {server_.FreshDatabase(), server_.password()};
        auto store = OpenPostgresStore(options_, clock_);
        ASSERT_TRUE(store.ok()) << store.error().message;
        store_ = std::move(*store);
        auto c = OpenPostgresCoordination(options_);
        ASSERT_TRUE(c.ok()) << c.error().message;
        real_ = std::move(*c);
        flaky_ = std::make_unique<FlakyQueue>(*real_);
        // The member is live for the whole test (its heartbeat is a lease manager's in the service).
        ASSERT_TRUE(real_->RunLeaseRound({"replica-a", "", 60.0, {}, {}}).ok());
    }
    std::optional<QueuedJob> Stored(std::int64_t id) {
        auto got = real_->GetJob(id);
        return got.ok() ? *got : std::nullopt;
    }
    template <typename F>
    bool Eventually(F done, std::chrono::milliseconds limit) {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < until) {
            if (done()) return true;
            std::this_thread::sleep_for(50ms);
        }
        return done();
    }

    testing::PostgresServer& server_ = testing::PostgresServer::Shared();
    PostgresOptions options_;
    SystemClock clock_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<Coordination> real_;
    std::unique_ptr<FlakyQueue> flaky_;
};

// A job of about 3 s that reports progress every 100 ms and stops when the runner says so.
JobRunner::Factory SlowJob(JobRunner& runner) {
    return [&runner](const std::string&) -> Result<JobRunner::Work> {
        return JobRunner::Work([&runner](const JobRunner::Progress& progress) -> Result<std::string> {
            for (int i = 1; i <= 30; ++i) {
                std::this_thread::sleep_for(100ms);
                progress(i / 30.0);
                if (runner.stopping()) return MakeError(ErrorCode::kUnavailable, "stopped");
            }
            return std::string("{\"done\":true}");
        });
    };
}

TEST_F(SharedJobs, AProgressWriteThatFailsDoesNotCancelTheJob) {
    flaky_->fail_progress_writes = 1000;  // every progress report is lost
    JobRunner runner(clock_);
    runner.ShareThrough(*flaky_, "replica-a", {{"train", SlowJob(runner)}}, 50ms);
    auto submitted = runner.Submit("train", "resource:1", nullptr);
    ASSERT_FALSE(submitted.refused) << submitted.job.error;
    ASSERT_TRUE(Eventually(
        [&] {
            auto j = Stored(submitted.job.id);
            return j && j->state != "running" && j->state != "queued";
        },
        20s));
    const auto job = Stored(submitted.job.id);
    EXPECT_EQ(job->state, "succeeded") << job->error;
    EXPECT_EQ(job->result, "{\"done\":true}");
}

TEST_F(SharedJobs, AFinalWriteThatFailsIsRetriedSoTheJobDoesNotStayRunning) {
    flaky_->fail_final_writes = 3;
    JobRunner runner(clock_);
    runner.ShareThrough(*flaky_, "replica-a",
                        {{"train",
                          [](const std::string&) -> Result<JobRunner::Work> {
                              return JobRunner::Work(
                                  [](const JobRunner::Progress&) -> Result<std::string> { return std::string("{}"); });
                          }}},
                        50ms);
    auto submitted = runner.Submit("train", "resource:1", nullptr);
    ASSERT_FALSE(submitted.refused) << submitted.job.error;
    ASSERT_TRUE(Eventually(
        [&] {
            auto j = Stored(submitted.job.id);
            return j && j->state == "succeeded";
        },
        10s))
        << "state: " << Stored(submitted.job.id)->state;
    EXPECT_EQ(flaky_->final_writes.load(), 4) << "three lost, the fourth landed";
}

TEST_F(SharedJobs, AJobAskedToStopOnAReplicaThatDiedEndsCancelled) {
    QueuedJob job;
    job.kind = "train";
    job.subject = "resource:1";
    job.created_at = clock_.Now();
    ASSERT_TRUE(real_->EnqueueJob(job).ok());
    job.subject = "resource:2";
    ASSERT_TRUE(real_->EnqueueJob(job).ok());
    // replica-b (a 1 s heartbeat) claims both, one is asked to stop while b lives, then b dies.
    ASSERT_TRUE(real_->RunLeaseRound({"replica-b", "", 1.0, {}, {}}).ok());
    auto first = real_->ClaimJob("replica-b", {"train"}, clock_.Now());
    auto second = real_->ClaimJob("replica-b", {"train"}, clock_.Now());
    ASSERT_TRUE(first.ok() && first->has_value() && second.ok() && second->has_value());
    auto asked = real_->CancelJob((*first)->id, clock_.Now());
    ASSERT_TRUE(asked.ok()) << asked.error().message;
    EXPECT_EQ(asked->state, "running") << "b lives: it is asked to stop and ends the job itself";
    EXPECT_TRUE(asked->cancel_requested);
    std::this_thread::sleep_for(1200ms);
    // Another replica's next claim ends the first (nobody is to run it again) and takes the second over.
    auto claimed = real_->ClaimJob("replica-a", {"train"}, clock_.Now());
    ASSERT_TRUE(claimed.ok()) << claimed.error().message;
    ASSERT_TRUE(claimed->has_value());
    EXPECT_EQ((*claimed)->id, (*second)->id);
    auto ended = Stored((*first)->id);
    ASSERT_TRUE(ended);
    EXPECT_EQ(ended->state, "cancelled");
    EXPECT_NE(ended->error.find("stopped before it could end the job"), std::string::npos) << ended->error;
    EXPECT_GT(ended->finished_at, 0);
    // Cancelling a running job whose replica died ends it at once.
    QueuedJob third = job;
    third.subject = "resource:3";
    ASSERT_TRUE(real_->EnqueueJob(third).ok());
    ASSERT_TRUE(real_->RunLeaseRound({"replica-c", "", 0.5, {}, {}}).ok());
    auto c_job = real_->ClaimJob("replica-c", {"train"}, clock_.Now());
    ASSERT_TRUE(c_job.ok() && c_job->has_value());
    std::this_thread::sleep_for(700ms);
    auto cancelled = real_->CancelJob((*c_job)->id, clock_.Now());
    ASSERT_TRUE(cancelled.ok()) << cancelled.error().message;
    EXPECT_EQ(cancelled->state, "cancelled");
}

}  // namespace
}  // namespace cloudopt
