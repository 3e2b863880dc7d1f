// The host source: /proc parsing on fixed texts, and the load between two readings of a fake /proc.

#include "monitor/host_source.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace cloudopt::monitor {
namespace {

TEST(HostSource, ParsesProcStatAndMeminfo) {
    auto cpu = ParseProcStat("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\ncpu1 50 0 25 400 25 0 0 0 0 0\nintr 1\n");
    ASSERT_TRUE(cpu.has_value());
    EXPECT_EQ(cpu->total, 1000u);
    EXPECT_EQ(cpu->busy, 150u) << "idle and iowait are not busy";
    EXPECT_EQ(cpu->cores, 2);
    EXPECT_FALSE(ParseProcStat("intr 1\n").has_value());
    EXPECT_DOUBLE_EQ(*ParseMemInfoUsedBytes("MemTotal:       8000 kB\nMemFree: 100 kB\nMemAvailable:   6000 kB\n"), 2000.0 * 1024);
    EXPECT_FALSE(ParseMemInfoUsedBytes("MemTotal: 8000 kB\n").has_value());
}

TEST(HostSource, CoresInUseBetweenTwoReadings) {
    const std::string dir = ::testing::TempDir() + "/fake-proc";
    std::filesystem::create_directories(dir);
    auto write = [&](const std::string& stat) {
        std::ofstream(dir + "/stat") << stat;
        std::ofstream(dir + "/meminfo") << "MemTotal: 4000 kB\nMemAvailable: 1000 kB\n";
    };
    HostSource host(dir);
    Resource r;
    r.load_metric = "cpu_cores";
    write("cpu  100 0 100 800 0 0 0 0\ncpu0 1\ncpu1 1\ncpu2 1\ncpu3 1\n");
    auto first = host.Collect(r, 1000);
    ASSERT_TRUE(first.ok());
    ASSERT_EQ(first->size(), 1u) << "memory only: CPU needs two readings";
    EXPECT_DOUBLE_EQ((*first)[0].sample.value, 3000.0 * 1024);
    write("cpu  400 0 200 1400 0 0 0 0\ncpu0 1\ncpu1 1\ncpu2 1\ncpu3 1\n");  // +400 busy of +1000
    auto second = host.Collect(r, 1060);
    ASSERT_TRUE(second.ok());
    ASSERT_EQ(second->size(), 3u);
    EXPECT_EQ((*second)[1].metric, "cpu_cores");
    EXPECT_DOUBLE_EQ((*second)[1].sample.value, 0.4 * 4);
    EXPECT_DOUBLE_EQ((*second)[2].sample.value, 0.4);
    EXPECT_EQ(host.Describe(r)->ready, 1);
    EXPECT_EQ(host.SetDesiredCapacity(r, 2).error().code, ErrorCode::kUnprocessable);
    EXPECT_FALSE(HostSource(dir + "/missing").Collect(r, 1).ok());
    EXPECT_TRUE(HostSource().Collect(r, 1).ok()) << "the real /proc of this machine";
}

}  // namespace
}  // namespace cloudopt::monitor
