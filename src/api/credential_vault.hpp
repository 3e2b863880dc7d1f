#pragma once
// Cloud credentials at rest: validated per kind, sealed with the master keyring (security/secret_box.hpp), kept
// in the identity store, shown only masked. Providers open them by name when they connect.

#include <nlohmann/json.hpp>
#include <string>

#include "core/error.hpp"
#include "core/identity.hpp"
#include "security/secret_box.hpp"
#include "store/identity_store.hpp"

namespace cloudopt::api {

// Kinds and the fields each needs:
//   aws: access_key_id, secret_access_key [, session_token]
//   azure: tenant_id, client_id, client_secret [, subscription_id]
//   gcp: a service-account key: type "service_account", client_email, private_key [, project_id, token_uri]
//   kubernetes: kubeconfig (the file's text), or server and token [, certificate_authority]
Status ValidateCredential(const std::string& kind, const nlohmann::json& secret);

Result<StoredCredential> SaveCredential(IdentityStore& store, const security::Keyring& keyring, const std::string& name,
                                        const std::string& kind, const nlohmann::json& secret, UnixSeconds now);
// The secret of the credential called `name`; when `kind` is given, a credential of another kind is refused.
Result<nlohmann::json> OpenCredential(IdentityStore& store, const security::Keyring& keyring, const std::string& name,
                                      const std::string& kind = "");
// Reseals every credential not under the keyring's current key; returns how many it resealed. Run after
// adding a new master key (the old one listed as previous) and before removing the old key.
Result<int> ResealCredentials(IdentityStore& store, const security::Keyring& keyring, UnixSeconds now);

}  // namespace cloudopt::api
