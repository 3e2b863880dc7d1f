#include "providers/aws_rest_json.hpp"

#include <chrono>

#include "providers/json_fields.hpp"

namespace cloudopt::providers {

namespace {

std::string FillTemplate(std::string s, const std::string& what, const std::string& with) {
    for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size()))
        s.replace(at, what.size(), with);
    return s;
}

std::string UrlHost(const std::string& url) {
    std::size_t start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    const std::size_t end = url.find('/', start);
    return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// The path of `url` (what follows the host), so an endpoint with a path prefix is signed as sent.
std::string UrlPath(const std::string& url) {
    std::size_t start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    const std::size_t slash = url.find('/', start);
    return slash == std::string::npos ? "" : url.substr(slash);
}

}  // namespace

AwsJsonError ParseAwsJsonError(const OutboundResponse& response) {
    AwsJsonError e;
    // "x-amzn-ErrorType: ResourceConflictException:http://internal.amazon.com/coral/..." names the code first.
    if (auto type = response.Header("x-amzn-errortype")) e.code = type->substr(0, type->find(':'));
    const auto body = jsonf::Parse(response.body);
    if (e.code.empty()) {
        std::string type = jsonf::Str(body, "__type");  // "com.amazonaws.lambda#TooManyRequestsException"
        if (const std::size_t hash = type.find('#'); hash != std::string::npos) type = type.substr(hash + 1);
        e.code = type.empty() ? jsonf::Str(body, "code") : type;
    }
    e.message = jsonf::Str(body, "message", jsonf::Str(body, "Message"));
    return e;
}

AwsRestJsonClient::AwsRestJsonClient(AwsCredentials credentials, AwsRestJsonOptions options)
    : credentials_(std::move(credentials)), options_(std::move(options)), http_(options_.http) {
    if (!options_.now)
        options_.now = [] {
            return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
}

Result<OutboundResponse> AwsRestJsonClient::Call(const std::string& service, const std::string& region,
                                                 const std::string& method, const std::string& path_and_query,
                                                 const std::string& json_body,
                                                 const HttpClient::Throttled& retry_also) const {
    std::string base = FillTemplate(FillTemplate(options_.endpoint, "{service}", service), "{region}", region);
    while (!base.empty() && base.back() == '/') base.pop_back();
    OutboundRequest request;
    request.method = method;
    request.url = base + path_and_query;
    request.body = json_body;
    const std::string host = UrlHost(base);
    const std::string target = UrlPath(base) + path_and_query;
    // Signed afresh on every attempt: X-Amz-Date must be within five minutes of AWS's clock.
    auto sign = [&](OutboundRequest& r) {
        HttpRequestToSign to_sign;
        to_sign.method = method;
        to_sign.target = target;
        to_sign.body = r.body;
        const std::string amz_date = AmzDate(options_.now());
        to_sign.headers = {{"Host", host}, {"X-Amz-Date", amz_date}};
        if (!r.body.empty()) to_sign.headers.emplace_back("Content-Type", "application/json");
        const SigV4Signature signature = SignV4(to_sign, credentials_, region, service, amz_date);
        r.headers = to_sign.headers;  // including X-Amz-Security-Token when the credentials carry one
        r.headers.emplace_back("Authorization", signature.authorization);
        r.headers.emplace_back("Accept", "application/json");
    };
    auto response = http_.Send(std::move(request), sign, retry_also);
    if (!response)
        return MakeError(response.error().code,
                         "AWS " + service + " " + method + " " + path_and_query + ": " + response.error().message);
    return response;
}

Error AwsRestJsonClient::ToError(const OutboundResponse& r, const std::string& what, const std::string& permission) {
    const AwsJsonError e = ParseAwsJsonError(r);
    std::string message = what + ": HTTP " + std::to_string(r.status);
    if (!e.code.empty()) message += ": " + e.code;
    if (!e.message.empty()) message += ": " + e.message;
    if (r.status == 401 || r.status == 403 || e.code == "AccessDeniedException" ||
        e.code == "InvalidSignatureException" || e.code == "UnrecognizedClientException" ||
        e.code == "ExpiredTokenException")
        return MakeError(
            ErrorCode::kUnavailable,
            message + " (check the credentials, the clock, and that the IAM policy allows " + permission + ")");
    if (r.status == 404) return MakeError(ErrorCode::kNotFound, message);
    if (r.status == 400) return MakeError(ErrorCode::kInvalidArgument, message);
    if (r.status == 409) return MakeError(ErrorCode::kConflict, message);
    return MakeError(ErrorCode::kUnavailable, message);
}

}  // namespace cloudopt::providers
