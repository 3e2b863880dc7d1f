#pragma once
// Helpers for black-box tests of a running `cloudopt serve`: wait until it answers, log in.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/http_client.hpp"

namespace cloudopt::testing {

inline constexpr const char* kTestAdmin = "admin";
inline constexpr const char* kTestAdminPassword = "test-admin-password-123";

inline bool WaitHealthy(unsigned short port) {
    for (int i = 0; i < 300; ++i) {
        try {
            HttpClient c(port);
            if (c.Get("/healthz").status == 200) return true;
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

// "Bearer <access token>" for the user, or "" when the login fails.
inline std::string LoginBearer(unsigned short port, const std::string& user = kTestAdmin,
                               const std::string& password = kTestAdminPassword) {
    HttpClient c(port);
    auto r = c.Post("/api/auth/login", nlohmann::json{{"username", user}, {"password", password}}.dump());
    if (r.status != 200) return "";
    return "Bearer " + nlohmann::json::parse(r.body)["access_token"].get<std::string>();
}

}  // namespace cloudopt::testing
