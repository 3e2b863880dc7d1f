#include "providers/azure_arm.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <vector>

namespace cloudopt::providers {

namespace {

std::vector<std::string> SplitArmRef(const std::string& s) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= s.size()) {
        const std::size_t at = std::min(s.find('/', start), s.size());
        parts.push_back(s.substr(start, at - start));
        start = at + 1;
    }
    return parts;
}

bool EqualsIgnoringCase(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

bool SafeArmName(const std::string& s) {
    return !s.empty() && s.size() <= 90 && s != "." && s != ".." && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '(' || c == ')';
    });
}

}  // namespace

Result<std::string> ParseArmResourceRef(const std::string& ref, const std::string& provider_namespace,
                                        const std::string& type, const std::string& short_form,
                                        const std::string& example) {
    const auto parts = SplitArmRef(ref);
    std::string subscription, group, name;
    if (parts.size() == 3) {
        subscription = parts[0], group = parts[1], name = parts[2];
    } else if (parts.size() == 9 && parts[0].empty() && EqualsIgnoringCase(parts[1], "subscriptions") &&
               EqualsIgnoringCase(parts[3], "resourceGroups") && EqualsIgnoringCase(parts[5], "providers") &&
               EqualsIgnoringCase(parts[6], provider_namespace) && EqualsIgnoringCase(parts[7], type)) {
        subscription = parts[2], group = parts[4], name = parts[8];
    }
    if (!SafeArmName(subscription) || !SafeArmName(group) || !SafeArmName(name))
        return MakeError(ErrorCode::kInvalidArgument,
                         "provider_ref '" + ref + "': use " + short_form + " or the resource id (" + example + ")");
    return "/subscriptions/" + subscription + "/resourceGroups/" + group + "/providers/" + provider_namespace + "/" +
           type + "/" + name;
}

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
