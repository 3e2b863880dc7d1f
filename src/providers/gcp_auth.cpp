#include "providers/gcp_auth.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "providers/json_fields.hpp"

namespace cloudopt::providers {

namespace {

using nlohmann::json;

std::string Base64Url(const std::string& bytes) {
    static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                           (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
        out += kAlphabet[v >> 6 & 63];
        out += kAlphabet[v & 63];
    }
    if (i + 1 == bytes.size()) {
        const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
    } else if (i + 2 == bytes.size()) {
        const unsigned v =
            (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
        out += kAlphabet[v >> 6 & 63];
    }
    return out;
}

Result<std::string> SignRs256(const std::string& pem, const std::string& data) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr, EVP_PKEY_free);
    if (!key || EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA)
        return MakeError(ErrorCode::kInvalidArgument,
                         "the service account's private_key is not an RSA private key in PEM");
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t length = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
            1)
        return MakeError(ErrorCode::kInternal, "RS256 signing failed (OpenSSL)");
    std::string signature(length, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
        return MakeError(ErrorCode::kInternal, "RS256 signing failed (OpenSSL)");
    signature.resize(length);
    return signature;
}

}  // namespace

Result<GcpServiceAccount> ParseServiceAccountKey(const std::string& text) {
    const json key = jsonf::Parse(text);
    if (!key.is_object()) return MakeError(ErrorCode::kInvalidArgument, "the service-account key is not JSON");
    if (jsonf::Str(key, "type") != "service_account")
        return MakeError(ErrorCode::kInvalidArgument,
                         "the key's type must be \"service_account\" (create a key for a service account in IAM)");
    GcpServiceAccount a;
    a.client_email = jsonf::Str(key, "client_email");
    a.private_key = jsonf::Str(key, "private_key");
    if (a.client_email.empty())
        return MakeError(ErrorCode::kInvalidArgument, "the service-account key has no client_email");
    if (a.private_key.empty())
        return MakeError(ErrorCode::kInvalidArgument, "the service-account key has no private_key");
    a.project_id = jsonf::Str(key, "project_id");
    a.private_key_id = jsonf::Str(key, "private_key_id");
    a.token_uri = jsonf::Str(key, "token_uri", a.token_uri);
    return a;
}

Result<std::string> ServiceAccountAssertion(const GcpServiceAccount& account, const std::string& scope, long long now) {
    json header = {{"alg", "RS256"}, {"typ", "JWT"}};
    if (!account.private_key_id.empty()) header["kid"] = account.private_key_id;
    const json claims = {
        {"iss", account.client_email}, {"scope", scope}, {"aud", account.token_uri}, {"iat", now}, {"exp", now + 3600}};
    const std::string signing_input = Base64Url(header.dump()) + "." + Base64Url(claims.dump());
    auto signature = SignRs256(account.private_key, signing_input);
    if (!signature) return signature.error();
    return signing_input + "." + Base64Url(*signature);
}

GcpClient::GcpClient(GcpServiceAccount account, GcpOptions options)
    : account_(std::move(account)), options_(std::move(options)), http_(options_.http) {
    if (!options_.token_uri.empty()) account_.token_uri = options_.token_uri;
    if (!options_.now)
        options_.now = [] {
            return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
    tokens_ = std::make_unique<TokenCache>([this] { return FetchToken(); }, options_.now);
}

Result<BearerToken> GcpClient::FetchToken() {
    auto assertion = ServiceAccountAssertion(account_, options_.scope, options_.now());
    if (!assertion) return assertion.error();
    OutboundRequest request;
    request.method = "POST";
    request.url = account_.token_uri;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    request.body =
        "grant_type=" + PercentEncode("urn:ietf:params:oauth:grant-type:jwt-bearer") + "&assertion=" + *assertion;
    auto response = http_.Send(std::move(request));
    if (!response) return response.error();
    return ParseTokenResponse(*response, "Google token for " + account_.client_email);
}

Result<OutboundResponse> GcpClient::Request(const std::string& method, const std::string& url,
                                            const std::string& json_body, const HttpClient::Throttled& retry_also) {
    return SendWithBearer(http_, *tokens_, method, url, json_body, retry_also);
}

Error GcpClient::GoogleError(const OutboundResponse& r, const std::string& what) {
    // {"error":{"code":404,"message":"The resource '...' was not found","status":"NOT_FOUND","errors":[...]}}
    return CloudJsonError(r, what, "status",
                          "grant the service account compute.instanceGroupManagers.get and .update, e.g. "
                          "roles/compute.instanceAdmin.v1, and roles/monitoring.viewer");
}

}  // namespace cloudopt::providers
