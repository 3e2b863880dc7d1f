#pragma once
// Google Cloud calls as a service account: a signed JWT (RS256, OpenSSL) exchanged at the token endpoint for an
// access token (RFC 7523 JWT-bearer grant), cached until shortly before it expires; then JSON requests to the
// Google APIs with that bearer token.

#include <memory>
#include <string>

#include "core/error.hpp"
#include "providers/http_client.hpp"
#include "providers/oauth_token.hpp"

namespace cloudopt::providers {

struct GcpServiceAccount {
    std::string project_id;
    std::string client_email;
    std::string private_key_id;
    std::string private_key;  // PEM, PKCS#8
    std::string token_uri = "https://oauth2.googleapis.com/token";
};

// A service-account key file's JSON ("type": "service_account"). kInvalidArgument naming a missing field.
Result<GcpServiceAccount> ParseServiceAccountKey(const std::string& json_text);

// The JWT-bearer assertion: header {"alg":"RS256","typ":"JWT","kid":private_key_id}, claims iss=client_email,
// scope, aud=token_uri, iat=now, exp=now+3600. kInvalidArgument when the private key is unreadable.
Result<std::string> ServiceAccountAssertion(const GcpServiceAccount& account, const std::string& scope, long long now);

struct GcpOptions {
    std::string compute_endpoint = "https://compute.googleapis.com";
    std::string monitoring_endpoint = "https://monitoring.googleapis.com";
    std::string run_endpoint = "https://run.googleapis.com";  // Cloud Run Admin API v2
    std::string scope = "https://www.googleapis.com/auth/cloud-platform";
    std::string token_uri;  // overrides the key file's token_uri when set (tests, private endpoints)
    HttpClientOptions http;
    TokenCache::Now now;
};

class GcpClient {
  public:
    GcpClient(GcpServiceAccount account, GcpOptions options = {});

    // `method` on `url` (absolute) with an optional JSON body and the bearer token; a 401 gets one fresh token.
    // `retry_also`: answers besides 429 and 5xx to retry with backoff (SendWithBearer).
    Result<OutboundResponse> Request(const std::string& method, const std::string& url,
                                     const std::string& json_body = "", const HttpClient::Throttled& retry_also = {});
    // A non-2xx Google answer as an Error (404 kNotFound, 400 kInvalidArgument, 409/412 kConflict, else kUnavailable).
    static Error GoogleError(const OutboundResponse& response, const std::string& what);

    const GcpOptions& options() const { return options_; }
    const GcpServiceAccount& account() const { return account_; }
    HttpClient& http() { return http_; }
    const TokenCache& tokens() const { return *tokens_; }

  private:
    Result<BearerToken> FetchToken();
    GcpServiceAccount account_;
    GcpOptions options_;
    HttpClient http_;
    std::unique_ptr<TokenCache> tokens_;
};

}  // namespace cloudopt::providers
