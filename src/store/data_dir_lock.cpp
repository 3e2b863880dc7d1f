#include "store/data_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <sstream>

namespace cloudopt {

namespace {

std::string UtcNow() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string HostName() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
    return buf;
}

std::string ReadLockFile(int fd) {
    std::string text;
    char buf[1024];
    off_t offset = 0;
    for (;;) {
        const ssize_t n = ::pread(fd, buf, sizeof buf, offset);
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        offset += n;
    }
    return text;
}

}  // namespace

std::string LockRecord::Describe() const {
    std::string text = "pid " + std::to_string(pid) + " on host " + host + " since " + since;
    if (!command.empty()) text += " (cloudopt " + command + ")";
    return text;
}

std::string FormatLockRecord(const LockRecord& r) {
    std::ostringstream out;
    out << "pid: " << r.pid << "\nhost: " << r.host << "\nsince: " << r.since << "\ncommand: " << r.command
        << "\nstate: " << r.state << "\ndb_inode: " << r.db_inode << "\n";
    return out.str();
}

std::optional<LockRecord> ParseLockRecord(const std::string& text) {
    LockRecord r;
    bool has_pid = false;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const std::size_t colon = line.find(": ");
        if (colon == std::string::npos) continue;
        const std::string key = line.substr(0, colon);
        const std::string value = line.substr(colon + 2);
        try {
            if (key == "pid") {
                r.pid = std::stoll(value);
                has_pid = true;
            } else if (key == "db_inode") {
                r.db_inode = std::stoull(value);
            }
        } catch (const std::exception&) {
            return std::nullopt;
        }
        if (key == "host") r.host = value;
        if (key == "since") r.since = value;
        if (key == "command") r.command = value;
        if (key == "state") r.state = value;
    }
    if (!has_pid) return std::nullopt;
    return r;
}

LockState PeekDataDirLock(const std::string& data_dir) {
    LockState state;
    const std::string path = data_dir + "/" + DataDirLock::kFileName;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return state;
    // A shared lock is refused while the owner holds its exclusive one; taken, it is released at once.
    state.held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    state.record = ParseLockRecord(ReadLockFile(fd));
    ::close(fd);
    return state;
}

Result<DataDirLock> DataDirLock::Acquire(const std::string& data_dir, const std::string& command) {
    const std::string path = data_dir + "/" + kFileName;
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return MakeError(ErrorCode::kUnavailable, "cannot open the lock file '" + path + "': " + std::strerror(errno) +
                                                      " (check that the data directory is writable by this user)");
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        const auto holder = ParseLockRecord(ReadLockFile(fd));
        ::close(fd);
        if (err != EWOULDBLOCK)
            return MakeError(ErrorCode::kUnavailable, "cannot lock '" + path + "': " + std::strerror(err) +
                                                          " (is it on a network file system?)");
        const std::string who = holder ? holder->Describe() : "another process (it has not written its record yet)";
        return MakeError(ErrorCode::kConflict,
                         "the data directory " + data_dir + " is in use by " + who +
                             ". One cloudopt owns a data directory: stop that process first, or give this one its "
                             "own --data-dir");
    }
    DataDirLock lock(fd, path);
    lock.previous_ = ParseLockRecord(ReadLockFile(fd));
    lock.record_.pid = ::getpid();
    lock.record_.host = HostName();
    lock.record_.since = UtcNow();
    lock.record_.command = command;
    lock.record_.state = "starting";
    if (Status s = lock.Write(); !s) return s.error();
    return lock;
}

DataDirLock::DataDirLock(DataDirLock&& other) noexcept
    : fd_(other.fd_),
      path_(std::move(other.path_)),
      previous_(std::move(other.previous_)),
      record_(std::move(other.record_)) {
    other.fd_ = -1;
}

Status DataDirLock::MarkStoreOpen(unsigned long long db_inode) {
    record_.state = "open";
    record_.db_inode = db_inode;
    return Write();
}

Status DataDirLock::Write() {
    const std::string text = FormatLockRecord(record_);
    // Whole record in one write after truncating: a reader sees the old record, nothing, or the new one.
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()) ||
        ::fsync(fd_) != 0)
        return MakeError(ErrorCode::kUnavailable,
                         "cannot write the lock file '" + path_ + "': " + std::strerror(errno) + " (disk full?)");
    return Status::Ok();
}

DataDirLock::~DataDirLock() {
    if (fd_ < 0) return;
    // A holder that never opened the store (a refused start) leaves the last owner's record as it was: it is the
    // evidence the next start needs (a store that existed, a crash with the store open).
    if (record_.state == "starting" && previous_)
        record_ = *previous_;
    else
        record_.state = "stopped";
    (void)Write();
    ::close(fd_);  // releases the flock
}

}  // namespace cloudopt
