#pragma once
// A bearer token that is fetched once and reused until shortly before it expires (Azure's client-credentials
// and GCP's JWT-bearer flows both return {access_token, expires_in}). Thread-safe: one fetch at a time.

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "core/error.hpp"
#include "providers/http_client.hpp"

namespace cloudopt::providers {

struct BearerToken {
    std::string access_token;
    long long expires_in = 0;  // seconds
};

// Reads {access_token, expires_in} from a token endpoint's answer; the OAuth error and its description otherwise
// (e.g. "invalid_client: AADSTS7000215: Invalid client secret provided").
Result<BearerToken> ParseTokenResponse(const OutboundResponse& response, const std::string& what);

class TokenCache {
  public:
    using Fetch = std::function<Result<BearerToken>()>;
    using Now = std::function<long long()>;  // unix seconds
    // A token is renewed when less than `margin` seconds of its life remain.
    explicit TokenCache(Fetch fetch, Now now = {}, long long margin = 300);

    Result<std::string> Get();
    void Invalidate();  // after a 401: the token was revoked or the clock is off
    int fetches() const { return fetches_; }

  private:
    Fetch fetch_;
    Now now_;
    long long margin_;
    std::mutex mutex_;
    std::string token_;
    long long expires_at_ = 0;
    int fetches_ = 0;
};

// A non-2xx answer of a JSON cloud API as an Error. Both Azure and Google wrap errors as
// {"error":{"<label_field>":"...","message":"..."}} (ARM: code; Google: status). 404 kNotFound, 400
// kInvalidArgument, 409/412 kConflict, others kUnavailable; 401/403 also carry `permission_hint`.
Error CloudJsonError(const OutboundResponse& response, const std::string& what, const char* label_field,
                     const std::string& permission_hint);

// A JSON request to `url` with "Authorization: Bearer <token>" from `tokens`. A 401 with a cached token may mean
// it was revoked before its expiry: the token is dropped and the request sent once more with a fresh one; after
// that the answer stands. `retry_also` marks further answers worth the client's backoff like a 429 (a conflict
// while the cloud finishes an earlier update).
Result<OutboundResponse> SendWithBearer(const HttpClient& http, TokenCache& tokens, const std::string& method,
                                        const std::string& url, const std::string& json_body,
                                        const HttpClient::Throttled& retry_also = {});

}  // namespace cloudopt::providers
