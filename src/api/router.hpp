#pragma once
// Maps (method, path pattern) to handlers. Patterns are literal segments and {name} placeholders:
// "/api/resources/{id}". A path that matches a pattern under another method answers 405 with Allow.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/http.hpp"

namespace cloudopt::api {

using Handler = std::function<HttpResponse(const HttpRequest&)>;
// Runs before the handler of a matched route: may fill request.principal, or answer instead (401, 403, 429).
using Guard = std::function<std::optional<HttpResponse>(HttpRequest& request, const std::string& method,
                                                        const std::string& pattern)>;
// Sees every request that matched a route, with its response (the audit log).
using Observer = std::function<void(const HttpRequest& request, const std::string& pattern, const HttpResponse& response)>;

struct RouteInfo {
    std::string method;
    std::string pattern;
};

class Router {
public:
    void Add(std::string method, std::string pattern, Handler handler);
    void SetGuard(Guard guard) { guard_ = std::move(guard); }
    void SetObserver(Observer observer) { observer_ = std::move(observer); }

    struct Dispatch {
        HttpResponse response;
        std::string route;  // the matched pattern, or "unmatched": a bounded label for metrics
    };
    // Never throws: a handler exception becomes a 500 with a generic body.
    Dispatch Handle(HttpRequest request) const;

    std::vector<RouteInfo> Routes() const;

private:
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;
        Handler handler;
    };
    static bool Match(const Route& route, const std::vector<std::string>& segments,
                      std::map<std::string, std::string>& params);
    HttpResponse Run(const Route& route, HttpRequest& request) const;
    std::vector<Route> routes_;
    Guard guard_;
    Observer observer_;
};

}  // namespace cloudopt::api
