#pragma once
// Azure Resource Manager calls with a service principal: a token from Microsoft Entra ID by the client-credentials
// flow (POST {login}/{tenant}/oauth2/v2.0/token, scope {management}/.default), cached until shortly before it
// expires and fetched again after a 401; then JSON requests to the management endpoint with that bearer token.

#include <map>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "providers/http_client.hpp"
#include "providers/oauth_token.hpp"

namespace cloudopt::providers {

struct AzureCredentials {
    std::string tenant_id;
    std::string client_id;
    std::string client_secret;
};

// AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (the Azure SDKs' EnvironmentCredential).
Result<AzureCredentials> AzureCredentialsFromEnvironment(const std::map<std::string, std::string>& environment);

struct AzureOptions {
    std::string login_endpoint = "https://login.microsoftonline.com";
    std::string management_endpoint = "https://management.azure.com";
    std::string scope = "https://management.azure.com/.default";
    HttpClientOptions http;
    TokenCache::Now now;  // unix seconds, for token expiry; the system clock when empty
};

// A resource a driver manages, named by provider_ref as SUBSCRIPTION_ID/RESOURCE_GROUP/NAME or by its full resource id
// (/subscriptions/S/resourceGroups/G/providers/NAMESPACE/TYPE/NAME, matched case-insensitively as ARM does).
// Returns the canonical resource id, or kInvalidArgument naming `short_form` (e.g.
// "SUBSCRIPTION_ID/RESOURCE_GROUP/SCALE_SET") and `example` when a part is missing or is not a safe ARM name: letters,
// digits, '-', '_', '.', '(' and ')', at most 90, and not "." or ".." (path steps a URL resolves, which would
// address another resource than the one named).
Result<std::string> ParseArmResourceRef(const std::string& provider_ref, const std::string& provider_namespace,
                                        const std::string& type, const std::string& short_form,
                                        const std::string& example);

class AzureArmClient {
  public:
    AzureArmClient(AzureCredentials credentials, AzureOptions options = {});

    // `method` on management_endpoint + `path_and_query` with a JSON body (or none). The final response, whatever
    // its status; kUnavailable when the token cannot be had or the transport fails. `retry_also`: answers besides 429
    // and 5xx to retry with backoff (SendWithBearer).
    Result<OutboundResponse> Request(const std::string& method, const std::string& path_and_query,
                                     const std::string& json_body = "", const HttpClient::Throttled& retry_also = {});

    // Turns a non-2xx ARM answer into an Error: 404 kNotFound, 400 kInvalidArgument, 409/412 kConflict, others
    // kUnavailable; the message carries ARM's error code and message.
    static Error ArmError(const OutboundResponse& response, const std::string& what);

    HttpClient& http() { return http_; }
    const TokenCache& tokens() const { return *tokens_; }

  private:
    Result<BearerToken> FetchToken();
    AzureCredentials credentials_;
    AzureOptions options_;
    HttpClient http_;
    std::unique_ptr<TokenCache> tokens_;
};

}  // namespace cloudopt::providers
