#include "api/access_control.hpp"

#include <spdlog/spdlog.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "api/json_io.hpp"
#include "core/text.hpp"

namespace cloudopt::api {

namespace {

using security::Permission;

struct RouteRule {
    const char* method;
    const char* pattern;
    Permission permission;
};

// Who may call what. viewer: kRead; operator: also kOperate and kPushMetrics; admin: everything.
// Machine-token scopes map onto the same permissions (security/permissions.cpp).
const std::vector<RouteRule>& RouteTable() {
    static const std::vector<RouteRule> kTable = {
        {"GET", "/", Permission::kPublic},  // the dashboard's page; it logs in through the API
        {"GET", "/assets/{file}", Permission::kPublic},
        {"GET", "/favicon.svg", Permission::kPublic},
        {"GET", "/manifest.webmanifest", Permission::kPublic},  // the installable dashboard (dashboard/public)
        {"GET", "/sw.js", Permission::kPublic},
        {"GET", "/icons/{file}", Permission::kPublic},
        {"GET", "/api/events", Permission::kRead},
        {"GET", "/healthz", Permission::kPublic},
        {"GET", "/readyz", Permission::kPublic},
        {"GET", "/api/openapi.json", Permission::kPublic},
        // /metrics: kPublic unless access.protect_metrics (see RoutePermission).
        {"GET", "/metrics", Permission::kPublic},

        {"POST", "/api/auth/login", Permission::kPublic},
        {"POST", "/api/auth/refresh", Permission::kPublic},  // the refresh token is the credential
        {"POST", "/api/auth/logout", Permission::kPublic},   // idem
        {"GET", "/api/auth/me", Permission::kAuthenticated},

        {"GET", "/api/dashboard/stats", Permission::kRead},
        {"GET", "/api/dashboard/history", Permission::kRead},
        {"GET", "/api/dashboard/savings", Permission::kRead},
        {"GET", "/api/dashboard/planned", Permission::kRead},
        {"GET", "/api/costs", Permission::kRead},
        {"GET", "/api/costs/commitments", Permission::kRead},
        {"GET", "/api/budgets", Permission::kRead},
        {"POST", "/api/budgets", Permission::kAdmin},  // a cap mode changes what the planner may run
        {"GET", "/api/budgets/{id}", Permission::kRead},
        {"PUT", "/api/budgets/{id}", Permission::kAdmin},
        {"DELETE", "/api/budgets/{id}", Permission::kAdmin},
        {"GET", "/api/metrics", Permission::kRead},
        {"POST", "/api/metrics", Permission::kPushMetrics},
        {"DELETE", "/api/metrics", Permission::kAdmin},  // removes data: an admin's, and audited
        {"POST", "/api/v1/write", Permission::kPushMetrics},
        {"GET", "/api/resources/{id}/instance-types", Permission::kRead},
        {"GET", "/api/predictions", Permission::kRead},
        {"POST", "/api/predictions/train", Permission::kOperate},
        {"GET", "/api/resources/{id}/model", Permission::kRead},
        {"PUT", "/api/resources/{id}/model", Permission::kOperate},  // it sizes capacity from then on
        {"GET", "/api/jobs", Permission::kRead},
        {"GET", "/api/jobs/{id}", Permission::kRead},
        {"POST", "/api/jobs/{id}/cancel", Permission::kOperate},
        {"GET", "/api/resources", Permission::kRead},
        {"POST", "/api/resources", Permission::kAdmin},
        {"GET", "/api/resources/{id}", Permission::kRead},
        {"PUT", "/api/resources/{id}", Permission::kAdmin},
        {"PUT", "/api/resources/{id}/mode", Permission::kOperate},
        {"DELETE", "/api/resources/{id}", Permission::kAdmin},
        {"POST", "/api/resources/allocate", Permission::kOperate},
        {"GET", "/api/resources/recommendations", Permission::kRead},
        {"POST", "/api/resources/recommendations/{id}/apply", Permission::kOperate},
        {"POST", "/api/resources/recommendations/{id}/dismiss", Permission::kOperate},
        {"GET", "/api/actions", Permission::kRead},
        {"GET", "/api/alerts", Permission::kRead},
        {"GET", "/api/remediations", Permission::kRead},
        {"GET", "/api/resources/{id}/anomaly", Permission::kRead},
        {"PUT", "/api/resources/{id}/anomaly", Permission::kAdmin},  // may let cloudopt restart a workload
        {"GET", "/api/simulations/datasets", Permission::kRead},
        {"POST", "/api/simulations", Permission::kOperate},  // CPU-heavy: not for every viewer
        {"GET", "/api/settings/adopt", Permission::kRead},
        {"POST", "/api/settings/adopt", Permission::kAdmin},  // changes how every resource is sized

        {"GET", "/api/users", Permission::kAdmin},
        {"POST", "/api/users", Permission::kAdmin},
        {"PUT", "/api/users/{id}", Permission::kAdmin},
        {"DELETE", "/api/users/{id}", Permission::kAdmin},
        {"GET", "/api/tokens", Permission::kAdmin},
        {"POST", "/api/tokens", Permission::kAdmin},
        {"DELETE", "/api/tokens/{id}", Permission::kAdmin},
        {"GET", "/api/credentials", Permission::kAdmin},
        {"POST", "/api/credentials", Permission::kAdmin},
        {"DELETE", "/api/credentials/{id}", Permission::kAdmin},
        {"POST", "/api/credentials/rotate", Permission::kAdmin},
        {"GET", "/api/audit", Permission::kAdmin},
        {"GET", "/api/providers", Permission::kRead},
    };
    return kTable;
}

bool Allows(const Principal& p, Permission permission) {
    return p.kind == Principal::Kind::kUser ? security::RoleAllows(p.role, permission)
                                            : security::ScopeAllows(p.scope, permission);
}

}  // namespace

std::optional<Permission> RoutePermission(const std::string& method, const std::string& pattern,
                                          const AccessOptions& options) {
    if (method == "GET" && pattern == "/metrics" && options.protect_metrics) return Permission::kRead;
    for (const RouteRule& rule : RouteTable())
        if (method == rule.method && pattern == rule.pattern) return rule.permission;
    return std::nullopt;
}

HttpResponse TooManyRequests(const std::string& message, int retry_after_seconds) {
    HttpResponse r = ErrorResponse(MakeError(ErrorCode::kTooManyRequests, message));
    r.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
    return r;
}

HttpResponse Unauthenticated(const Error& error) {
    HttpResponse r = ErrorResponse(error);
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"cloudopt\"");
    return r;
}

AccessControl::AccessControl(AuthService& auth, AccessOptions options)
    : auth_(auth),
      options_(options),
      per_address_(options.per_address_rate, options.per_address_burst),
      per_caller_(options.per_caller_rate, options.per_caller_burst) {}

AccessControl::~AccessControl() { FlushAudit(/*all=*/true); }

std::optional<HttpResponse> AccessControl::Check(HttpRequest& request, const std::string& method,
                                                 const std::string& pattern) {
    if (options_.per_address_rate > 0 && !request.remote_address.empty()) {
        if (auto wait = per_address_.Take(request.remote_address))
            return TooManyRequests("too many requests from " + request.remote_address + "; slow down", *wait);
    }
    const std::optional<Permission> needed = RoutePermission(method, pattern, options_);
    if (!needed) return ErrorResponse(MakeError(ErrorCode::kInternal, "route has no access rule"));
    if (*needed == Permission::kPublic && request.authorization.empty()) return std::nullopt;

    auto principal = auth_.Authenticate(request.authorization);
    if (!principal) {
        // A public route with bad credentials still works, as if none were sent.
        if (*needed == Permission::kPublic) return std::nullopt;
        return Unauthenticated(principal.error());
    }
    if (options_.per_caller_rate > 0) {
        if (auto wait = per_caller_.Take(principal->Actor()))
            return TooManyRequests("too many requests for " + principal->Actor() + "; slow down", *wait);
    }
    request.principal = *principal;  // also on refusal: the audit log names who tried
    if (!Allows(*principal, *needed)) {
        const std::string holder = principal->kind == Principal::Kind::kUser
                                       ? std::string("role '") + RoleName(principal->role) + "'"
                                       : "token scope '" + principal->scope + "'";
        return ErrorResponse(MakeError(ErrorCode::kPermissionDenied, method + " " + pattern + " needs the '" +
                                                                         security::PermissionName(*needed) +
                                                                         "' permission, which " + holder + " lacks"));
    }
    return std::nullopt;
}

namespace {

// The user name a login body names, for the audit log (bounded: the body is at most the anonymous body limit).
std::string LoginName(const HttpRequest& request) {
    if (JsonNestsDeeperThan(request.body, kMaxJsonNesting)) return "";
    const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (!body.is_object() || !body.contains("username") || !body["username"].is_string()) return "";
    std::string name = body["username"].get<std::string>();
    if (name.size() > 128) name = name.substr(0, 128) + "...";
    return "username tried: " + name;
}

}  // namespace

void AccessControl::Audit(const HttpRequest& request, const std::string& pattern, const HttpResponse& response) {
    FlushAudit();
    if (request.method == "GET" || request.method == "HEAD") return;
    // Data, not changes: ingest has its own counters.
    if ((pattern == "/api/metrics" || pattern == "/api/v1/write") && response.status < 400) return;
    AuditEntry entry;
    entry.ts = auth_.clock().Now();
    entry.actor = request.principal ? request.principal->Actor() : "anonymous";
    entry.action = request.method + " " + pattern;
    entry.target = request.path;
    entry.status = response.status;
    entry.remote_address = request.remote_address;
    if (pattern == "/api/auth/login") entry.detail = LoginName(request);
    if (response.status == 401 || response.status == 429) {
        std::lock_guard lock(audit_mutex_);
        RefusalKey key{entry.remote_address, entry.actor, entry.action, entry.detail, entry.status};
        // Bounded within a minute too: past the cap, new clients are counted together.
        if (refusals_.size() >= kMaxRefusalKeys && !refusals_.count(key))
            key = {"(other clients)", "", entry.action, "", entry.status};
        Refusals& r = refusals_[key];
        if (r.count == 0) {
            r.minute = entry.ts - entry.ts % 60;
            r.target = entry.target;
            next_flush_ = std::min(next_flush_, r.minute + 60);
        }
        ++r.count;
        return;
    }
    if (Status s = auth_.store().AppendAudit(entry); !s)
        spdlog::warn("audit log write failed for {} by {}: {}", entry.action, entry.actor, s.error().message);
}

void AccessControl::FlushAudit(bool all) {
    const UnixSeconds now = auth_.clock().Now();
    std::vector<AuditEntry> due;
    bool prune = false;
    {
        std::lock_guard lock(audit_mutex_);
        // The common case costs two comparisons: no minute has ended and retention is not due.
        if (!all && now < next_flush_ && now - last_prune_ < 3600) return;
        next_flush_ = std::numeric_limits<UnixSeconds>::max();
        for (auto it = refusals_.begin(); it != refusals_.end();) {
            if (!all && it->second.minute + 60 > now) {
                next_flush_ = std::min(next_flush_, it->second.minute + 60);
                ++it;
                continue;
            }
            AuditEntry e;
            e.ts = it->second.minute;
            e.actor = it->first.actor;
            e.action = it->first.action;
            e.target = it->second.target;
            e.status = it->first.status;
            e.remote_address = it->first.remote_address;
            e.detail = it->first.detail;
            e.count = it->second.count;
            due.push_back(std::move(e));
            it = refusals_.erase(it);
        }
        if (now - last_prune_ >= 3600) {
            last_prune_ = now;
            prune = true;
        }
    }
    for (const AuditEntry& e : due) {
        if (Status s = auth_.store().AppendAudit(e); !s)
            spdlog::warn("audit log write failed for {} refused requests from {}: {}", e.count, e.remote_address,
                         s.error().message);
    }
    if (prune) {
        auto pruned = auth_.store().PruneAudit(now - options_.audit_retention_seconds, options_.audit_max_rows);
        if (!pruned)
            spdlog::warn("audit log retention failed: {}", pruned.error().message);
        else if (*pruned > 0)
            spdlog::info("audit log retention removed {} old entries", *pruned);
    }
}

Status InstallAccessControl(Router& router, std::shared_ptr<AccessControl> control) {
    for (const RouteInfo& route : router.Routes()) {
        // Checked against a default option set: the table lists every route whatever the options.
        if (!RoutePermission(route.method, route.pattern, AccessOptions{}))
            return MakeError(
                ErrorCode::kInternal,
                route.method + " " + route.pattern + " is missing from the permission table (api/access_control.cpp)");
    }
    router.SetGuard([control](HttpRequest& request, const std::string& method, const std::string& pattern) {
        return control->Check(request, method, pattern);
    });
    router.SetObserver([control](const HttpRequest& request, const std::string& pattern, const HttpResponse& response) {
        control->Audit(request, pattern, response);
    });
    return Status::Ok();
}

}  // namespace cloudopt::api
