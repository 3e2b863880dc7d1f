// The binary's command line: exit codes and messages users and tools rely on.

#include <gtest/gtest.h>

#include <fstream>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {


TEST(Cli, VersionPrintsAndExitsZero) {
    testing::TempDir dir;
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "version"}, dir.File("log")), 0);
    EXPECT_NE(testing::ReadFile(dir.File("log")).find("cloudopt 0."), std::string::npos);
}

TEST(Cli, AnInvalidConfigExitsTwoNamingTheKey) {
    testing::TempDir dir;
    std::ofstream(dir.File("bad.yaml")) << "server:\n  port: eighty\n";
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "serve", "--config", dir.File("bad.yaml")}, dir.File("log")), 2);
    EXPECT_NE(testing::ReadFile(dir.File("log")).find("server.port: must be an integer"), std::string::npos) << testing::ReadFile(dir.File("log"));
}

TEST(Cli, UsageErrorsExitTwo) {
    testing::TempDir dir;
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY}, dir.File("log")), 2);
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "serve", "--port", "99999"}, dir.File("log")), 2);
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "serve", "--bogus"}, dir.File("log")), 2);
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "serve", "--config", dir.File("missing.yaml")}, dir.File("log")), 2);
}

TEST(Cli, HelpExitsZero) {
    testing::TempDir dir;
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "serve", "--help"}, dir.File("log")), 0);
    const std::string help = testing::ReadFile(dir.File("log"));
    for (const char* flag : {"--config", "--port", "--data-dir", "--demo", "--speed"})
        EXPECT_NE(help.find(flag), std::string::npos) << flag;
}

}  // namespace
}  // namespace cloudopt
