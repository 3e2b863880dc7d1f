#pragma once
// A throwaway PostgreSQL server for tests: initdb into a temporary folder as an unprivileged user (initdb and
// postgres refuse root), listening on a free loopback port with password authentication, each step bounded in time.
// One server per test process (Shared()), started on first use and stopped when the process exits; each test takes
// a database of its own. Where the PostgreSQL server binaries are missing, available() is false and why() says why:
// tests then GTEST_SKIP with that reason.

#include <sys/types.h>

#include <map>
#include <mutex>
#include <string>

namespace cloudopt::testing {

class PostgresServer {
  public:
    static PostgresServer& Shared();

    bool available() const { return available_; }
    const std::string& why() const { return why_; }

    // postgres://USER@127.0.0.1:PORT/NAME of a database made for `name` on first ask (empty with no server).
    // The password is not in it: pass password() (the way CLOUDOPT_STORE_PASSWORD does).
    std::string Database(const std::string& name);
    // A new database with a name of its own.
    std::string FreshDatabase();
    const std::string& password() const { return password_; }
    const std::string& user() const { return user_; }
    unsigned short port() const { return port_; }
    // SQL run as the superuser in a database (for tests that look under the store); "" on success, else the error.
    std::string Exec(const std::string& database, const std::string& sql, std::string* first_value = nullptr);

    // Stops the server (fast shutdown, bounded) and starts it again on the same port and folder: for tests of a
    // database that goes away while the service runs.
    bool Stop();
    bool Start();

    ~PostgresServer();

  private:
    PostgresServer();
    bool Init();
    std::string Url(const std::string& database) const;

    std::mutex mutex_;
    bool available_ = false;
    std::string why_;
    std::string bindir_;
    std::string dir_;
    std::string run_as_;  // the unprivileged user when this process is root
    uid_t uid_ = 0;
    gid_t gid_ = 0;
    std::string user_ = "cloudopt_test";
    std::string password_;
    unsigned short port_ = 0;
    pid_t pid_ = -1;
    int next_ = 0;
    std::map<std::string, std::string> databases_;
};

}  // namespace cloudopt::testing
