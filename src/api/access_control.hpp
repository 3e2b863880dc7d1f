#pragma once
// Access control for every route: the one permission table, authentication, rate limits and the audit log,
// installed on the router as its guard and observer.

#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "api/auth_service.hpp"
#include "api/router.hpp"
#include "security/permissions.hpp"
#include "security/rate_limiter.hpp"

namespace cloudopt::api {

struct AccessOptions {
    // Token buckets: requests per second and burst, per client address and per authenticated caller. 0: off.
    double per_address_rate = 200;
    double per_address_burst = 400;
    double per_caller_rate = 100;
    double per_caller_burst = 200;
    bool protect_metrics = false;  // /metrics needs a read permission (else it is open, like /healthz)
    // Audit log retention, applied about once an hour.
    UnixSeconds audit_retention_seconds = 90 * 86400;
    std::int64_t audit_max_rows = 1000000;
};

// The permission a route needs: the single table every route is listed in. nullopt for a route missing from
// it, which InstallAccessControl refuses (a new route cannot be added without deciding who may call it).
std::optional<security::Permission> RoutePermission(const std::string& method, const std::string& pattern,
                                                    const AccessOptions& options);

class AccessControl {
  public:
    AccessControl(AuthService& auth, AccessOptions options);
    // Writes the refusals still being counted: the store must outlive this object.
    ~AccessControl();

    // nullopt to proceed (request.principal filled when credentials came), or the refusal to send.
    std::optional<HttpResponse> Check(HttpRequest& request, const std::string& method, const std::string& pattern);
    // Records changes (every request but GET/HEAD, metric pushes excepted) in the audit log. Refused requests
    // (401, 429) are counted per client, action, status and minute and written once for that minute, so a flood
    // costs one row a minute, not one per request; a login names the user it tried.
    void Audit(const HttpRequest& request, const std::string& pattern, const HttpResponse& response);
    // Writes the counted refusals of minutes that have ended (all of them with `all`), and applies retention
    // when an hour has passed since it last did. Audit calls it; tests and shutdown call it directly.
    void FlushAudit(bool all = false);

  private:
    struct RefusalKey {
        std::string remote_address, actor, action, detail;
        int status;
        auto operator<=>(const RefusalKey&) const = default;
    };
    struct Refusals {
        UnixSeconds minute = 0;
        std::string target;
        std::int64_t count = 0;
    };

    AuthService& auth_;
    AccessOptions options_;
    security::RateLimiter per_address_;
    security::RateLimiter per_caller_;
    std::mutex audit_mutex_;  // guards the fields below
    std::map<RefusalKey, Refusals> refusals_;
    static constexpr std::size_t kMaxRefusalKeys = 10000;
    UnixSeconds next_flush_ = std::numeric_limits<UnixSeconds>::max();  // when the earliest counted minute ends
    UnixSeconds last_prune_ = 0;
};

// Installs `control` as the router's guard and observer. kInternal naming the route when a route has no entry
// in the permission table.
Status InstallAccessControl(Router& router, std::shared_ptr<AccessControl> control);

// A 429 with Retry-After, or a 401 with WWW-Authenticate: the refusals access control and the login route send.
HttpResponse TooManyRequests(const std::string& message, int retry_after_seconds);
HttpResponse Unauthenticated(const Error& error);

}  // namespace cloudopt::api
