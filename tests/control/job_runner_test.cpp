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
    auto again = runner.Submit("train", "resource:1", [](const JobRunner::Progress&) {
        return Result<std::string>(std::string("{}"));
    });
    EXPECT_FALSE(again.created);
    EXPECT_EQ(again.job.id, first.job.id);
    auto other = runner.Submit("train", "resource:2", [](const JobRunner::Progress&) {
        return Result<std::string>(std::string("{}"));
    });
    EXPECT_TRUE(other.created);
    release = true;
    ASSERT_TRUE(runner.WaitFor(other.job.id, std::chrono::seconds(10)));
    auto after = runner.Submit("train", "resource:1", [](const JobRunner::Progress&) {
        return Result<std::string>(std::string("{}"));
    });
    EXPECT_TRUE(after.created);
}

}  // namespace
}  // namespace cloudopt
