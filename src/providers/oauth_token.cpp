#include "providers/oauth_token.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "providers/json_fields.hpp"

namespace cloudopt::providers {

using nlohmann::json;

Result<BearerToken> ParseTokenResponse(const OutboundResponse& response, const std::string& what) {
    const json body = jsonf::Parse(response.body);
    if (response.status != 200) {
        std::string message = what + ": HTTP " + std::to_string(response.status);
        if (body.is_object() && body.contains("error") && body["error"].is_string())
            message += ": " + body["error"].get<std::string>();
        if (body.is_object() && body.contains("error_description") && body["error_description"].is_string())
            message += ": " + body["error_description"].get<std::string>();
        return MakeError(ErrorCode::kUnavailable, message);
    }
    if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string() ||
        body["access_token"].get<std::string>().empty())
        return MakeError(ErrorCode::kUnavailable, what + ": the answer has no access_token");
    BearerToken token;
    token.access_token = body["access_token"].get<std::string>();
    // expires_in is a number per RFC 6749; some endpoints send it as a string.
    // expires_in is a number per RFC 6749; some endpoints send it as a string. Kept within a day either way.
    double expires_in = 3600;
    if (auto n = jsonf::Num(body, "expires_in"))
        expires_in = *n;
    else if (auto s = jsonf::Str(body, "expires_in"); !s.empty())
        expires_in = std::atof(s.c_str());
    token.expires_in = std::isfinite(expires_in) ? static_cast<long long>(std::clamp(expires_in, 0.0, 86400.0)) : 0;
    return token;
}

TokenCache::TokenCache(Fetch fetch, Now now, long long margin)
    : fetch_(std::move(fetch)), now_(std::move(now)), margin_(margin) {
    if (!now_)
        now_ = [] {
            return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
}

Result<std::string> TokenCache::Get() {
    std::lock_guard lock(mutex_);
    const long long now = now_();
    if (!token_.empty() && now + margin_ < expires_at_) return token_;
    auto fresh = fetch_();
    ++fetches_;
    if (!fresh) return fresh.error();
    token_ = fresh->access_token;
    expires_at_ = now + fresh->expires_in;
    return token_;
}

void TokenCache::Invalidate() {
    std::lock_guard lock(mutex_);
    token_.clear();
    expires_at_ = 0;
}

Error CloudJsonError(const OutboundResponse& r, const std::string& what, const char* label_field,
                     const std::string& permission_hint) {
    std::string message = what + ": HTTP " + std::to_string(r.status);
    const json body = jsonf::Parse(r.body);
    const json& error = jsonf::Field(body, "error");
    if (const std::string label = jsonf::Str(error, label_field); !label.empty()) message += ": " + label;
    if (const std::string text = jsonf::Str(error, "message"); !text.empty()) message += ": " + text;
    if (r.status == 404) return MakeError(ErrorCode::kNotFound, message);
    if (r.status == 400) return MakeError(ErrorCode::kInvalidArgument, message);
    if (r.status == 409 || r.status == 412) return MakeError(ErrorCode::kConflict, message);
    if (r.status == 401 || r.status == 403)
        return MakeError(ErrorCode::kUnavailable, message + " (" + permission_hint + ")");
    return MakeError(ErrorCode::kUnavailable, message);
}

Result<OutboundResponse> SendWithBearer(const HttpClient& http, TokenCache& tokens, const std::string& method,
                                        const std::string& url, const std::string& json_body,
                                        const HttpClient::Throttled& retry_also) {
    for (int attempt = 0;; ++attempt) {
        auto token = tokens.Get();
        if (!token) return token.error();
        OutboundRequest request;
        request.method = method;
        request.url = url;
        request.headers = {{"Authorization", "Bearer " + *token}, {"Accept", "application/json"}};
        if (!json_body.empty()) request.headers.emplace_back("Content-Type", "application/json");
        request.body = json_body;
        auto response = http.Send(std::move(request), {}, retry_also);
        if (!response || response->status != 401 || attempt > 0) return response;
        tokens.Invalidate();
    }
}

}  // namespace cloudopt::providers
