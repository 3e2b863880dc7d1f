#include "app/user_commands.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "api/auth_service.hpp"
#include "api/credential_vault.hpp"
#include "app/cli_common.hpp"
#include "app/config.hpp"
#include "app/data_dir.hpp"
#include "app/security_setup.hpp"
#include "store/store.hpp"

namespace cloudopt {

namespace {

// Everything an admin command needs: the config, the store and the auth service over it.
// Members are destroyed in reverse: the auth service, then the store, then the data directory's lock.
struct AdminContext {
    Config config;
    SystemClock clock;
    std::optional<DataDirLock> lock;
    std::unique_ptr<Store> store;
    std::unique_ptr<api::AuthService> auth;
};

// Whether the command changes the store. Such a command owns the data directory while it runs (so it never
// writes beside a running service, whose caches and control loop assume they are alone); one that only reads
// may run beside the service.
enum class Access { kRead, kWrite };

Result<std::unique_ptr<AdminContext>> OpenAdmin(const AdminCommand& command, const std::string& name,
                                                Access access = Access::kWrite) {
    SendLogToStderr();
    auto config = LoadConfig(command.config_path, ProcessEnvironment());
    if (!config) return config.error();
    auto ctx = std::make_unique<AdminContext>();
    ctx->config = std::move(*config);
    if (command.data_dir) ctx->config.data_dir = *command.data_dir;
    UseOwnerOnlyFileModes();
    DataDirOptions dir_options;
    dir_options.data_dir = ctx->config.data_dir;
    dir_options.command = name;
    dir_options.read_only_ok_without_lock = access == Access::kRead;
    UseConfiguredStore(ctx->config, dir_options);
    auto owned = OpenDataDir(dir_options, ctx->clock);
    if (!owned) {
        if (owned.error().code == ErrorCode::kConflict)
            return MakeError(ErrorCode::kConflict, owned.error().message + ". `cloudopt " + name +
                                                       "` changes the store: stop the service first, or make the "
                                                       "change through its API (/api/users, /api/tokens, "
                                                       "/api/credentials/rotate)");
        return owned.error();
    }
    if (owned->lock) ctx->lock.emplace(std::move(*owned->lock));
    ctx->store = std::move(owned->store);
    auto options = MakeAuthOptions(ctx->config);
    if (!options) return options.error();
    ctx->auth = std::make_unique<api::AuthService>(ctx->store->Identity(), ctx->clock, std::move(*options));
    return ctx;
}

int Fail(const std::string& message) {
    std::cerr << "cloudopt: " << message << "\n";
    return 1;
}

std::string PromptHidden(const char* prompt) {
    std::fprintf(stderr, "%s", prompt);
    std::fflush(stderr);
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string line;
    std::getline(std::cin, line);
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
    return line;
}

// From a terminal: asked twice without echo. From a pipe: the first line (scripts: `echo "$PW" | cloudopt ...`).
std::optional<std::string> ReadPassword() {
    if (isatty(STDIN_FILENO)) {
        std::string first = PromptHidden("password: ");
        std::string second = PromptHidden("again: ");
        if (first != second) return std::nullopt;
        return first;
    }
    std::string line;
    std::getline(std::cin, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

}  // namespace

int RunUserAdd(const AdminCommand& command) {
    auto role = ParseRole(command.role);
    if (!role) {
        std::cerr << "cloudopt: --role must be viewer, operator or admin\n";
        return kUsageError;
    }
    auto ctx = OpenAdmin(command, "user add");
    if (!ctx) return Fail((ctx.error().message));
    auto password = ReadPassword();
    if (!password) return Fail("the two passwords differ");
    auto user = (*ctx)->auth->CreateUser(command.name, *role, *password);
    if (!user) return Fail(user.error().message);
    std::printf("created user %s (role %s, id %lld)\n", user->name.c_str(), RoleName(user->role),
                static_cast<long long>(user->id));
    return 0;
}

int RunUserPasswd(const AdminCommand& command) {
    auto ctx = OpenAdmin(command, "user passwd");
    if (!ctx) return Fail(ctx.error().message);
    auto user = (*ctx)->store->Identity().FindUser(command.name);
    if (!user) return Fail(user.error().message);
    auto password = ReadPassword();
    if (!password) return Fail("the two passwords differ");
    auto updated = (*ctx)->auth->UpdateUser(user->id, std::nullopt, *password, std::nullopt);
    if (!updated) return Fail(updated.error().message);
    std::printf("changed the password of %s; its sessions were ended\n", user->name.c_str());
    return 0;
}

int RunUserList(const AdminCommand& command) {
    auto ctx = OpenAdmin(command, "user list", Access::kRead);
    if (!ctx) return Fail(ctx.error().message);
    auto users = (*ctx)->store->Identity().ListUsers();
    if (!users) return Fail(users.error().message);
    for (const User& u : *users)
        std::printf("%-6lld %-24s %-9s%s\n", static_cast<long long>(u.id), u.name.c_str(), RoleName(u.role),
                    u.disabled ? " (disabled)" : "");
    return 0;
}

int RunTokenCreate(const AdminCommand& command) {
    auto ctx = OpenAdmin(command, "token create");
    if (!ctx) return Fail(ctx.error().message);
    auto issued = (*ctx)->auth->CreateApiToken(command.name, command.scope, "cli");
    if (!issued) return Fail(issued.error().message);
    std::fprintf(stderr, "created API token %s (scope %s, id %lld); it is shown only now:\n", command.name.c_str(),
                 command.scope.c_str(), static_cast<long long>(issued->record.id));
    std::printf("%s\n", issued->token.c_str());
    return 0;
}

int RunTokenRevoke(const AdminCommand& command) {
    auto ctx = OpenAdmin(command, "token revoke");
    if (!ctx) return Fail(ctx.error().message);
    if (Status s = (*ctx)->auth->RevokeApiToken(command.id); !s) return Fail(s.error().message);
    std::printf("revoked API token %lld\n", command.id);
    return 0;
}

int RunSecretsGenerateKey() {
    std::printf("%s\n", security::Keyring::GenerateKeyText().c_str());
    return 0;
}

int RunSecretsRotate(const AdminCommand& command) {
    auto ctx = OpenAdmin(command, "secrets rotate");
    if (!ctx) return Fail(ctx.error().message);
    auto keyring = LoadKeyring((*ctx)->config);
    if (!keyring) return Fail(keyring.error().message);
    auto resealed = api::ResealCredentials((*ctx)->store->Identity(), *keyring, (*ctx)->clock.Now());
    if (!resealed) return Fail(resealed.error().message);
    std::printf("resealed %d credential(s) under master key %s\n", *resealed, keyring->current_key_id().c_str());
    return 0;
}

}  // namespace cloudopt
