#pragma once
// What each role and each machine-token scope may do. Routes name one Permission each (the table lives in
// api/route_permissions.cpp); this file decides who holds it.

#include <optional>
#include <string>

#include "core/identity.hpp"

namespace cloudopt::security {

enum class Permission {
    kPublic,         // anyone, unauthenticated included (health checks, login)
    kAuthenticated,  // any logged-in user or token (who am I, log out)
    kRead,           // read resources, metrics, forecasts, actions, the dashboard
    kPushMetrics,    // POST /api/metrics
    kOperate,        // apply/dismiss recommendations, change modes, allocate, train
    kAdmin,          // resources, credentials, users, tokens, the audit log
};
const char* PermissionName(Permission p);

// Machine-token scopes: read (a dashboard or exporter), metrics:write (a metric pusher), operator (CI).
// There is deliberately no admin scope: administration needs a person.
bool IsValidScope(const std::string& scope);
inline constexpr const char* kValidScopes = "read, metrics:write, operator";

bool RoleAllows(Role role, Permission p);
bool ScopeAllows(const std::string& scope, Permission p);

}  // namespace cloudopt::security
