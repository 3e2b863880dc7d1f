// /api/auth: log in, refresh, log out, who am I. The refresh token travels in an HttpOnly, SameSite=Strict
// cookie scoped to /api/auth (the dashboard never holds it in script-readable storage); API clients without a
// cookie jar may send it in the body instead.

#include "api/json_io.hpp"
#include "api/routes.hpp"

namespace cloudopt::api::detail {

namespace {

constexpr const char* kRefreshCookie = "cloudopt_refresh";
// A companion cookie without any secret, readable by the page: it tells the dashboard that a refresh cookie
// exists, so a fresh visit does not try (and fail) to refresh a session it never had.
constexpr const char* kSessionHintCookie = "cloudopt_session";

std::string CookieValue(const std::string& header, const std::string& name) {
    std::size_t pos = 0;
    while (pos < header.size()) {
        while (pos < header.size() && (header[pos] == ' ' || header[pos] == ';')) ++pos;
        const std::size_t end = std::min(header.find(';', pos), header.size());
        const std::string pair = header.substr(pos, end - pos);
        const std::size_t eq = pair.find('=');
        if (eq != std::string::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
        pos = end + 1;
    }
    return "";
}

std::string RefreshCookie(const std::string& value, UnixSeconds max_age, bool secure) {
    return std::string(kRefreshCookie) + "=" + value + "; Path=/api/auth; Max-Age=" + std::to_string(max_age) +
           "; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "");
}

std::string SessionHintCookie(bool present, UnixSeconds max_age, bool secure) {
    return std::string(kSessionHintCookie) + "=" + (present ? "1" : "") +
           "; Path=/; Max-Age=" + std::to_string(present ? max_age : 0) + "; SameSite=Strict" +
           (secure ? "; Secure" : "");
}

HttpResponse SessionResponse(const AuthSession& s, bool secure) {
    HttpResponse r =
        JsonResponse(200, {{"access_token", s.access_token},
                           {"token_type", "Bearer"},
                           {"expires_in", s.access_expires_in},
                           {"refresh_token", s.refresh_token},
                           {"refresh_expires_in", s.refresh_expires_in},
                           {"user", {{"id", s.user.id}, {"name", s.user.name}, {"role", RoleName(s.user.role)}}}});
    r.headers.emplace_back("Set-Cookie", RefreshCookie(s.refresh_token, s.refresh_expires_in, secure));
    r.headers.emplace_back("Set-Cookie", SessionHintCookie(true, s.refresh_expires_in, secure));
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
}

// The refresh token from the body ({"refresh_token": ...}) or else the cookie.
Result<std::string> PresentedRefreshToken(const HttpRequest& req) {
    if (!req.body.empty()) {
        auto body = ParseJsonBody(req);
        if (!body) return body.error();
        if (Status s = CheckKnownFields(*body, {"refresh_token"}, "refresh request"); !s) return s.error();
        if (body->contains("refresh_token")) {
            const json& t = (*body)["refresh_token"];
            if (!t.is_string()) return MakeError(ErrorCode::kUnprocessable, "refresh_token: must be a string");
            return t.get<std::string>();
        }
    }
    return CookieValue(req.cookie, kRefreshCookie);
}

}  // namespace

void AddAuthRoutes(Router& router, ApiContext& ctx) {
    router.Add(
        "POST", "/api/auth/login",
        [&ctx](const HttpRequest& req) {
            auto body = ParseJsonBody(req);
            if (!body) return ErrorResponse(body.error());
            if (Status s = CheckKnownFields(*body, {"username", "password"}, "login"); !s)
                return ErrorResponse(s.error());
            const json& user = body->contains("username") ? (*body)["username"] : json();
            const json& password = body->contains("password") ? (*body)["password"] : json();
            if (!user.is_string() || !password.is_string())
                return ErrorResponse(
                    MakeError(ErrorCode::kUnprocessable, "username and password: both are required strings"));
            int retry_after = 0;
            auto session =
                ctx.auth.Login(user.get<std::string>(), password.get<std::string>(), req.remote_address, &retry_after);
            if (!session) {
                if (session.error().code == ErrorCode::kTooManyRequests)
                    return TooManyRequests(session.error().message, retry_after);
                return Unauthenticated(session.error());
            }
            return SessionResponse(*session, req.secure);
        },
        RouteCost::kBlocking);  // Argon2id: tens of milliseconds by design, off the I/O threads

    router.Add("POST", "/api/auth/refresh", [&ctx](const HttpRequest& req) {
        auto token = PresentedRefreshToken(req);
        if (!token) return ErrorResponse(token.error());
        if (token->empty())
            return Unauthenticated(MakeError(ErrorCode::kUnauthenticated, "no refresh token: log in first"));
        auto session = ctx.auth.Refresh(*token);
        if (!session) {
            HttpResponse r = Unauthenticated(session.error());
            r.headers.emplace_back("Set-Cookie", SessionHintCookie(false, 0, req.secure));
            return r;
        }
        return SessionResponse(*session, req.secure);
    });

    router.Add("POST", "/api/auth/logout", [&ctx](const HttpRequest& req) {
        auto token = PresentedRefreshToken(req);
        if (!token) return ErrorResponse(token.error());
        if (Status s = ctx.auth.Logout(*token); !s) return ErrorResponse(s.error());
        HttpResponse r;
        r.status = 204;
        r.headers.emplace_back("Set-Cookie", RefreshCookie("", 0, req.secure));
        r.headers.emplace_back("Set-Cookie", SessionHintCookie(false, 0, req.secure));
        return r;
    });

    router.Add("GET", "/api/auth/me", [](const HttpRequest& req) {
        const Principal& p = *req.principal;
        json j = {{"name", p.name}, {"kind", p.kind == Principal::Kind::kUser ? "user" : "token"}};
        if (p.kind == Principal::Kind::kUser)
            j["role"] = RoleName(p.role);
        else
            j["scope"] = p.scope;
        return JsonResponse(200, j);
    });
}

}  // namespace cloudopt::api::detail
