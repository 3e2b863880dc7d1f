// /api/credentials: cloud credentials, write-only. The API accepts a secret, seals it and from then on shows only
// its kind, name and a masked hint; nothing returns it in clear.

#include "api/credential_vault.hpp"
#include "api/json_io.hpp"
#include "api/routes.hpp"

namespace cloudopt::api::detail {

namespace {

json CredentialJson(const StoredCredential& c) {
    return {{"id", c.id},         {"name", c.name},           {"kind", c.kind},
            {"hint", c.hint},     {"secret", "••••••••"},     {"key_id", c.key_id},
            {"created_at", c.created_at}, {"updated_at", c.updated_at}};
}

}  // namespace

void AddCredentialRoutes(Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/credentials", [&ctx](const HttpRequest&) {
        auto all = ctx.auth.store().ListCredentials();
        if (!all) return ErrorResponse(all.error());
        json out = json::array();
        for (const StoredCredential& c : *all) out.push_back(CredentialJson(c));
        return JsonResponse(200, {{"credentials", out}});
    });

    router.Add("POST", "/api/credentials", [&ctx](const HttpRequest& req) {
        auto body = ParseJsonBody(req);
        if (!body) return ErrorResponse(body.error());
        if (Status s = CheckKnownFields(*body, {"name", "kind", "secret"}, "credential"); !s) return ErrorResponse(s.error());
        const json& name = body->contains("name") ? (*body)["name"] : json();
        const json& kind = body->contains("kind") ? (*body)["kind"] : json();
        if (!name.is_string() || !kind.is_string() || !body->contains("secret"))
            return ErrorResponse(MakeError(ErrorCode::kUnprocessable, "name, kind and secret are required"));
        auto saved = SaveCredential(ctx.auth.store(), ctx.keyring, name.get<std::string>(), kind.get<std::string>(),
                                    (*body)["secret"], ctx.auth.clock().Now());
        if (!saved) return ErrorResponse(saved.error());
        return JsonResponse(201, CredentialJson(*saved));
    });

    router.Add("DELETE", "/api/credentials/{id}", [&ctx](const HttpRequest& req) {
        auto id = PathId(req, "credential");
        if (!id) return ErrorResponse(id.error());
        if (Status s = ctx.auth.store().DeleteCredential(*id); !s) return ErrorResponse(s.error());
        HttpResponse r;
        r.status = 204;
        return r;
    });

    router.Add("POST", "/api/credentials/rotate", [&ctx](const HttpRequest&) {
        auto resealed = ResealCredentials(ctx.auth.store(), ctx.keyring, ctx.auth.clock().Now());
        if (!resealed) return ErrorResponse(resealed.error());
        return JsonResponse(200, {{"resealed", *resealed}, {"key_id", ctx.keyring.current_key_id()}});
    });
}

}  // namespace cloudopt::api::detail
