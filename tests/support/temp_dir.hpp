#pragma once
// A fresh temporary directory per test, removed when it goes out of scope.

#include <string>

namespace cloudopt::testing {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string File(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// The whole file as text ("" when it cannot be read): for checking what a child process wrote.
std::string ReadFile(const std::string& path);

// A TCP port on 127.0.0.1 that was free a moment ago (for child processes that take --port).
unsigned short FreePort();

}  // namespace cloudopt::testing
