#pragma once
// A client for AWS's REST-JSON services (Lambda's 2015-03-31 API and its dated paths such as
// /2019-09-30/functions/...): a request to https://{service}.{region}.amazonaws.com{path}, with a JSON body or none,
// signed with SigV4 afresh on every attempt. Retries 429, 5xx and timeouts with backoff (HttpClient), plus whatever
// the caller marks (a conflict while an update is in progress). Errors carry AWS's code from the x-amzn-ErrorType
// header (or the body's __type) and its message.
//
// Thread-safety: Call may run on several threads at once (it keeps no state between calls).

#include <functional>
#include <string>

#include "core/error.hpp"
#include "providers/aws_sigv4.hpp"
#include "providers/http_client.hpp"

namespace cloudopt::providers {

struct AwsRestJsonOptions {
    // "{service}" and "{region}" are filled in; tests and private endpoints (VPC endpoints) point it elsewhere.
    std::string endpoint = "https://{service}.{region}.amazonaws.com";
    HttpClientOptions http;
    std::function<long long()> now;  // unix seconds for X-Amz-Date; the system clock when empty
};

// An AWS REST-JSON error answer: its code ("ResourceConflictException") and message.
struct AwsJsonError {
    std::string code;
    std::string message;
};
AwsJsonError ParseAwsJsonError(const OutboundResponse& response);

class AwsRestJsonClient {
  public:
    AwsRestJsonClient(AwsCredentials credentials, AwsRestJsonOptions options = {});

    // `method` on `path_and_query` (already percent-encoded) of `service` in `region`. The final answer whatever its
    // status; kUnavailable when the transport failed on the last attempt. `retry_also` marks answers worth a retry.
    Result<OutboundResponse> Call(const std::string& service, const std::string& region, const std::string& method,
                                  const std::string& path_and_query, const std::string& json_body = "",
                                  const HttpClient::Throttled& retry_also = {}) const;

    // A non-2xx answer as an Error: 404 kNotFound, 400 kInvalidArgument, 409 kConflict, others kUnavailable; 401/403
    // and signature errors name the IAM action to allow (`permission`, e.g. "lambda:PutProvisionedConcurrencyConfig").
    static Error ToError(const OutboundResponse& response, const std::string& what, const std::string& permission);

    HttpClient& http() { return http_; }  // tests replace its sleeper

  private:
    AwsCredentials credentials_;
    AwsRestJsonOptions options_;
    HttpClient http_;
};

}  // namespace cloudopt::providers
