#include "security/permissions.hpp"

namespace cloudopt::security {

const char* PermissionName(Permission p) {
    switch (p) {
        case Permission::kPublic: return "public";
        case Permission::kAuthenticated: return "authenticated";
        case Permission::kRead: return "read";
        case Permission::kPushMetrics: return "metrics:write";
        case Permission::kOperate: return "operate";
        case Permission::kAdmin: return "admin";
    }
    return "admin";
}

bool IsValidScope(const std::string& scope) { return scope == "read" || scope == "metrics:write" || scope == "operator"; }

bool RoleAllows(Role role, Permission p) {
    switch (p) {
        case Permission::kPublic:
        case Permission::kAuthenticated:
        case Permission::kRead: return true;
        case Permission::kPushMetrics:
        case Permission::kOperate: return role == Role::kOperator || role == Role::kAdmin;
        case Permission::kAdmin: return role == Role::kAdmin;
    }
    return false;
}

bool ScopeAllows(const std::string& scope, Permission p) {
    switch (p) {
        case Permission::kPublic:
        case Permission::kAuthenticated: return IsValidScope(scope);
        case Permission::kRead: return scope == "read" || scope == "operator";
        case Permission::kPushMetrics: return scope == "metrics:write" || scope == "operator";
        case Permission::kOperate: return scope == "operator";
        case Permission::kAdmin: return false;
    }
    return false;
}

}  // namespace cloudopt::security
