// Administration: users, machine API tokens, the audit log and the configured providers (see the permission
// table for who may call each).

#include "api/json_io.hpp"
#include "api/routes.hpp"

namespace cloudopt::api::detail {

namespace {

json UserJson(const User& u) {
    return {{"id", u.id},
            {"name", u.name},
            {"role", RoleName(u.role)},
            {"disabled", u.disabled},
            {"created_at", u.created_at}};
}

json TokenJson(const ApiToken& t) {
    return {{"id", t.id},
            {"name", t.name},
            {"scope", t.scope},
            {"created_by", t.created_by},
            {"created_at", t.created_at},
            {"revoked_at", t.revoked_at ? json(*t.revoked_at) : json(nullptr)}};
}

Result<std::optional<std::string>> OptionalString(const json& body, const char* field) {
    if (!body.contains(field)) return std::optional<std::string>();
    if (!body[field].is_string())
        return MakeError(ErrorCode::kUnprocessable, std::string(field) + ": must be a string");
    return std::optional<std::string>(body[field].get<std::string>());
}

Result<std::optional<Role>> OptionalRole(const json& body) {
    auto text = OptionalString(body, "role");
    if (!text) return text.error();
    if (!*text) return std::optional<Role>();
    auto role = ParseRole(**text);
    if (!role) return MakeError(ErrorCode::kUnprocessable, "role: must be viewer, operator or admin");
    return std::optional<Role>(*role);
}

// Refuses a change that would leave no enabled admin: nobody could administer the service afterwards.
Status KeepsAnAdmin(IdentityStore& store, std::int64_t changed_id, bool stays_admin) {
    if (stays_admin) return Status::Ok();
    auto users = store.ListUsers();
    if (!users) return users.error();
    for (const User& u : *users)
        if (u.id != changed_id && u.role == Role::kAdmin && !u.disabled) return Status::Ok();
    return MakeError(ErrorCode::kConflict, "this is the last enabled admin; make another user admin first");
}

HttpResponse NoContent() {
    HttpResponse r;
    r.status = 204;
    return r;
}

}  // namespace

void AddAdminRoutes(Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/users", [&ctx](const HttpRequest&) {
        auto users = ctx.auth.store().ListUsers();
        if (!users) return ErrorResponse(users.error());
        json out = json::array();
        for (const User& u : *users) out.push_back(UserJson(u));
        return JsonResponse(200, {{"users", out}});
    });

    router.Add(
        "POST", "/api/users",
        [&ctx](const HttpRequest& req) {
            auto body = ParseJsonBody(req);
            if (!body) return ErrorResponse(body.error());
            if (Status s = CheckKnownFields(*body, {"name", "role", "password"}, "user"); !s)
                return ErrorResponse(s.error());
            auto name = OptionalString(*body, "name");
            auto password = OptionalString(*body, "password");
            auto role = OptionalRole(*body);
            if (!name) return ErrorResponse(name.error());
            if (!password) return ErrorResponse(password.error());
            if (!role) return ErrorResponse(role.error());
            if (!*name || !*password || !*role)
                return ErrorResponse(MakeError(ErrorCode::kUnprocessable, "name, role and password are required"));
            auto user = ctx.auth.CreateUser(**name, **role, **password);
            if (!user) return ErrorResponse(user.error());
            HttpResponse r = JsonResponse(201, UserJson(*user));
            r.headers.emplace_back("Location", "/api/users/" + std::to_string(user->id));
            return r;
        },
        RouteCost::kBlocking);  // Argon2id: tens of milliseconds by design, off the I/O threads

    router.Add(
        "PUT", "/api/users/{id}",
        [&ctx](const HttpRequest& req) {
            auto id = PathId(req, "user");
            if (!id) return ErrorResponse(id.error());
            auto body = ParseJsonBody(req);
            if (!body) return ErrorResponse(body.error());
            if (Status s = CheckKnownFields(*body, {"role", "password", "disabled"}, "user"); !s)
                return ErrorResponse(s.error());
            auto password = OptionalString(*body, "password");
            auto role = OptionalRole(*body);
            if (!password) return ErrorResponse(password.error());
            if (!role) return ErrorResponse(role.error());
            std::optional<bool> disabled;
            if (body->contains("disabled")) {
                if (!(*body)["disabled"].is_boolean())
                    return ErrorResponse(MakeError(ErrorCode::kUnprocessable, "disabled: must be true or false"));
                disabled = (*body)["disabled"].get<bool>();
            }
            auto current = ctx.auth.store().GetUser(*id);
            if (!current) return ErrorResponse(current.error());
            const bool stays_admin =
                role->value_or(current->role) == Role::kAdmin && !disabled.value_or(current->disabled);
            if (current->role == Role::kAdmin) {
                if (Status s = KeepsAnAdmin(ctx.auth.store(), *id, stays_admin); !s) return ErrorResponse(s.error());
            }
            auto user = ctx.auth.UpdateUser(*id, *role, *password, disabled);
            if (!user) return ErrorResponse(user.error());
            return JsonResponse(200, UserJson(*user));
        },
        RouteCost::kBlocking);  // Argon2id: tens of milliseconds by design, off the I/O threads

    router.Add("DELETE", "/api/users/{id}", [&ctx](const HttpRequest& req) {
        auto id = PathId(req, "user");
        if (!id) return ErrorResponse(id.error());
        auto current = ctx.auth.store().GetUser(*id);
        if (!current) return ErrorResponse(current.error());
        if (current->role == Role::kAdmin) {
            if (Status s = KeepsAnAdmin(ctx.auth.store(), *id, false); !s) return ErrorResponse(s.error());
        }
        if (Status s = ctx.auth.DeleteUser(*id); !s) return ErrorResponse(s.error());
        return NoContent();
    });

    router.Add("GET", "/api/tokens", [&ctx](const HttpRequest&) {
        auto tokens = ctx.auth.store().ListApiTokens();
        if (!tokens) return ErrorResponse(tokens.error());
        json out = json::array();
        for (const ApiToken& t : *tokens) out.push_back(TokenJson(t));
        return JsonResponse(200, {{"tokens", out}});
    });

    router.Add("POST", "/api/tokens", [&ctx](const HttpRequest& req) {
        auto body = ParseJsonBody(req);
        if (!body) return ErrorResponse(body.error());
        if (Status s = CheckKnownFields(*body, {"name", "scope"}, "API token"); !s) return ErrorResponse(s.error());
        auto name = OptionalString(*body, "name");
        auto scope = OptionalString(*body, "scope");
        if (!name) return ErrorResponse(name.error());
        if (!scope) return ErrorResponse(scope.error());
        if (!*name || !*scope)
            return ErrorResponse(MakeError(ErrorCode::kUnprocessable, "name and scope are required"));
        auto issued = ctx.auth.CreateApiToken(**name, **scope, req.principal ? req.principal->Actor() : "unknown");
        if (!issued) return ErrorResponse(issued.error());
        json out = TokenJson(issued->record);
        out["token"] = issued->token;
        out["note"] = "this is the only time the token is shown; store it now";
        HttpResponse r = JsonResponse(201, out);
        r.headers.emplace_back("Cache-Control", "no-store");
        return r;
    });

    router.Add("DELETE", "/api/tokens/{id}", [&ctx](const HttpRequest& req) {
        auto id = PathId(req, "token");
        if (!id) return ErrorResponse(id.error());
        if (Status s = ctx.auth.RevokeApiToken(*id); !s) return ErrorResponse(s.error());
        return NoContent();
    });

    // Which driver serves each provider name resources use (config `providers`); credentials are separate.
    router.Add("GET", "/api/providers", [&ctx](const HttpRequest&) {
        json out = json::array();
        for (const auto& [name, driver] : ctx.providers) out.push_back({{"name", name}, {"driver", driver}});
        return JsonResponse(200, {{"providers", out}});
    });

    router.Add("GET", "/api/audit", [&ctx](const HttpRequest& req) {
        auto since = IntParam(req, "since", 0, 1LL << 40);
        if (!since) return ErrorResponse(since.error());
        auto limit = IntParam(req, "limit", 1, 1000);
        if (!limit) return ErrorResponse(limit.error());
        auto offset = IntParam(req, "offset", 0, 1'000'000);
        if (!offset) return ErrorResponse(offset.error());
        AuditQuery query;
        query.since = since->value_or(0);
        query.limit = static_cast<int>(limit->value_or(100));
        query.offset = static_cast<int>(offset->value_or(0));
        query.search = req.Query("q").value_or("");
        if (query.search.size() > 200)
            return ErrorResponse(MakeError(ErrorCode::kInvalidArgument, "q: at most 200 characters"));
        auto entries = ctx.auth.store().ListAudit(query);
        if (!entries) return ErrorResponse(entries.error());
        json out = json::array();
        for (const AuditEntry& e : *entries)
            out.push_back({{"id", e.id},
                           {"ts", e.ts},
                           {"actor", e.actor},
                           {"action", e.action},
                           {"target", e.target},
                           {"status", e.status},
                           {"remote_address", e.remote_address},
                           {"count", e.count},
                           {"detail", e.detail}});
        return JsonResponse(200, {{"entries", out}});
    });
}

}  // namespace cloudopt::api::detail
