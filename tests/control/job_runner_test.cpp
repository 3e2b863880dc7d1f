#include "control/job_runner.hpp"

#include <gtest/gtest.h>

#include <atomic>

namespace cloudopt {
namespace {

TEST(JobRunner, RunsJobsAndReportsResults) {
    ManualClock clock(100);
    JobRunner runner(clock);
    auto ok = runner.Submit("train", "resource:1", [](const JobRunner::Progress& p) {
        p(0.5);
        return Result<std::string>(std::string("{\"x\":1}"));
    });
    auto bad = runner.Submit("train", "resource:2", [](const JobRunner::Progress&) {
        return Result<std::string>(MakeError(ErrorCode::kUnprocessable, "too little history"));
    });
    ASSERT_TRUE(runner.WaitFor(ok.job.id, std::chrono::seconds(10)));
    ASSERT_TRUE(runner.WaitFor(bad.job.id, std::chrono::seconds(10)));
    EXPECT_EQ(runner.Get(ok.job.id)->state, JobState::kSucceeded);
    EXPECT_EQ(runner.Get(ok.job.id)->result_json, "{\"x\":1}");
    EXPECT_DOUBLE_EQ(runner.Get(ok.job.id)->progress, 1.0);
    EXPECT_EQ(runner.Get(bad.job.id)->state, JobState::kFailed);
    EXPECT_EQ(runner.Get(bad.job.id)->error, "too little history");
    EXPECT_FALSE(runner.Get(999));
}

TEST(JobRunner, OneActiveJobPerKindAndSubject) {
    ManualClock clock(100);
    JobRunner runner(clock);
    std::atomic<bool> release{false};
    auto first = runner.Submit("train", "resource:1", [&](const JobRunner::Progress&) {
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return Result<std::string>(std::string("{}"));
    });
    auto again = runner.Submit("train", "resource:1",
                               [](const JobRunner::Progress&) { return Result<std::string>(std::string("{}")); });
    EXPECT_FALSE(again.created);
    EXPECT_EQ(again.job.id, first.job.id);
    auto other = runner.Submit("train", "resource:2",
                               [](const JobRunner::Progress&) { return Result<std::string>(std::string("{}")); });
    EXPECT_TRUE(other.created);
    release = true;
    ASSERT_TRUE(runner.WaitFor(other.job.id, std::chrono::seconds(10)));
    auto after = runner.Submit("train", "resource:1",
                               [](const JobRunner::Progress&) { return Result<std::string>(std::string("{}")); });
    EXPECT_TRUE(after.created);
}

TEST(JobRunner, InteractiveJobsDoNotWaitBehindBackgroundOnes) {
    ManualClock clock(100);
    JobRunner runner(clock);
    std::atomic<bool> release{false};
    auto training = runner.Submit("train", "all", [&](const JobRunner::Progress&) {
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return Result<std::string>(std::string("{}"));
    });
    JobRunner::Options interactive;
    interactive.lane = JobLane::kInteractive;
    interactive.stoppable = false;
    std::atomic<bool> hold{true};
    auto pass = runner.Submit(
        "allocate", "all",
        [&](const JobRunner::Progress&) {
            while (hold) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            return Result<std::string>(std::string("{\"results\":[]}"));
        },
        interactive);
    // Both run at once; the pass cannot be cancelled half-way, the training can.
    // Each lane's worker picks its job up in its own time: wait for both (a loaded machine starts them late).
    for (int i = 0; i < 5000 && (runner.Get(pass.job.id)->state != JobState::kRunning ||
                                 runner.Get(training.job.id)->state != JobState::kRunning);
         ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(runner.Get(pass.job.id)->state, JobState::kRunning);
    EXPECT_EQ(runner.Get(training.job.id)->state, JobState::kRunning);
    auto refused = runner.Cancel(pass.job.id);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
    hold = false;
    ASSERT_TRUE(runner.WaitFor(pass.job.id, std::chrono::seconds(10)));
    EXPECT_EQ(runner.Get(pass.job.id)->state, JobState::kSucceeded);
    EXPECT_EQ(runner.Get(training.job.id)->state, JobState::kRunning);
    // Newest first, without results.
    const std::vector<JobInfo> listed = runner.List(10);
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].id, pass.job.id);
    EXPECT_TRUE(listed[0].result_json.empty());
    EXPECT_EQ(runner.List(1).size(), 1u);
    release = true;
    ASSERT_TRUE(runner.WaitFor(training.job.id, std::chrono::seconds(10)));
}

}  // namespace
}  // namespace cloudopt
