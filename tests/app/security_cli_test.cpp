// The security story of the real binary: the first-run admin, users and tokens from the CLI, key files, and a
// planted cloud secret that must appear in neither the database files nor the logs.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/service.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

using nlohmann::json;

std::string Shell(const std::string& command) {
    std::string out;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
    pclose(pipe);
    return out;
}

std::string Slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(SecurityCli, FirstRunAdminIsGeneratedAndPrintedOnce) {
    testing::TempDir dir;
    unsetenv("CLOUDOPT_ADMIN_PASSWORD");
    unsetenv("CLOUDOPT_ADMIN_USER");
    const unsigned short port = testing::FreePort();
    const std::vector<std::string> args = {CLOUDOPT_BINARY, "serve", "--port", std::to_string(port), "--data-dir",
                                           dir.File("data")};
    std::string password;
    {
        testing::ChildProcess server(args, dir.File("log1"));
        ASSERT_TRUE(testing::WaitHealthy(port));
        const std::string log = testing::ReadFile(dir.File("log1"));
        const std::size_t at = log.find("password: ");
        ASSERT_NE(at, std::string::npos) << log;
        password = log.substr(at + 10, 24);
        EXPECT_FALSE(testing::LoginBearer(port, "admin", password).empty());
        EXPECT_TRUE(testing::LoginBearer(port, "admin", "wrong-password-000").empty());
        testing::HttpClient anonymous(port);
        EXPECT_EQ(anonymous.Get("/api/resources").status, 401);
        server.Signal(SIGTERM);
        EXPECT_EQ(server.Wait(), 0);
    }
    // Key files were created for the owner only.
    for (const char* key : {"master.key", "jwt.key"}) {
        struct stat st {};
        ASSERT_EQ(stat((dir.File("data") + "/" + key).c_str(), &st), 0) << key;
        EXPECT_EQ(st.st_mode & 0777, 0600u) << key;
    }
    testing::ChildProcess again(args, dir.File("log2"));
    ASSERT_TRUE(testing::WaitHealthy(port));
    EXPECT_EQ(testing::ReadFile(dir.File("log2")).find("password: "), std::string::npos) << "printed only once";
    EXPECT_FALSE(testing::LoginBearer(port, "admin", password).empty()) << "a restart keeps users and keys";
}

TEST(SecurityCli, UsersAndTokensFromTheCommandLine) {
    testing::TempDir dir;
    const std::string bin = std::string(CLOUDOPT_BINARY) + " ";
    const std::string data = " --data-dir " + dir.File("data");
    EXPECT_NE(Shell("echo 'bobs-long-password' | " + bin + "user add bob --role operator" + data + " 2>&1")
                  .find("created user bob (role operator"),
              std::string::npos);
    EXPECT_NE(Shell("echo 'short' | " + bin + "user add eve" + data + " 2>&1").find("at least 12"), std::string::npos);
    EXPECT_NE(Shell(bin + "user add eve --role root" + data + " 2>&1").find("--role must be"), std::string::npos);
    EXPECT_NE(Shell("echo 'bobs-newer-password' | " + bin + "user passwd bob" + data + " 2>&1").find("changed the password"),
              std::string::npos);
    EXPECT_NE(Shell("echo 'whatever-password' | " + bin + "user passwd nobody" + data + " 2>&1").find("does not exist"),
              std::string::npos);
    const std::string listed = Shell(bin + "user list" + data);
    EXPECT_NE(listed.find("bob"), std::string::npos);
    EXPECT_NE(listed.find("operator"), std::string::npos);
    const std::string token = Shell(bin + "token create pusher --scope metrics:write" + data + " 2>/dev/null");
    EXPECT_EQ(token.rfind("coat_", 0), 0u) << token;
    EXPECT_NE(Shell(bin + "token create x --scope admin" + data + " 2>&1").find("scope 'admin' is unknown"), std::string::npos);
    const std::string key = Shell(bin + "secrets generate-key");
    // On a fresh data directory the key files are created first; their notice must not land in the output.
    const std::string first = Shell(bin + "token create first --scope read --data-dir " + dir.File("fresh") + " 2>/dev/null");
    EXPECT_EQ(first.rfind("coat_", 0), 0u) << first;
    EXPECT_EQ(first.size(), 5u + 43u + 1u) << "the token and a newline, nothing else: " << first;
    EXPECT_EQ(key.size(), 65u);

    // The running service honours what the CLI made: bob logs in, the token pushes.
    setenv("CLOUDOPT_ADMIN_PASSWORD", testing::kTestAdminPassword, 1);
    const unsigned short port = testing::FreePort();
    testing::ChildProcess server({CLOUDOPT_BINARY, "serve", "--port", std::to_string(port), "--data-dir", dir.File("data")},
                                 dir.File("log"));
    ASSERT_TRUE(testing::WaitHealthy(port));
    EXPECT_TRUE(testing::LoginBearer(port).empty()) << "users existed, so no first-run admin was made";
    EXPECT_FALSE(testing::LoginBearer(port, "bob", "bobs-newer-password").empty());
    EXPECT_TRUE(testing::LoginBearer(port, "bob", "bobs-long-password").empty());
    testing::HttpClient pusher(port);
    pusher.SetHeader("Authorization", "Bearer " + token.substr(0, token.size() - 1));
    EXPECT_EQ(pusher.Get("/api/auth/me").status, 200);
    EXPECT_EQ(pusher.Get("/api/resources").status, 403);
}

TEST(SecurityCli, APlantedCloudSecretIsNeitherInTheDatabaseNorInTheLogs) {
    testing::TempDir dir;
    setenv("CLOUDOPT_ADMIN_PASSWORD", testing::kTestAdminPassword, 1);
    const unsigned short port = testing::FreePort();
    const std::string planted = "PLANTED-6f1d2c9a7b3e4f50a1b2c3d4e5f60718";
    {
        testing::ChildProcess server({CLOUDOPT_BINARY, "serve", "--port", std::to_string(port), "--data-dir",
                                      dir.File("data")},
                                     dir.File("log"));
        ASSERT_TRUE(testing::WaitHealthy(port));
        testing::HttpClient admin(port);
        admin.SetHeader("Authorization", testing::LoginBearer(port));
        for (const auto& [name, kind, secret] :
             std::vector<std::tuple<std::string, std::string, json>>{
                 {"aws-prod", "aws", {{"access_key_id", "AKIAIOSFODNN7EXAMPLE"}, {"secret_access_key", planted}}},
                 {"azure-prod", "azure", {{"tenant_id", "t"}, {"client_id", "c"}, {"client_secret", planted}}},
                 {"k8s", "kubernetes", {{"server", "https://10.0.0.1"}, {"token", planted}}}}) {
            auto r = admin.Post("/api/credentials", json{{"name", name}, {"kind", kind}, {"secret", secret}}.dump());
            ASSERT_EQ(r.status, 201) << r.body;
            EXPECT_EQ(r.body.find(planted), std::string::npos);
        }
        // A bad request that carries the secret must not echo or log it either.
        auto bad = admin.Post("/api/credentials", json{{"name", "x"}, {"kind", "aws"}, {"secret", {{"secret_access_key", planted}}}}.dump());
        EXPECT_EQ(bad.status, 422);
        EXPECT_EQ(bad.body.find(planted), std::string::npos);
        EXPECT_EQ(admin.Get("/api/credentials").body.find(planted), std::string::npos);
        EXPECT_EQ(admin.Get("/api/audit").body.find(planted), std::string::npos);
        server.Signal(SIGTERM);
        EXPECT_EQ(server.Wait(), 0);
    }
    int files = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
        if (!entry.is_regular_file()) continue;
        ++files;
        EXPECT_EQ(Slurp(entry.path().string()).find("PLANTED"), std::string::npos) << entry.path();
    }
    EXPECT_GE(files, 3) << "the database, its key files and the log were searched";
}

}  // namespace
}  // namespace cloudopt
