#include "core/identity.hpp"

namespace cloudopt {

const char* RoleName(Role role) {
    switch (role) {
        case Role::kViewer: return "viewer";
        case Role::kOperator: return "operator";
        case Role::kAdmin: return "admin";
    }
    return "viewer";
}

std::optional<Role> ParseRole(const std::string& name) {
    if (name == "viewer") return Role::kViewer;
    if (name == "operator") return Role::kOperator;
    if (name == "admin") return Role::kAdmin;
    return std::nullopt;
}

}  // namespace cloudopt
