// The real binary guarding its data directory: one owner at a time, no start on a damaged or emptied store
// without an operator's word, owner-only files, readiness that reaches the database file, and `cloudopt db`.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "core/time.hpp"
#include "store/store.hpp"
#include "support/http_client.hpp"
#include "support/service.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace cloudopt {
namespace {

namespace fs = std::filesystem;

// A cloudopt child whose pid the test knows and whose exit it awaits with a bound, so a start that should have
// been refused fails the test instead of hanging it.
class SafetyChild {
public:
    SafetyChild(const std::vector<std::string>& args, const std::string& log_path) {
        std::vector<char*> argv;
        for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&actions);
    }
    ~SafetyChild() {
        if (pid_ > 0 && !done_) {
            kill(pid_, SIGKILL);
            WaitExit(60);
        }
    }
    SafetyChild(const SafetyChild&) = delete;
    SafetyChild& operator=(const SafetyChild&) = delete;
    pid_t pid() const { return pid_; }
    void Signal(int sig) { kill(pid_, sig); }
    // The exit code, or -1 when it still runs after `seconds` (it is then killed).
    int WaitExit(int seconds) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
        int status = 0;
        while (waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                kill(pid_, SIGKILL);
                waitpid(pid_, &status, 0);
                done_ = true;
                return -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        done_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

private:
    pid_t pid_ = -1;
    bool done_ = false;
};

std::vector<std::string> ServeArgs(const std::string& data_dir, unsigned short port, bool accept_damage = false) {
    std::vector<std::string> args = {CLOUDOPT_BINARY, "serve", "--port", std::to_string(port), "--data-dir", data_dir};
    if (accept_damage) args.push_back("--accept-damaged-store");
    return args;
}

// Runs a command that must end on its own (a refused start, a CLI command); -1 if it does not within a minute.
int SafetyRun(const std::vector<std::string>& args, const std::string& log) {
    SafetyChild child(args, log);
    return child.WaitExit(60);
}

std::string SafetyBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void SafetyOverwrite(const std::string& path, std::size_t offset, const std::string& bytes) {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

unsigned Mode(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 0777 : 01000;
}

// A store with samples written in several commits by this process; with `keep_wal` its files are copied to
// `dir` while it is open (what kill -9 leaves: a WAL not yet folded into the database), else after it closed.
void MakeSafetyStore(const std::string& dir, bool keep_wal) {
    const std::string live = dir + "-live";
    fs::create_directories(live);
    fs::create_directories(dir);
    ManualClock clock(1'700'000'000);
    auto store = OpenSqliteStore(live + "/cloudopt.db", clock);
    ASSERT_TRUE(store.ok()) << store.error().message;
    Resource r;
    r.name = "web";
    r.provider = "simulated";
    r.provider_ref = "web";
    r.instance_type = "m5.large";
    auto created = (*store)->CreateResource(r);
    ASSERT_TRUE(created.ok()) << created.error().message;
    for (int c = 0; c < (keep_wal ? 6 : 60); ++c) {
        SeriesSamples batch{{created->id, "cpu"}, {}};
        for (int i = 0; i < 360; ++i) batch.samples.push_back({1'600'000'000 + c * 3600 + i * 10, c + i * 0.5});
        ASSERT_TRUE((*store)->AppendSamples(std::span<const SeriesSamples>(&batch, 1)).ok());
    }
    if (!keep_wal) store->reset();
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::error_code ec;
        fs::copy_file(live + "/cloudopt.db" + suffix, dir + "/cloudopt.db" + suffix, ec);
    }
}

std::uint32_t SafetyWalPageSize(const std::string& wal_path) {
    const std::string wal = SafetyBytes(wal_path);
    const auto* p = reinterpret_cast<const unsigned char*>(wal.data());
    return (std::uint32_t{p[8]} << 24) | (std::uint32_t{p[9]} << 16) | (std::uint32_t{p[10]} << 8) | p[11];
}

// The refused start, then the start the flag allows (which must then serve and stop cleanly).
void ExpectRefusedThenAccepted(const std::string& data, const testing::TempDir& dir, const std::string& problem) {
    const unsigned short port = testing::FreePort();
    EXPECT_EQ(SafetyRun(ServeArgs(data, port), dir.File("refused.log")), 1);
    const std::string log = testing::ReadFile(dir.File("refused.log"));
    EXPECT_NE(log.find("refusing to start on a damaged store"), std::string::npos) << log;
    EXPECT_NE(log.find(problem), std::string::npos) << log;
    EXPECT_NE(log.find("--accept-damaged-store"), std::string::npos) << "names the repair: " << log;
    EXPECT_NE(log.find("cloudopt db check"), std::string::npos) << log;

    SafetyChild accepted(ServeArgs(data, port, true), dir.File("accepted.log"));
    ASSERT_TRUE(testing::WaitHealthy(port)) << testing::ReadFile(dir.File("accepted.log"));
    accepted.Signal(SIGTERM);
    EXPECT_EQ(accepted.WaitExit(60), 0);
    bool kept_copy = false;
    for (const auto& entry : fs::directory_iterator(data))
        kept_copy |= entry.path().filename().string().rfind("damaged-", 0) == 0;
    EXPECT_TRUE(kept_copy) << "the damaged files are kept before SQLite drops what it cannot read";
}

class StoreSafety : public ::testing::Test {
  protected:
    void SetUp() override { setenv("CLOUDOPT_ADMIN_PASSWORD", testing::kTestAdminPassword, 1); }
    testing::TempDir dir_;
};

TEST_F(StoreSafety, ServeASecondServerOnOneDataDirectoryExitsNamingTheFirst) {
    const std::string data = dir_.File("data");
    const unsigned short port = testing::FreePort();
    SafetyChild first(ServeArgs(data, port), dir_.File("first.log"));
    ASSERT_TRUE(testing::WaitHealthy(port));

    EXPECT_EQ(SafetyRun(ServeArgs(data, testing::FreePort()), dir_.File("second.log")), 1);
    const std::string log = testing::ReadFile(dir_.File("second.log"));
    EXPECT_NE(log.find("in use by pid " + std::to_string(first.pid())), std::string::npos) << log;
    EXPECT_NE(log.find("stop that process first"), std::string::npos) << log;

    // A command that writes the store refuses too; one that reads runs beside the server.
    const std::string pipe_password = "echo 'carols-long-password' | ";
    const std::string cli = std::string(CLOUDOPT_BINARY) + " user add carol --data-dir " + data;
    EXPECT_NE(std::system((pipe_password + cli + " >" + dir_.File("cli.log") + " 2>&1").c_str()), 0);
    EXPECT_NE(testing::ReadFile(dir_.File("cli.log")).find("pid " + std::to_string(first.pid())), std::string::npos)
        << testing::ReadFile(dir_.File("cli.log"));
    EXPECT_EQ(SafetyRun({CLOUDOPT_BINARY, "user", "list", "--data-dir", data}, dir_.File("list.log")), 0)
        << testing::ReadFile(dir_.File("list.log"));
    EXPECT_NE(testing::ReadFile(dir_.File("list.log")).find("admin"), std::string::npos);

    first.Signal(SIGTERM);
    EXPECT_EQ(first.WaitExit(60), 0);
    EXPECT_EQ(std::system((pipe_password + cli + " >" + dir_.File("cli2.log") + " 2>&1").c_str()), 0)
        << testing::ReadFile(dir_.File("cli2.log"));
}

TEST_F(StoreSafety, ServeRefusesADatabaseWithDamagedPages) {
    const std::string data = dir_.File("data");
    MakeSafetyStore(data, false);
    const std::string db = data + "/cloudopt.db";
    const std::size_t size = fs::file_size(db);
    ASSERT_GT(size, 40u * 4096u);
    std::string garbage(8 * 4096, '\0');
    for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(i * 131 % 253);
    SafetyOverwrite(db, (size / 2) / 4096 * 4096, garbage);
    EXPECT_EQ(SafetyRun({CLOUDOPT_BINARY, "db", "check", "--data-dir", data}, dir_.File("check.log")), 1);
    EXPECT_NE(testing::ReadFile(dir_.File("check.log")).find("result: DAMAGED"), std::string::npos)
        << testing::ReadFile(dir_.File("check.log"));
    ExpectRefusedThenAccepted(data, dir_, "quick_check found");
}

TEST_F(StoreSafety, ServeRefusesAWalCutInTheMiddleOfAFrame) {
    const std::string data = dir_.File("data");
    MakeSafetyStore(data, true);
    const std::string wal = data + "/cloudopt.db-wal";
    const std::size_t frame = 24 + SafetyWalPageSize(wal);
    ASSERT_GT(fs::file_size(wal), 32 + 4 * frame);
    fs::resize_file(wal, 32 + 2 * frame + frame / 2);
    ExpectRefusedThenAccepted(data, dir_, "ends in the middle of a frame");
}

TEST_F(StoreSafety, ServeRefusesAWalWithFlippedBytesInACommittedFrame) {
    const std::string data = dir_.File("data");
    MakeSafetyStore(data, true);
    const std::string wal = data + "/cloudopt.db-wal";
    const std::size_t frame = 24 + SafetyWalPageSize(wal);
    SafetyOverwrite(wal, 32 + frame + 24 + 500, "\x13\x37\xbe\xef");
    ExpectRefusedThenAccepted(data, dir_, "committed transaction(s) after it would be silently discarded");
}

TEST_F(StoreSafety, ServeRefusesAnEmptiedDatabaseOfAnEarlierInstallation) {
    const std::string data = dir_.File("data");
    const unsigned short port = testing::FreePort();
    {
        SafetyChild first(ServeArgs(data, port), dir_.File("first.log"));
        ASSERT_TRUE(testing::WaitHealthy(port));
        first.Signal(SIGTERM);
        ASSERT_EQ(first.WaitExit(60), 0);
    }
    fs::resize_file(data + "/cloudopt.db", 0);
    ExpectRefusedThenAccepted(data, dir_, "is empty (0 bytes)");
}

TEST_F(StoreSafety, ServeCreatesAnOwnerOnlyDataDirectoryAndWarnsAboutLooserModes) {
    const std::string data = dir_.File("data");
    const unsigned short port = testing::FreePort();
    {
        SafetyChild server(ServeArgs(data, port), dir_.File("first.log"));
        ASSERT_TRUE(testing::WaitHealthy(port));
        EXPECT_EQ(Mode(data), 0700u);
        for (const char* file :
             {"cloudopt.db", "cloudopt.db-wal", "cloudopt.db-shm", "master.key", "jwt.key", "cloudopt.lock"})
            EXPECT_EQ(Mode(data + "/" + file), 0600u) << file;
        server.Signal(SIGTERM);
        ASSERT_EQ(server.WaitExit(60), 0);
    }
    ::chmod(data.c_str(), 0755);
    ::chmod((data + "/cloudopt.db").c_str(), 0644);
    SafetyChild again(ServeArgs(data, port), dir_.File("again.log"));
    ASSERT_TRUE(testing::WaitHealthy(port));
    const std::string log = testing::ReadFile(dir_.File("again.log"));
    EXPECT_NE(log.find(data + " has mode 0755"), std::string::npos) << log;
    EXPECT_NE(log.find("chmod 700 " + data), std::string::npos) << log;
    EXPECT_NE(log.find(data + "/cloudopt.db has mode 0644"), std::string::npos) << log;
    EXPECT_NE(log.find("chmod 600 " + data + "/cloudopt.db"), std::string::npos) << log;
}

TEST_F(StoreSafety, ServeIsNotReadyWhenItsDatabaseFileIsGone) {
    const std::string data = dir_.File("data");
    const unsigned short port = testing::FreePort();
    SafetyChild server(ServeArgs(data, port), dir_.File("serve.log"));
    ASSERT_TRUE(testing::WaitHealthy(port));
    testing::HttpClient client(port);
    EXPECT_EQ(client.Get("/readyz").status, 200);
    fs::rename(data + "/cloudopt.db", data + "/moved-away.db");
    const auto r = client.Get("/readyz");
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find("deleted or replaced"), std::string::npos) << r.body;
}

TEST_F(StoreSafety, CliDbBackupWhileServingRestoresIntoAWorkingStore) {
    const std::string data = dir_.File("data");
    const unsigned short port = testing::FreePort();
    SafetyChild server(ServeArgs(data, port), dir_.File("serve.log"));
    ASSERT_TRUE(testing::WaitHealthy(port));
    EXPECT_EQ(SafetyRun({CLOUDOPT_BINARY, "db", "check", "--data-dir", data}, dir_.File("check.log")), 0)
        << testing::ReadFile(dir_.File("check.log"));
    EXPECT_NE(testing::ReadFile(dir_.File("check.log")).find("result: ok"), std::string::npos);
    const std::string backup = dir_.File("backup.db");
    EXPECT_EQ(SafetyRun({CLOUDOPT_BINARY, "db", "backup", "--data-dir", data, "--out", backup}, dir_.File("b.log")), 0)
        << testing::ReadFile(dir_.File("b.log"));
    EXPECT_EQ(Mode(backup), 0600u);
    server.Signal(SIGTERM);
    ASSERT_EQ(server.WaitExit(60), 0);

    // Restore into a new directory with the keys (docs/OPERATIONS.md, Restore): the admin logs in again.
    const std::string restored = dir_.File("restored");
    fs::create_directories(restored);
    fs::copy_file(backup, restored + "/cloudopt.db");
    for (const char* key : {"master.key", "jwt.key"}) fs::copy_file(data + "/" + key, restored + "/" + key);
    SafetyChild again(ServeArgs(restored, port), dir_.File("restored.log"));
    ASSERT_TRUE(testing::WaitHealthy(port)) << testing::ReadFile(dir_.File("restored.log"));
    EXPECT_FALSE(testing::LoginBearer(port).empty());
}

}  // namespace
}  // namespace cloudopt
