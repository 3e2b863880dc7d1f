#pragma once
// A client for AWS's Query protocol (EC2 Auto Scaling 2011-01-01, CloudWatch 2010-08-01): a form-encoded POST of
// Action, Version and the parameters to https://{service}.{region}.amazonaws.com/, signed with SigV4, answered in
// XML. Retries 429, 5xx, timeouts and AWS's 400 throttling codes with backoff; other errors come back as an Error
// carrying AWS's code and message.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "providers/aws_sigv4.hpp"
#include "providers/http_client.hpp"
#include "providers/xml.hpp"

namespace cloudopt::providers {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct AwsQueryOptions {
    // Where requests go; "{service}" and "{region}" are filled in. Tests and private endpoints (VPC endpoints,
    // LocalStack) point it elsewhere.
    std::string endpoint = "https://{service}.{region}.amazonaws.com";
    HttpClientOptions http;
    std::function<long long()> now;  // unix seconds for X-Amz-Date; the system clock when empty
};

class AwsQueryClient {
public:
    AwsQueryClient(AwsCredentials credentials, AwsQueryOptions options = {});

    // POSTs Action=`action`&Version=`version`&params... to `service` in `region` and returns the parsed answer.
    // Errors: kNotFound/kInvalidArgument/kConflict/kUnavailable with "AWS <service> <action>: <Code>: <Message>".
    Result<XmlDocument> Call(const std::string& service, const std::string& region, const std::string& version,
                             const std::string& action, const QueryParams& params);

    HttpClient& http() { return http_; }  // tests replace its sleeper

private:
    AwsCredentials credentials_;
    AwsQueryOptions options_;
    HttpClient http_;
};

}  // namespace cloudopt::providers
