#include "app/security_setup.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "app/files.hpp"

namespace cloudopt {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> SplitList(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        std::string item = text.substr(start, comma - start);
        while (!item.empty() && item.front() == ' ') item.erase(item.begin());
        while (!item.empty() && item.back() == ' ') item.pop_back();
        if (!item.empty()) out.push_back(item);
        start = comma + 1;
    }
    return out;
}

// Creates `path` holding fresh key text, readable by the owner only; O_EXCL so two starts never race.
Status CreateKeyFile(const std::string& path) {
    const std::string text = security::Keyring::GenerateKeyText() + "\n";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return MakeError(ErrorCode::kUnavailable, "cannot create key file '" + path + "'");
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return MakeError(ErrorCode::kUnavailable, "cannot write key file '" + path + "' (disk full?)");
    return Status::Ok();
}

Result<std::string> ReadKeyFile(const std::string& path, const std::string& what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
        spdlog::warn("{} '{}' is readable by other users; chmod 600 it", what, path);
    auto text = ReadWholeFile(path, what);
    if (!text) return text.error();
    auto key = security::Keyring::ParseKey(*text);
    if (!key) return MakeError(ErrorCode::kInvalidArgument, what + " '" + path + "': " + key.error().message);
    return key;
}

// The configured file, or the default one in the data directory, created on first use.
Result<std::string> KeyFromFileOrDefault(const std::string& configured, const Config& config, const char* default_name,
                                         const std::string& what) {
    if (!configured.empty()) return ReadKeyFile(configured, what);
    const std::string path = (fs::path(config.data_dir) / default_name).string();
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        fs::create_directories(config.data_dir, ec);
        if (Status s = CreateKeyFile(path); !s) return s.error();
        spdlog::warn("created {} {}: back it up, and keep it apart from database backups", what, path);
    }
    return ReadKeyFile(path, what);
}

Result<std::vector<std::string>> ReadKeyFiles(const std::string& list, const std::string& what) {
    std::vector<std::string> keys;
    for (const std::string& path : SplitList(list)) {
        auto key = ReadKeyFile(path, what);
        if (!key) return key.error();
        keys.push_back(std::move(*key));
    }
    return keys;
}

}  // namespace

Result<security::Keyring> LoadKeyring(const Config& config) {
    Result<std::string> current = config.master_key.empty()
                                      ? KeyFromFileOrDefault(config.master_key_file, config, "master.key", "master key file")
                                      : security::Keyring::ParseKey(config.master_key);
    if (!current) return Error{current.error().code, "security.master_key: " + current.error().message};
    auto previous = ReadKeyFiles(config.previous_master_key_files, "previous master key file");
    if (!previous) return previous.error();
    return security::Keyring::Create(std::move(*current), std::move(*previous));
}

Result<api::AuthOptions> MakeAuthOptions(const Config& config) {
    api::AuthOptions options;
    auto key = KeyFromFileOrDefault(config.jwt_key_file, config, "jwt.key", "JWT signing key file");
    if (!key) return key.error();
    auto previous = ReadKeyFiles(config.previous_jwt_key_files, "previous JWT signing key file");
    if (!previous) return previous.error();
    options.jwt_key = std::move(*key);
    options.previous_jwt_keys = std::move(*previous);
    options.jwt.lifetime = static_cast<UnixSeconds>(config.access_token_minutes) * 60;
    options.refresh_lifetime = static_cast<UnixSeconds>(config.refresh_token_days) * 86400;
    return options;
}

api::AccessOptions MakeAccessOptions(const Config& config) {
    api::AccessOptions options;
    options.per_address_rate = config.rate_limit_per_address;
    options.per_address_burst = 2 * config.rate_limit_per_address;
    options.per_caller_rate = config.rate_limit_per_caller;
    options.per_caller_burst = 2 * config.rate_limit_per_caller;
    options.protect_metrics = config.protect_metrics;
    options.audit_retention_seconds = static_cast<UnixSeconds>(config.audit_retention_days) * 86400;
    options.audit_max_rows = config.audit_max_rows;
    return options;
}

Status EnsureFirstAdmin(api::AuthService& auth, const std::map<std::string, std::string>& environment) {
    auto get = [&](const char* name) {
        auto it = environment.find(name);
        return it == environment.end() ? std::string() : it->second;
    };
    const std::string name = get("CLOUDOPT_ADMIN_USER").empty() ? "admin" : get("CLOUDOPT_ADMIN_USER");
    auto generated = auth.EnsureFirstAdmin(name, get("CLOUDOPT_ADMIN_PASSWORD"));
    if (!generated)
        return Error{generated.error().code, "first-run admin (CLOUDOPT_ADMIN_USER/CLOUDOPT_ADMIN_PASSWORD): " +
                                                 generated.error().message};
    if (!generated->empty()) {
        // Straight to the terminal, not through the logger: log files must not hold passwords.
        std::fprintf(stderr,
                     "\n  cloudopt: created the first admin.\n    user:     %s\n    password: %s\n"
                     "  It is shown only this once. Log in at the dashboard or with POST /api/auth/login.\n\n",
                     name.c_str(), generated->c_str());
        std::fflush(stderr);
    } else {
        auto count = auth.store().CountUsers();
        if (count && *count > 0) spdlog::info("users: {} (add more with `cloudopt user add`)", *count);
    }
    return Status::Ok();
}

}  // namespace cloudopt
