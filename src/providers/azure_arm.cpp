#include "providers/azure_arm.hpp"

#include <nlohmann/json.hpp>

namespace cloudopt::providers {

using nlohmann::json;

Result<AzureCredentials> AzureCredentialsFromEnvironment(const std::map<std::string, std::string>& env) {
    AzureCredentials c;
    auto get = [&](const char* key, std::string& into) {
        auto it = env.find(key);
        if (it != env.end()) into = it->second;
        return !into.empty();
    };
    if (!get("AZURE_TENANT_ID", c.tenant_id) | !get("AZURE_CLIENT_ID", c.client_id) |
        !get("AZURE_CLIENT_SECRET", c.client_secret))
        return MakeError(ErrorCode::kUnavailable,
                         "no Azure service principal: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or "
                         "name a stored credential of kind azure in the provider's config");
    return c;
}

AzureArmClient::AzureArmClient(AzureCredentials credentials, AzureOptions options)
    : credentials_(std::move(credentials)), options_(std::move(options)), http_(options_.http) {
    tokens_ = std::make_unique<TokenCache>([this] { return FetchToken(); }, options_.now);
}

Result<BearerToken> AzureArmClient::FetchToken() {
    OutboundRequest request;
    request.method = "POST";
    request.url = options_.login_endpoint + "/" + PercentEncode(credentials_.tenant_id) + "/oauth2/v2.0/token";
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    request.body = "grant_type=client_credentials&client_id=" + PercentEncode(credentials_.client_id) +
                   "&client_secret=" + PercentEncode(credentials_.client_secret) +
                   "&scope=" + PercentEncode(options_.scope);
    auto response = http_.Send(std::move(request));
    if (!response) return response.error();
    return ParseTokenResponse(*response, "Azure token for client " + credentials_.client_id);
}

Result<OutboundResponse> AzureArmClient::Request(const std::string& method, const std::string& path_and_query,
                                                 const std::string& json_body,
                                                 const HttpClient::Throttled& retry_also) {
    return SendWithBearer(http_, *tokens_, method, options_.management_endpoint + path_and_query, json_body,
                          retry_also);
}

Error AzureArmClient::ArmError(const OutboundResponse& r, const std::string& what) {
    return CloudJsonError(r, what, "code",
                          "give the service principal a role with virtualMachineScaleSets read and write, e.g. Virtual "
                          "Machine Contributor, on the scale set");
}

}  // namespace cloudopt::providers
