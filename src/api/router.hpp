#pragma once
// Maps (method, path pattern) to handlers. Patterns are literal segments and {name} placeholders:
// "/api/resources/{id}". A path that matches a pattern under another method answers 405 with Allow.

#include <functional>
#include <string>
#include <vector>

#include "api/http.hpp"

namespace cloudopt::api {

using Handler = std::function<HttpResponse(const HttpRequest&)>;

struct RouteInfo {
    std::string method;
    std::string pattern;
};

class Router {
public:
    void Add(std::string method, std::string pattern, Handler handler);

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
    std::vector<Route> routes_;
};

}  // namespace cloudopt::api
