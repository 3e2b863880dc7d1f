#pragma once
// Outbound HTTP for the cloud adapters, on libcurl: connect and total timeouts, and retries with exponential
// backoff and full jitter on 429, 5xx and transport failures (a 429's Retry-After is honoured), never on other
// statuses. Base URLs come from the caller, so tests and private endpoints point it anywhere.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace cloudopt::providers {

struct OutboundRequest {
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

struct OutboundResponse {
    int status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
    std::optional<std::string> Header(const std::string& lower_case_name) const;
};

// RFC 3986 percent-encoding of everything but A-Z a-z 0-9 - _ . ~: form bodies, query values, SigV4's Query API.
std::string PercentEncode(const std::string& value);

struct RetryPolicy {
    int max_attempts = 4;
    std::chrono::milliseconds base_delay{200};  // the cap of the first wait; doubles per attempt
    std::chrono::milliseconds max_delay{10000};
};

struct HttpClientOptions {
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds timeout{15000};  // the whole exchange
    RetryPolicy retry;
    std::string ca_file;  // extra trust (a private endpoint, a cluster CA); empty: the system's
    std::string client_certificate_file;  // TLS client authentication (kubeconfig), PEM
    std::string client_key_file;
};

class HttpClient {
public:
    using Sleeper = std::function<void(std::chrono::milliseconds)>;
    // Called before every attempt, so a signature (SigV4's date) or a token is fresh on each retry.
    using Prepare = std::function<void(OutboundRequest&)>;
    // Some clouds throttle with a plain 4xx (AWS's Query APIs answer 400 with code Throttling): this tells the
    // client that such an answer is worth retrying like a 429.
    using Throttled = std::function<bool(const OutboundResponse&)>;

    explicit HttpClient(HttpClientOptions options = {});

    // The response once it is final: any status but 429 and 5xx, or the last attempt's. kUnavailable when the
    // last attempt failed in transport (refused, timed out, TLS), naming the URL and the cause.
    Result<OutboundResponse> Send(OutboundRequest request, const Prepare& prepare = {},
                                  const Throttled& throttled = {}) const;

    // Tests replace the wait between attempts (and record it).
    void SetSleeper(Sleeper sleeper) { sleeper_ = std::move(sleeper); }

    // The wait before retry number `retry` (1-based): uniform in [0, min(max, base * 2^(retry-1))], or the server's
    // Retry-After when that is longer. `unit` in [0,1) is the random draw.
    static std::chrono::milliseconds Backoff(const RetryPolicy& policy, int retry, double unit,
                                             std::optional<std::chrono::seconds> retry_after);

private:
    Result<OutboundResponse> Once(const OutboundRequest& request) const;
    HttpClientOptions options_;
    Sleeper sleeper_;
};

}  // namespace cloudopt::providers
