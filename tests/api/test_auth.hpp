#pragma once
// Authentication for API tests: a keyring, an auth service with cheap password hashing, users of each role and
// their access tokens.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "api/auth_service.hpp"
#include "security/secret_box.hpp"

namespace cloudopt::testing {

class TestAuth {
public:
    TestAuth(IdentityStore& store, const Clock& clock)
        : keyring_(*security::Keyring::Create(std::string(32, 'k'))), auth_(store, clock, Options()) {}

    static api::AuthOptions Options() {
        api::AuthOptions o;
        o.jwt_key = std::string(32, 'j');
        o.password_cost = security::PasswordCost::MinimumForTests();
        return o;
    }

    // Creates the user (password "correct horse battery") and returns "Bearer <access token>".
    std::string BearerFor(const std::string& name, Role role) {
        auto user = auth_.store().FindUser(name);
        if (!user) user = auth_.CreateUser(name, role, "correct horse battery");
        EXPECT_TRUE(user.ok()) << (user.ok() ? "" : user.error().message);
        auto token = auth_.IssueAccessToken(*user);
        EXPECT_TRUE(token.ok());
        return "Bearer " + *token;
    }

    api::AuthService& auth() { return auth_; }
    const security::Keyring& keyring() const { return keyring_; }

private:
    security::Keyring keyring_;
    api::AuthService auth_;
};

}  // namespace cloudopt::testing
