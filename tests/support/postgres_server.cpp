#include "support/postgres_server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace cloudopt::testing {

namespace {

namespace fs = std::filesystem;

constexpr int kInitdbSeconds = 60;
constexpr int kStartSeconds = 30;
constexpr int kStopSeconds = 30;

bool Executable(const fs::path& p) { return ::access(p.c_str(), X_OK) == 0; }

// Where initdb and postgres are: $CLOUDOPT_PG_BINDIR, Debian's /usr/lib/postgresql/<newest>/bin, or PATH.
std::string FindBindir() {
    if (const char* env = std::getenv("CLOUDOPT_PG_BINDIR")) return env;
    std::error_code ec;
    std::string best;
    int best_version = -1;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
        const fs::path bin = entry.path() / "bin";
        if (!Executable(bin / "initdb") || !Executable(bin / "postgres")) continue;
        const int version = std::atoi(entry.path().filename().c_str());
        if (version > best_version) {
            best_version = version;
            best = bin.string();
        }
    }
    if (!best.empty()) return best;
    if (const char* path = std::getenv("PATH")) {
        std::string dirs = path;
        std::size_t start = 0;
        while (start <= dirs.size()) {
            const std::size_t colon = dirs.find(':', start);
            const std::string dir = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
            if (!dir.empty() && Executable(fs::path(dir) / "initdb") && Executable(fs::path(dir) / "postgres"))
                return dir;
            if (colon == std::string::npos) break;
            start = colon + 1;
        }
    }
    return "";
}

std::string RandomHex(std::size_t bytes) {
    std::ifstream in("/dev/urandom", std::ios::binary);
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) {
        char buf[3];
        std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(static_cast<unsigned char>(in.get())));
        out += buf;
    }
    return out;
}

std::string Tail(const std::string& path) {
    const std::string text = ReadFile(path);
    return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace

PostgresServer& PostgresServer::Shared() {
    static PostgresServer server;
    return server;
}

PostgresServer::PostgresServer() { available_ = Init(); }

PostgresServer::~PostgresServer() {
    Stop();
    if (!dir_.empty()) {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
}

// Runs `args` as the server's user with output to `log`; the child dies with this process (PR_SET_PDEATHSIG).
static pid_t SpawnAs(const std::vector<std::string>& args, const std::string& log, const std::string& cwd, bool drop,
                     uid_t uid, gid_t gid) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid != 0) return pid;
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
    }
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    if (drop && (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) _exit(126);
    prctl(PR_SET_PDEATHSIG, SIGINT);  // after setuid, which clears it
    if (chdir(cwd.c_str()) != 0) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
}

// Waits for `pid` at most `seconds`; kills it after that. The exit code, or -1 when it had to be killed.
static int WaitBounded(pid_t pid, int seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool PostgresServer::Init() {
    bindir_ = FindBindir();
    if (bindir_.empty()) {
        why_ =
            "PostgreSQL server binaries (initdb, postgres) not found in /usr/lib/postgresql/*/bin, "
            "$CLOUDOPT_PG_BINDIR or PATH: install postgresql-15 (scripts/install-deps.sh)";
        return false;
    }
    std::string pattern = (fs::temp_directory_path() / "cloudopt-pg-XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
        why_ = "cannot make a temporary folder for PostgreSQL";
        return false;
    }
    dir_ = pattern;
    if (geteuid() == 0) {
        // initdb and postgres refuse to run as root.
        for (const char* name : {"postgres", "nobody"}) {
            if (const passwd* pw = getpwnam(name)) {
                run_as_ = name;
                uid_ = pw->pw_uid;
                gid_ = pw->pw_gid;
                break;
            }
        }
        if (run_as_.empty()) {
            why_ = "running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as";
            return false;
        }
        if (chown(dir_.c_str(), uid_, gid_) != 0) {
            why_ = "cannot give " + dir_ + " to " + run_as_;
            return false;
        }
    }
    password_ = RandomHex(16);
    const std::string pwfile = dir_ + "/pw";
    std::ofstream(pwfile) << password_ << "\n";
    if (!run_as_.empty() && chown(pwfile.c_str(), uid_, gid_) != 0) {
        why_ = "cannot give " + pwfile + " to " + run_as_;
        return false;
    }
    const std::string log = dir_ + "/initdb.log";
    const pid_t pid = SpawnAs({bindir_ + "/initdb", "-D", dir_ + "/data", "-U", user_, "--pwfile=" + pwfile, "-A",
                               "scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C", "--no-sync"},
                              log, dir_, !run_as_.empty(), uid_, gid_);
    const int rc = pid > 0 ? WaitBounded(pid, kInitdbSeconds) : -1;
    if (rc != 0) {
        why_ = "initdb failed (exit " + std::to_string(rc) + "): " + Tail(log);
        return false;
    }
    port_ = FreePort();
    return Start();
}

bool PostgresServer::Start() {
    std::lock_guard lock(mutex_);
    if (pid_ > 0) return true;
    const std::string log = dir_ + "/postgres.log";
    // fsync off: this server is thrown away after the test, and the store's own durability setting
    // (synchronous_commit, per session) is what matters.
    pid_ = SpawnAs({bindir_ + "/postgres", "-D", dir_ + "/data", "-k", dir_, "-p", std::to_string(port_), "-c",
                    "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off", "-c",
                    "max_connections=300", "-c", "shared_buffers=32MB"},
                   log, dir_, !run_as_.empty(), uid_, gid_);
    if (pid_ <= 0) {
        why_ = "cannot start postgres";
        return false;
    }
    const std::string ping = "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres connect_timeout=2";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kStartSeconds);
    while (std::chrono::steady_clock::now() < deadline) {
        if (PQping(ping.c_str()) == PQPING_OK) return true;
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            why_ = "postgres exited at start: " + Tail(log);
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    why_ = "postgres did not accept connections within " + std::to_string(kStartSeconds) + " s: " + Tail(log);
    return false;
}

bool PostgresServer::Stop() {
    std::lock_guard lock(mutex_);
    if (pid_ <= 0) return true;
    kill(pid_, SIGINT);  // fast shutdown: ends the sessions, checkpoints, exits
    const int rc = WaitBounded(pid_, kStopSeconds);
    pid_ = -1;
    return rc == 0;
}

std::string PostgresServer::Url(const std::string& database) const {
    return "postgres://" + user_ + "@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::Exec(const std::string& database, const std::string& sql, std::string* first_value) {
    const std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + database +
                                 " user=" + user_ + " password=" + password_ + " connect_timeout=5";
    PGconn* conn = PQconnectdb(conninfo.c_str());
    std::string error;
    if (PQstatus(conn) != CONNECTION_OK) {
        error = PQerrorMessage(conn);
    } else {
        PGresult* res = PQexec(conn, sql.c_str());
        const ExecStatusType status = PQresultStatus(res);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            error = PQresultErrorMessage(res);
        } else if (first_value) {
            *first_value = PQntuples(res) > 0 && PQnfields(res) > 0 ? PQgetvalue(res, 0, 0) : "";
        }
        PQclear(res);
    }
    PQfinish(conn);
    if (!error.empty() && error.back() == '\n') error.pop_back();
    return error;
}

std::string PostgresServer::Database(const std::string& name) {
    if (!available_) return "";
    std::string database;
    {
        std::lock_guard lock(mutex_);
        auto it = databases_.find(name);
        if (it != databases_.end()) return Url(it->second);
        database = "test_" + std::to_string(++next_);
        databases_[name] = database;
    }
    if (std::string error = Exec("postgres", "CREATE DATABASE " + database); !error.empty()) {
        std::fprintf(stderr, "creating database %s: %s\n", database.c_str(), error.c_str());
        return "";
    }
    return Url(database);
}

std::string PostgresServer::FreshDatabase() {
    int n = 0;
    {
        std::lock_guard lock(mutex_);
        n = ++next_;
    }
    return Database("fresh-" + std::to_string(n));
}

}  // namespace cloudopt::testing
