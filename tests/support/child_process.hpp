#pragma once
// Runs the cloudopt binary as a child process for black-box tests (CLI exit codes, kill -9 durability).

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

extern char** environ;

namespace cloudopt::testing {

class ChildProcess {
public:
    // Starts `args[0]` with the arguments; stdout and stderr go to `log_path`.
    ChildProcess(const std::vector<std::string>& args, const std::string& log_path) {
        std::vector<char*> argv;
        for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        posix_spawn_file_actions_addclose(&actions, 0);
        if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&actions);
    }
    ~ChildProcess() {
        if (pid_ > 0 && !waited_) {
            kill(pid_, SIGKILL);
            Wait();
        }
    }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    bool started() const { return pid_ > 0; }
    void Signal(int sig) { kill(pid_, sig); }
    // Exit code, or 128 + signal number.
    int Wait() {
        int status = 0;
        waitpid(pid_, &status, 0);
        waited_ = true;
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
        return -1;
    }

private:
    pid_t pid_ = -1;
    bool waited_ = false;
};

// Runs a command to completion and returns its exit code; output goes to log_path.
inline int RunToExit(const std::vector<std::string>& args, const std::string& log_path) {
    ChildProcess p(args, log_path);
    return p.started() ? p.Wait() : -1;
}

}  // namespace cloudopt::testing
