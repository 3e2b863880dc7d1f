#include "api/credential_vault.hpp"

#include <initializer_list>

namespace cloudopt::api {

namespace {

using nlohmann::json;

// Binds a ciphertext to its row: moved to another name or kind, it no longer opens.
std::string AssociatedData(const std::string& name, const std::string& kind) { return "credential:" + kind + ":" + name; }

Status Require(const json& secret, const std::string& kind, std::initializer_list<const char*> fields) {
    for (const char* f : fields) {
        if (!secret.contains(f) || !secret[f].is_string() || secret[f].get<std::string>().empty())
            return MakeError(ErrorCode::kUnprocessable, "secret." + std::string(f) + ": a " + kind + " credential needs it");
    }
    return Status::Ok();
}

Status OnlyStrings(const json& secret) {
    for (auto it = secret.begin(); it != secret.end(); ++it)
        if (!it.value().is_string()) return MakeError(ErrorCode::kUnprocessable, "secret." + it.key() + ": must be a string");
    return Status::Ok();
}

std::string Partial(const std::string& s) {
    if (s.size() <= 8) return "••••";
    return s.substr(0, 4) + "••••" + s.substr(s.size() - 4);
}

// What the API may show: identifiers that help a person recognise the credential, never the secret part.
std::string Hint(const std::string& kind, const json& secret) {
    if (kind == "aws") return "access key " + Partial(secret["access_key_id"].get<std::string>());
    if (kind == "azure") return "client " + secret["client_id"].get<std::string>();
    if (kind == "gcp") return "service account " + secret["client_email"].get<std::string>();
    if (secret.contains("server")) return "server " + secret["server"].get<std::string>();
    return "kubeconfig (" + std::to_string(secret["kubeconfig"].get<std::string>().size()) + " bytes)";
}

}  // namespace

Status ValidateCredential(const std::string& kind, const json& secret) {
    if (!secret.is_object()) return MakeError(ErrorCode::kUnprocessable, "secret: must be an object");
    if (secret.dump().size() > 64 * 1024) return MakeError(ErrorCode::kUnprocessable, "secret: larger than 64 KiB");
    if (Status s = OnlyStrings(secret); !s) return s;
    if (kind == "aws") return Require(secret, kind, {"access_key_id", "secret_access_key"});
    if (kind == "azure") return Require(secret, kind, {"tenant_id", "client_id", "client_secret"});
    if (kind == "gcp") {
        if (Status s = Require(secret, kind, {"type", "client_email", "private_key"}); !s) return s;
        if (secret["type"] != "service_account")
            return MakeError(ErrorCode::kUnprocessable, "secret.type: a gcp credential is a service-account key (\"service_account\")");
        if (secret["private_key"].get<std::string>().find("PRIVATE KEY") == std::string::npos)
            return MakeError(ErrorCode::kUnprocessable, "secret.private_key: expected a PEM private key");
        return Status::Ok();
    }
    if (kind == "kubernetes") {
        if (secret.contains("kubeconfig")) return Require(secret, kind, {"kubeconfig"});
        return Require(secret, kind, {"server", "token"});
    }
    return MakeError(ErrorCode::kUnprocessable, "kind: must be aws, azure, gcp or kubernetes");
}

Result<StoredCredential> SaveCredential(IdentityStore& store, const security::Keyring& keyring, const std::string& name,
                                        const std::string& kind, const json& secret, UnixSeconds now) {
    if (name.empty() || name.size() > 64 || name.find_first_of(" \t\r\n/") != std::string::npos)
        return MakeError(ErrorCode::kUnprocessable, "name: 1 to 64 characters without spaces or slashes");
    if (Status s = ValidateCredential(kind, secret); !s) return s.error();
    auto sealed = keyring.Seal(secret.dump(), AssociatedData(name, kind));
    if (!sealed) return sealed.error();
    StoredCredential c;
    c.name = name;
    c.kind = kind;
    c.sealed = std::move(*sealed);
    c.key_id = keyring.current_key_id();
    c.hint = Hint(kind, secret);
    c.updated_at = now;
    return store.SaveCredential(c);
}

Result<json> OpenCredential(IdentityStore& store, const security::Keyring& keyring, const std::string& name,
                            const std::string& kind) {
    auto all = store.ListCredentials();
    if (!all) return all.error();
    for (const StoredCredential& c : *all) {
        if (c.name != name) continue;
        if (!kind.empty() && c.kind != kind)
            return MakeError(ErrorCode::kInvalidArgument, "credential '" + name + "' is of kind " + c.kind + ", not " + kind);
        auto plain = keyring.Open(c.sealed, AssociatedData(c.name, c.kind));
        if (!plain) return Error{plain.error().code, "credential '" + name + "': " + plain.error().message};
        json secret = json::parse(*plain, nullptr, false);
        if (secret.is_discarded()) return MakeError(ErrorCode::kInternal, "credential '" + name + "' is corrupt");
        return secret;
    }
    return MakeError(ErrorCode::kNotFound, "credential '" + name + "' does not exist");
}

Result<int> ResealCredentials(IdentityStore& store, const security::Keyring& keyring, UnixSeconds now) {
    auto all = store.ListCredentials();
    if (!all) return all.error();
    // Open everything first: a credential that no configured key opens stops the rotation before any write.
    std::vector<std::pair<StoredCredential, std::string>> pending;
    for (const StoredCredential& c : *all) {
        if (security::Keyring::KeyIdOf(c.sealed) == keyring.current_key_id()) continue;
        auto plain = keyring.Open(c.sealed, AssociatedData(c.name, c.kind));
        if (!plain) return Error{plain.error().code, "credential '" + c.name + "': " + plain.error().message};
        pending.emplace_back(c, std::move(*plain));
    }
    for (auto& [c, plain] : pending) {
        auto sealed = keyring.Seal(plain, AssociatedData(c.name, c.kind));
        if (!sealed) return sealed.error();
        StoredCredential updated = c;
        updated.sealed = std::move(*sealed);
        updated.key_id = keyring.current_key_id();
        updated.updated_at = now;
        if (auto saved = store.SaveCredential(updated); !saved) return saved.error();
    }
    return static_cast<int>(pending.size());
}

}  // namespace cloudopt::api
