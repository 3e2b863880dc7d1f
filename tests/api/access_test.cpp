// Access control end to end: every route under every role and token scope, logins, refresh-token rotation,
// machine tokens, credentials, the audit log, rate limits, CORS and security headers.

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "api/access_control.hpp"
#include "api/credential_vault.hpp"
#include "api/security_fixture.hpp"

namespace cloudopt {
namespace {

using nlohmann::json;
using security::Permission;
using testing::HttpClient;
using testing::SecureApi;

json Parse(const testing::HttpResult& r) { return json::parse(r.body, nullptr, false); }

struct Caller {
    std::string label;
    std::string authorization;  // "" = anonymous
    std::function<bool(Permission)> allows;
};

// The table test the issue asks for: each route x each caller, the status tells whether access control let the
// request through (anything but 401/403) or refused it (401 anonymous, 403 authenticated without the right).
TEST(AccessControl, EveryRouteUnderEveryRoleAndScope) {
    SecureApi api;
    auto& auth = api.auth->auth();
    std::vector<Caller> callers = {{"anonymous", "", [](Permission p) { return p == Permission::kPublic; }}};
    for (Role role : {Role::kViewer, Role::kOperator, Role::kAdmin}) {
        callers.push_back({RoleName(role), api.auth->BearerFor(std::string("u-") + RoleName(role), role),
                           [role](Permission p) { return security::RoleAllows(role, p); }});
    }
    for (const std::string scope : {"read", "metrics:write", "operator"}) {
        auto issued = auth.CreateApiToken("t-" + std::string(scope == "metrics:write" ? "push" : scope), scope, "test");
        ASSERT_TRUE(issued.ok()) << issued.error().message;
        callers.push_back({"token " + scope, "Bearer " + issued->token,
                           [scope](Permission p) { return security::ScopeAllows(scope, p); }});
    }
    int checked = 0;
    for (const api::RouteInfo& route : api.router.Routes()) {
        auto permission = api::RoutePermission(route.method, route.pattern, api.context->access);
        ASSERT_TRUE(permission.has_value()) << route.method << " " << route.pattern;
        std::string path = route.pattern;
        for (std::size_t at; (at = path.find("{id}")) != std::string::npos;) path.replace(at, 4, "999999");
        for (const Caller& caller : callers) {
            api::HttpRequest req;
            req.method = route.method;
            req.path = path;
            req.content_type = "application/json";
            req.body = route.method == "GET" ? "" : "{}";
            req.authorization = caller.authorization;
            const int status = api.router.Handle(req).response.status;
            const bool allowed = caller.allows(*permission);
            const std::string what =
                route.method + " " + route.pattern + " as " + caller.label + " -> " + std::to_string(status);
            if (allowed) {
                // Public routes that take a credential of their own (refresh, logout) may answer 401 themselves.
                EXPECT_TRUE(status != 403 && (status != 401 || *permission == Permission::kPublic)) << what;
            } else {
                EXPECT_EQ(status, caller.authorization.empty() ? 401 : 403) << what;
            }
            ++checked;
        }
    }
    EXPECT_GE(checked, 39 * 7);
}

// The OpenAPI document tells users which permission each operation needs; it must say what the table says.
TEST(AccessControl, OpenApiNamesEachOperationsPermission) {
    SecureApi api;
    const json doc = json::parse(api::OpenApiDocument());
    int described = 0;
    for (const api::RouteInfo& route : api.router.Routes()) {
        std::string method = route.method;
        for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const json& op = doc["paths"][route.pattern][method];
        ASSERT_TRUE(op.contains("x-cloudopt-permission")) << route.method << " " << route.pattern;
        EXPECT_EQ(op["x-cloudopt-permission"],
                  security::PermissionName(*api::RoutePermission(route.method, route.pattern, api::AccessOptions{})))
            << route.method << " " << route.pattern;
        ++described;
    }
    EXPECT_GE(described, 39);
}

TEST(AccessControl, ARouteMissingFromThePermissionTableIsRefusedAtStartup) {
    api::Router router;
    router.Add("GET", "/api/secret-new-thing", [](const api::HttpRequest&) { return api::HttpResponse{}; });
    SecureApi api;
    auto status =
        api::InstallAccessControl(router, std::make_shared<api::AccessControl>(api.auth->auth(), api::AccessOptions{}));
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.error().message.find("/api/secret-new-thing"), std::string::npos);
}

TEST(AccessControl, MetricsCanBeProtectedByConfig) {
    api::AccessOptions access = SecureApi::NoLimits();
    access.protect_metrics = true;
    SecureApi api(access);
    HttpClient client(api.port);
    EXPECT_EQ(client.Get("/metrics").status, 401);
    EXPECT_EQ(client.Get("/healthz").status, 200);
    EXPECT_EQ(client.Get("/readyz").status, 200);
    client.SetHeader("Authorization", api.auth->BearerFor("v", Role::kViewer));
    EXPECT_EQ(client.Get("/metrics").status, 200);
}

TEST(Login, IssuesTokensAndAnHttpOnlyRefreshCookie) {
    SecureApi api;
    ASSERT_TRUE(api.auth->auth().CreateUser("alice", Role::kOperator, "correct horse battery").ok());
    HttpClient client(api.port);
    auto r = client.Post("/api/auth/login", R"({"username":"alice","password":"correct horse battery"})");
    ASSERT_EQ(r.status, 200) << r.body;
    const json body = Parse(r);
    EXPECT_EQ(body["token_type"], "Bearer");
    EXPECT_EQ(body["expires_in"], 900);
    EXPECT_EQ(body["user"]["role"], "operator");
    const std::string cookie = r.headers["set-cookie"];
    EXPECT_EQ(cookie.rfind("cloudopt_refresh=cort_", 0), 0u) << cookie;
    for (const char* attr : {"HttpOnly", "SameSite=Strict", "Path=/api/auth"})
        EXPECT_NE(cookie.find(attr), std::string::npos) << cookie;
    EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "plain HTTP: a Secure cookie would never come back";
    const std::string hint = cookie.substr(cookie.find('\n') + 1);
    EXPECT_EQ(hint.rfind("cloudopt_session=1; Path=/;", 0), 0u) << "the page's hint that a session exists: " << hint;
    EXPECT_EQ(hint.find("cort_"), std::string::npos) << "the hint holds no secret";
    EXPECT_EQ(r.headers["cache-control"], "no-store");

    client.SetHeader("Authorization", "Bearer " + body["access_token"].get<std::string>());
    auto me = client.Get("/api/auth/me");
    ASSERT_EQ(me.status, 200);
    EXPECT_EQ(Parse(me)["name"], "alice");
    EXPECT_EQ(client.Get("/api/users").status, 403) << "operators do not manage users";
}

TEST(Login, WrongPasswordsLookTheSameAndAreThrottled) {
    SecureApi api;
    ASSERT_TRUE(api.auth->auth().CreateUser("alice", Role::kViewer, "correct horse battery").ok());
    HttpClient client(api.port);
    auto wrong = client.Post("/api/auth/login", R"({"username":"alice","password":"nope nope nope"})");
    auto unknown = client.Post("/api/auth/login", R"({"username":"mallory","password":"nope nope nope"})");
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(unknown.status, 401);
    EXPECT_EQ(wrong.body, unknown.body) << "the answer must not tell which user names exist";
    EXPECT_EQ(wrong.headers["www-authenticate"], "Bearer realm=\"cloudopt\"");
    EXPECT_EQ(client.Post("/api/auth/login", R"({"username":"alice"})").status, 422);
    EXPECT_EQ(client.Post("/api/auth/login", "not json").status, 400);
    for (int i = 0; i < 3; ++i)
        client.Post("/api/auth/login", R"({"username":"alice","password":"guess guess guess"})");
    auto locked = client.Post("/api/auth/login", R"({"username":"alice","password":"correct horse battery"})");
    EXPECT_EQ(locked.status, 429) << locked.body;
    EXPECT_FALSE(locked.headers["retry-after"].empty());
    EXPECT_EQ(Parse(locked)["error"]["code"], "too_many_requests");
}

TEST(Refresh, RotatesAndAReplayedTokenEndsTheFamily) {
    SecureApi api;
    ASSERT_TRUE(api.auth->auth().CreateUser("alice", Role::kViewer, "correct horse battery").ok());
    HttpClient client(api.port);
    auto login = Parse(client.Post("/api/auth/login", R"({"username":"alice","password":"correct horse battery"})"));
    const std::string first = login["refresh_token"];

    // The dashboard's way: the cookie.
    client.SetHeader("Cookie", "theme=dark; cloudopt_refresh=" + first);
    auto second = client.Post("/api/auth/refresh", "");
    ASSERT_EQ(second.status, 200) << second.body;
    const std::string next = Parse(second)["refresh_token"];
    EXPECT_NE(next, first);
    client.SetHeader("Cookie", "");

    // The old token again: refused, and the new one dies with it (someone copied the token).
    EXPECT_EQ(client.Post("/api/auth/refresh", json{{"refresh_token", first}}.dump()).status, 401);
    EXPECT_EQ(client.Post("/api/auth/refresh", json{{"refresh_token", next}}.dump()).status, 401);

    // Logout revokes a fresh session's refresh token and clears the cookie.
    auto again = Parse(client.Post("/api/auth/login", R"({"username":"alice","password":"correct horse battery"})"));
    auto out = client.Post("/api/auth/logout", json{{"refresh_token", again["refresh_token"]}}.dump());
    EXPECT_EQ(out.status, 204);
    EXPECT_NE(out.headers["set-cookie"].find("Max-Age=0"), std::string::npos);
    EXPECT_EQ(client.Post("/api/auth/refresh", json{{"refresh_token", again["refresh_token"]}}.dump()).status, 401);
    EXPECT_EQ(client.Post("/api/auth/refresh", "").status, 401);
}

TEST(Users, AdminsManageThemAndDisablingTakesEffectAtOnce) {
    SecureApi api;
    HttpClient admin(api.port);
    admin.SetHeader("Authorization", api.auth->BearerFor("root", Role::kAdmin));
    auto created = admin.Post("/api/users", R"({"name":"bob","role":"viewer","password":"correct horse battery"})");
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_FALSE(Parse(created).contains("password_hash"));
    const int id = Parse(created)["id"];
    EXPECT_EQ(admin.Post("/api/users", R"({"name":"bob","role":"viewer","password":"correct horse battery"})").status,
              409);
    EXPECT_EQ(admin.Post("/api/users", R"({"name":"eve","role":"viewer","password":"short"})").status, 422);
    EXPECT_EQ(admin.Post("/api/users", R"({"name":"eve","role":"root","password":"correct horse battery"})").status,
              422);

    HttpClient bob(api.port);
    bob.SetHeader(
        "Authorization",
        "Bearer " + Parse(bob.Post("/api/auth/login",
                                   R"({"username":"bob","password":"correct horse battery"})"))["access_token"]
                        .get<std::string>());
    EXPECT_EQ(bob.Get("/api/resources").status, 200);
    EXPECT_EQ(bob.Request("PUT", "/api/resources/1/mode", R"({"mode":"off"})").status, 403);
    ASSERT_EQ(admin.Request("PUT", "/api/users/" + std::to_string(id), R"({"role":"operator"})").status, 200);
    EXPECT_EQ(bob.Request("PUT", "/api/resources/1/mode", R"({"mode":"off"})").status, 404)
        << "now allowed; no such resource";
    ASSERT_EQ(admin.Request("PUT", "/api/users/" + std::to_string(id), R"({"disabled":true})").status, 200);
    EXPECT_EQ(bob.Get("/api/resources").status, 401) << "a disabled user's live token stops working";

    // The last admin cannot remove itself.
    auto root = api.store->Identity().FindUser("root");
    EXPECT_EQ(admin.Request("DELETE", "/api/users/" + std::to_string(root->id)).status, 409);
    EXPECT_EQ(admin.Request("PUT", "/api/users/" + std::to_string(root->id), R"({"role":"viewer"})").status, 409);
    EXPECT_EQ(admin.Request("DELETE", "/api/users/" + std::to_string(id)).status, 204);
}

// Disabling a user ends everything it holds: its access token, its refresh token (the reload of a page) and the
// API tokens it created; enabling it again brings the API tokens back (a refresh token stays revoked).
TEST(Users, ADisabledUsersSessionsAndTokensStopWorking) {
    SecureApi api;
    HttpClient root(api.port);
    root.SetHeader("Authorization", api.auth->BearerFor("root", Role::kAdmin));
    auto created = root.Post("/api/users", R"({"name":"ann","role":"admin","password":"correct horse battery"})");
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string ann_id = std::to_string(Parse(created)["id"].get<int>());
    HttpClient ann(api.port);
    const json session = Parse(ann.Post("/api/auth/login", R"({"username":"ann","password":"correct horse battery"})"));
    ann.SetHeader("Authorization", "Bearer " + session["access_token"].get<std::string>());
    auto token = ann.Post("/api/tokens", R"({"name":"ann-ci","scope":"read"})");
    ASSERT_EQ(token.status, 201) << token.body;
    HttpClient ci(api.port);
    ci.SetHeader("Authorization", "Bearer " + Parse(token)["token"].get<std::string>());
    ASSERT_EQ(ci.Get("/api/resources").status, 200);

    ASSERT_EQ(root.Request("PUT", "/api/users/" + ann_id, R"({"disabled":true})").status, 200);
    EXPECT_EQ(ann.Get("/api/resources").status, 401) << "the access token";
    auto refused = ci.Get("/api/resources");
    EXPECT_EQ(refused.status, 401) << "the API token ann created";
    EXPECT_NE(refused.body.find("disabled"), std::string::npos) << refused.body;
    HttpClient reload(api.port);
    EXPECT_EQ(reload.Post("/api/auth/refresh", json{{"refresh_token", session["refresh_token"]}}.dump()).status, 401)
        << "the refresh token";
    EXPECT_EQ(reload.Post("/api/auth/login", R"({"username":"ann","password":"correct horse battery"})").status, 401);

    ASSERT_EQ(root.Request("PUT", "/api/users/" + ann_id, R"({"disabled":false})").status, 200);
    EXPECT_EQ(ci.Get("/api/resources").status, 200) << "enabled again: the API token works again";
    EXPECT_EQ(reload.Post("/api/auth/refresh", json{{"refresh_token", session["refresh_token"]}}.dump()).status, 401)
        << "the refresh token was revoked when the user was disabled";
    // Changing the role takes effect on the next request, and both changes are in the audit log.
    ASSERT_EQ(root.Request("PUT", "/api/users/" + ann_id, R"({"role":"viewer"})").status, 200);
    HttpClient ann2(api.port);
    ann2.SetHeader(
        "Authorization",
        "Bearer " + Parse(ann2.Post("/api/auth/login",
                                    R"({"username":"ann","password":"correct horse battery"})"))["access_token"]
                        .get<std::string>());
    EXPECT_EQ(ann2.Get("/api/users").status, 403) << "a viewer now";
    auto audit = Parse(root.Get("/api/audit?q=/api/users/" + ann_id));
    int changes = 0;
    for (const json& e : audit["entries"]) changes += e["action"] == "PUT /api/users/{id}" && e["status"] == 200;
    EXPECT_EQ(changes, 3) << audit.dump();

    // Deleting a disabled user does not bring its API tokens back: they are revoked with it.
    ASSERT_EQ(root.Request("PUT", "/api/users/" + ann_id, R"({"disabled":true})").status, 200);
    ASSERT_EQ(ci.Get("/api/resources").status, 401);
    ASSERT_EQ(root.Request("DELETE", "/api/users/" + ann_id).status, 204);
    EXPECT_EQ(ci.Get("/api/resources").status, 401) << "the API token of a user deleted while disabled";
}

TEST(ApiTokens, ScopedShownOnceAndRevocable) {
    SecureApi api;
    HttpClient admin(api.port);
    admin.SetHeader("Authorization", api.auth->BearerFor("root", Role::kAdmin));
    auto created = admin.Post("/api/tokens", R"({"name":"pusher","scope":"metrics:write"})");
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string token = Parse(created)["token"];
    EXPECT_EQ(token.rfind("coat_", 0), 0u);
    auto listed = admin.Get("/api/tokens");
    EXPECT_EQ(listed.body.find(token), std::string::npos) << "listed without the token";
    EXPECT_EQ(admin.Post("/api/tokens", R"({"name":"x","scope":"admin"})").status, 422);

    HttpClient pusher(api.port);
    pusher.SetHeader("Authorization", "Bearer " + token);
    auto pushed = pusher.Post("/api/metrics", R"({"series":[]})");
    EXPECT_EQ(pushed.status, 422) << "past access control, refused by the handler for having no series: "
                                  << pushed.body;
    EXPECT_EQ(pusher.Get("/api/resources").status, 403) << "may not read";
    EXPECT_EQ(Parse(pusher.Get("/api/auth/me"))["scope"], "metrics:write");
    const int id = Parse(created)["id"];
    EXPECT_EQ(admin.Request("DELETE", "/api/tokens/" + std::to_string(id)).status, 204);
    EXPECT_EQ(pusher.Post("/api/metrics", R"({"series":[]})").status, 401);
    HttpClient forger(api.port);
    forger.SetHeader("Authorization", "Bearer coat_" + std::string(43, 'A'));
    EXPECT_EQ(forger.Get("/api/auth/me").status, 401);
    forger.SetHeader("Authorization", "Basic YWRtaW46YWRtaW4=");
    EXPECT_EQ(forger.Get("/api/auth/me").status, 401);
}

TEST(Credentials, SealedAtRestShownMaskedNeverInTheDatabaseFile) {
    SecureApi api;
    HttpClient admin(api.port);
    admin.SetHeader("Authorization", api.auth->BearerFor("root", Role::kAdmin));
    const std::string planted = "PLANTEDsecretKEY0123456789abcdefGHIJKLMN";
    auto r = admin.Post("/api/credentials",
                        json{{"name", "aws-prod"},
                             {"kind", "aws"},
                             {"secret", {{"access_key_id", "AKIAIOSFODNN7EXAMPLE"}, {"secret_access_key", planted}}}}
                            .dump());
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.body.find(planted), std::string::npos);
    EXPECT_EQ(Parse(r)["hint"], "access key AKIA••••MPLE");
    auto listed = admin.Get("/api/credentials");
    ASSERT_EQ(listed.status, 200);
    EXPECT_EQ(listed.body.find(planted), std::string::npos);
    EXPECT_EQ(admin.Post("/api/credentials", R"({"name":"x","kind":"aws","secret":{"access_key_id":"A"}})").status,
              422);
    EXPECT_EQ(admin.Post("/api/credentials", R"({"name":"x","kind":"ftp","secret":{}})").status, 422);
    EXPECT_EQ(
        admin
            .Post(
                "/api/credentials",
                R"({"name":"g","kind":"gcp","secret":{"type":"service_account","client_email":"a@b","private_key":"nope"}})")
            .status,
        422);

    auto opened = api::OpenCredential(api.store->Identity(), api.auth->keyring(), "aws-prod");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ((*opened)["secret_access_key"], planted);

    // Checkpoint the WAL into the main file, then search every database file byte for the secret.
    api.server->Stop();
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::ifstream in(api.dir.File(std::string("t.db") + suffix), std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        EXPECT_EQ(bytes.find(planted), std::string::npos) << "t.db" << suffix;
        EXPECT_EQ(bytes.find("PLANTED"), std::string::npos) << "t.db" << suffix;
    }
}

TEST(Credentials, RotationResealsUnderTheNewKey) {
    SecureApi api;
    auto& store = api.store->Identity();
    const std::string old_key(32, 'k');  // TestAuth's keyring key
    ASSERT_TRUE(api::SaveCredential(store, api.auth->keyring(), "az", "azure",
                                    {{"tenant_id", "t"}, {"client_id", "c"}, {"client_secret", "s3cret-value"}}, 1)
                    .ok());
    const std::string new_key(32, 'n');
    auto rotating = *security::Keyring::Create(new_key, {old_key});
    auto count = api::ResealCredentials(store, rotating, 2);
    ASSERT_TRUE(count.ok()) << count.error().message;
    EXPECT_EQ(*count, 1);
    EXPECT_EQ(*api::ResealCredentials(store, rotating, 3), 0) << "nothing left under the old key";
    auto new_only = *security::Keyring::Create(new_key);
    auto opened = api::OpenCredential(store, new_only, "az");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ((*opened)["client_secret"], "s3cret-value");
    EXPECT_EQ((*store.ListCredentials())[0].key_id, new_only.current_key_id());
    EXPECT_FALSE(api::OpenCredential(store, api.auth->keyring(), "az").ok()) << "the old key alone no longer opens it";
}

TEST(Audit, RecordsWhoChangedWhatAndAdminsReadIt) {
    SecureApi api;
    HttpClient admin(api.port);
    admin.SetHeader("Authorization", api.auth->BearerFor("root", Role::kAdmin));
    HttpClient viewer(api.port);
    viewer.SetHeader("Authorization", api.auth->BearerFor("vic", Role::kViewer));
    admin.Post("/api/tokens", R"({"name":"ci","scope":"read"})");
    viewer.Request("DELETE", "/api/resources/4");
    auto r = admin.Get("/api/audit?limit=10");
    ASSERT_EQ(r.status, 200) << r.body;
    const json entries = Parse(r)["entries"];
    ASSERT_EQ(entries.size(), 2u) << r.body;
    EXPECT_EQ(entries[0]["actor"], "user:vic");
    EXPECT_EQ(entries[0]["action"], "DELETE /api/resources/{id}");
    EXPECT_EQ(entries[0]["target"], "/api/resources/4");
    EXPECT_EQ(entries[0]["status"], 403);
    EXPECT_EQ(entries[0]["remote_address"], "127.0.0.1");
    EXPECT_EQ(entries[1]["actor"], "user:root");
    EXPECT_EQ(entries[1]["action"], "POST /api/tokens");
    EXPECT_EQ(entries[1]["status"], 201);
    EXPECT_EQ(viewer.Get("/api/audit").status, 403);
    // Pages and search on the server: the dashboard's audit table never downloads the whole log.
    const json all = Parse(admin.Get("/api/audit"))["entries"];
    ASSERT_GE(all.size(), 2u);
    auto second = Parse(admin.Get("/api/audit?limit=1&offset=1"))["entries"];
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0], all[1]);
    auto found = Parse(admin.Get("/api/audit?q=user:vic"))["entries"];
    ASSERT_FALSE(found.empty());
    for (const json& e : found) EXPECT_EQ(e["actor"], "user:vic");
    auto deleted = Parse(admin.Get("/api/audit?q=/api/resources/4"))["entries"];
    ASSERT_EQ(deleted.size(), 1u);
    EXPECT_EQ(deleted[0]["status"], 403);
    EXPECT_EQ(admin.Get("/api/audit?offset=-1").status, 400);
}

TEST(RateLimits, PerAddressAndPerCallerAnswer429WithRetryAfter) {
    api::AccessOptions access;
    access.per_address_rate = 1;
    access.per_address_burst = 3;
    access.per_caller_rate = 0;
    SecureApi api(access);
    HttpClient client(api.port);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(client.Get("/healthz").status, 200);
    auto limited = client.Get("/healthz");
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(limited.headers["retry-after"], "1");

    access.per_address_rate = 0;
    access.per_caller_rate = 1;
    access.per_caller_burst = 2;
    SecureApi per_caller(access);
    HttpClient a(per_caller.port), b(per_caller.port);
    a.SetHeader("Authorization", per_caller.auth->BearerFor("a", Role::kViewer));
    b.SetHeader("Authorization", per_caller.auth->BearerFor("b", Role::kViewer));
    EXPECT_EQ(a.Get("/api/resources").status, 200);
    EXPECT_EQ(a.Get("/api/resources").status, 200);
    EXPECT_EQ(a.Get("/api/resources").status, 429);
    EXPECT_EQ(b.Get("/api/resources").status, 200) << "another caller from the same address is not limited";
}

TEST(BrowserPolicy, SecurityHeadersAndCorsForTheDashboardOriginOnly) {
    api::ServerOptions options;
    options.cors_origin = "http://localhost:5173";
    SecureApi api(SecureApi::NoLimits(), options);
    HttpClient client(api.port);
    auto r = client.Get("/");
    EXPECT_EQ(r.headers["x-content-type-options"], "nosniff");
    EXPECT_EQ(r.headers["x-frame-options"], "DENY");
    EXPECT_NE(r.headers["content-security-policy"].find("default-src 'self'"), std::string::npos);
    EXPECT_EQ(r.headers.count("strict-transport-security"), 0u) << "HSTS only over TLS";
    EXPECT_EQ(r.headers.count("access-control-allow-origin"), 0u);

    client.SetHeader("Origin", "http://localhost:5173");
    auto preflight = client.Request("OPTIONS", "/api/resources", "", "");
    EXPECT_EQ(preflight.status, 204);
    EXPECT_EQ(preflight.headers["access-control-allow-origin"], "http://localhost:5173");
    EXPECT_NE(preflight.headers["access-control-allow-headers"].find("Authorization"), std::string::npos);
    auto allowed = client.Get("/healthz");
    EXPECT_EQ(allowed.headers["access-control-allow-origin"], "http://localhost:5173");

    client.SetHeader("Origin", "https://evil.example");
    EXPECT_EQ(client.Request("OPTIONS", "/api/resources", "", "").status, 403);
    EXPECT_EQ(client.Get("/healthz").headers.count("access-control-allow-origin"), 0u);
}

}  // namespace
}  // namespace cloudopt
