#include "providers/aws_query.hpp"

#include <chrono>
#include <set>

namespace cloudopt::providers {

namespace {

std::string Replace(std::string s, const std::string& what, const std::string& with) {
    for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size()))
        s.replace(at, what.size(), with);
    return s;
}

std::string HostOf(const std::string& url) {
    std::size_t start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    const std::size_t end = url.find('/', start);
    return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// AWS answers throttling with HTTP 400 and one of these codes; they are worth the same backoff as a 429.
bool IsThrottlingCode(const std::string& code) {
    static const std::set<std::string> kCodes = {"Throttling", "ThrottlingException", "RequestLimitExceeded",
                                                 "TooManyRequestsException", "RequestThrottled"};
    return kCodes.count(code) > 0;
}

struct AwsError {
    std::string code, message;
};

AwsError ParseError(const std::string& body) {
    auto doc = XmlDocument::Parse(body);
    if (!doc) return {};
    // <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>; EC2 answers
    // <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>.
    XmlElement error = doc->Root().Child("Error");
    if (!error) error = doc->Root().Path({"Errors", "Error"});
    if (!error && doc->Root().Name() == "Error") error = doc->Root();
    return {error.ChildText("Code"), error.ChildText("Message")};
}

ErrorCode Classify(int status, const AwsError& error) {
    const std::string& code = error.code;
    if (code == "ValidationError" && error.message.find("not found") != std::string::npos) return ErrorCode::kNotFound;
    if (code == "ValidationError" || code == "InvalidParameterValue" || code == "InvalidParameterCombination" ||
        code == "MissingParameter")
        return status == 400 ? ErrorCode::kInvalidArgument : ErrorCode::kUnavailable;
    if (code == "ScalingActivityInProgress" || code == "ResourceContention") return ErrorCode::kConflict;
    return ErrorCode::kUnavailable;
}

}  // namespace

AwsQueryClient::AwsQueryClient(AwsCredentials credentials, AwsQueryOptions options)
    : credentials_(std::move(credentials)), options_(std::move(options)), http_(options_.http) {
    if (!options_.now)
        options_.now = [] {
            return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
}

Result<XmlDocument> AwsQueryClient::Call(const std::string& service, const std::string& region,
                                         const std::string& version, const std::string& action,
                                         const QueryParams& params) {
    // Appended piece by piece: "literal" + std::string made g++ 12 at -O2 warn -Wrestrict (a false positive).
    std::string body = "Action=";
    body += PercentEncode(action);
    body += "&Version=";
    body += PercentEncode(version);
    for (const auto& [name, value] : params) {
        body += '&';
        body += PercentEncode(name);
        body += '=';
        body += PercentEncode(value);
    }
    const std::string url = Replace(Replace(options_.endpoint, "{service}", service), "{region}", region);
    const std::string what = "AWS " + service + " " + action;

    OutboundRequest request;
    request.method = "POST";
    request.url = url + (url.find('/', url.find("://") + 3) == std::string::npos ? "/" : "");
    request.body = body;
    // Signed afresh on every attempt: X-Amz-Date must be within five minutes of AWS's clock.
    auto sign = [&](OutboundRequest& r) {
        HttpRequestToSign to_sign;
        to_sign.method = "POST";
        to_sign.target = "/";
        to_sign.body = r.body;
        const std::string amz_date = AmzDate(options_.now());
        to_sign.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                           {"Host", HostOf(url)},
                           {"X-Amz-Date", amz_date}};
        const SigV4Signature signature = SignV4(to_sign, credentials_, region, service, amz_date);
        r.headers = to_sign.headers;  // including X-Amz-Security-Token when the credentials carry one
        r.headers.emplace_back("Authorization", signature.authorization);
        r.headers.emplace_back("Accept", "text/xml");
    };
    auto throttled = [](const OutboundResponse& r) {
        return r.status == 400 && IsThrottlingCode(ParseError(r.body).code);
    };
    auto response = http_.Send(std::move(request), sign, throttled);
    if (!response) return MakeError(response.error().code, what + ": " + response.error().message);
    if (response->status != 200) {
        const AwsError error = ParseError(response->body);
        std::string message = what + ": HTTP " + std::to_string(response->status);
        if (!error.code.empty()) message += ": " + error.code;
        if (!error.message.empty()) message += ": " + error.message;
        if (response->status == 403 || error.code == "AccessDenied" || error.code == "SignatureDoesNotMatch" ||
            error.code == "InvalidClientTokenId" || error.code == "ExpiredToken")
            message += " (check the credentials, the clock, and the IAM policy for " + service + ":" + action + ")";
        return MakeError(Classify(response->status, error), message);
    }
    auto doc = XmlDocument::Parse(response->body);
    if (!doc) return MakeError(ErrorCode::kUnavailable, what + ": " + doc.error().message);
    return doc;
}

}  // namespace cloudopt::providers
