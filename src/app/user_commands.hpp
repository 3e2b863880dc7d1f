#pragma once
// Administration from the command line, against the service's data directory (the service may be running):
//   cloudopt user add NAME --role admin       (password from a prompt, or the first line of stdin)
//   cloudopt user passwd NAME                 (new password, from a prompt or stdin; ends the user's sessions)
//   cloudopt user list
//   cloudopt token create NAME --scope metrics:write   (prints the token once)
//   cloudopt token revoke ID
//   cloudopt secrets generate-key              (prints a new master key)
//   cloudopt secrets rotate                    (reseals every credential under the current master key)

#include <optional>
#include <string>

namespace cloudopt {

struct AdminCommand {
    std::string config_path;
    std::optional<std::string> data_dir;
    std::string name;
    std::string role = "viewer";
    std::string scope;
    long long id = 0;
};

int RunUserAdd(const AdminCommand& command);
int RunUserPasswd(const AdminCommand& command);
int RunUserList(const AdminCommand& command);
int RunTokenCreate(const AdminCommand& command);
int RunTokenRevoke(const AdminCommand& command);
int RunSecretsGenerateKey();
int RunSecretsRotate(const AdminCommand& command);

}  // namespace cloudopt
