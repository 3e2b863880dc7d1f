#pragma once
// The service's keys and security settings from the config: the master keyring that seals credentials, the
// JWT signing keys, and the options of authentication and access control. Missing default key files are
// created with fresh randomness and mode 0600 on first start.

#include <string>

#include "api/access_control.hpp"
#include "api/auth_service.hpp"
#include "app/config.hpp"
#include "security/secret_box.hpp"

namespace cloudopt {

// The key text from security.master_key (usually CLOUDOPT_SECURITY_MASTER_KEY), else security.master_key_file,
// else <data_dir>/master.key (created when missing); previous keys from security.previous_master_key_files.
Result<security::Keyring> LoadKeyring(const Config& config);

Result<api::AuthOptions> MakeAuthOptions(const Config& config);
api::AccessOptions MakeAccessOptions(const Config& config);

// The first-run admin from CLOUDOPT_ADMIN_USER / CLOUDOPT_ADMIN_PASSWORD; prints a generated password once to
// the terminal (stderr), never to the log.
Status EnsureFirstAdmin(api::AuthService& auth, const std::map<std::string, std::string>& environment);

}  // namespace cloudopt
