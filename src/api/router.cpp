#include "api/router.hpp"

#include <spdlog/spdlog.h>

#include <exception>

#include "api/json_io.hpp"

namespace cloudopt::api {

namespace {

std::vector<std::string> SplitPath(const std::string& path) {
    std::vector<std::string> out;
    std::size_t start = 1;  // paths start with '/'
    while (start <= path.size()) {
        const std::size_t slash = path.find('/', start);
        const std::size_t end = slash == std::string::npos ? path.size() : slash;
        out.push_back(path.substr(start, end - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    // A trailing slash ("/api/resources/") means the same as none.
    if (out.size() > 1 && out.back().empty()) out.pop_back();
    return out;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler, RouteCost cost) {
    std::vector<std::string> segments = SplitPath(pattern);
    routes_.push_back({std::move(method), std::move(pattern), std::move(segments), std::move(handler), cost});
}

bool Router::Match(const Route& route, const std::vector<std::string>& segments,
                   std::map<std::string, std::string>& params) {
    if (route.segments.size() != segments.size()) return false;
    params.clear();
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const std::string& want = route.segments[i];
        if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
            if (segments[i].empty()) return false;
            params[want.substr(1, want.size() - 2)] = segments[i];
        } else if (want != segments[i]) {
            return false;
        }
    }
    return true;
}

std::variant<Router::Dispatch, Router::Admitted> Router::Admit(HttpRequest& request) const {
    if (request.path.empty() || request.path.front() != '/')
        return Dispatch{ErrorResponse(MakeError(ErrorCode::kInvalidArgument, "request target must start with '/'")),
                        "unmatched"};
    const std::vector<std::string> segments = SplitPath(request.path);
    // Literal segments beat placeholders: /api/resources/recommendations is not /api/resources/{id}.
    auto literal_count = [](const Route& route) {
        int n = 0;
        for (const std::string& seg : route.segments) n += seg.empty() || seg.front() != '{';
        return n;
    };
    // HEAD is GET without the body (RFC 9110 9.3.2): the server drops the body and keeps its length.
    const std::string method = request.method == "HEAD" ? std::string("GET") : request.method;
    const Route* best = nullptr;
    std::map<std::string, std::string> params;
    std::string allowed;
    for (const Route& route : routes_) {
        std::map<std::string, std::string> probe;
        if (!Match(route, segments, probe)) continue;
        if (route.method != method) {
            if (allowed.find(route.method) == std::string::npos)
                allowed += (allowed.empty() ? "" : ", ") + route.method;
            continue;
        }
        if (!best || literal_count(route) > literal_count(*best)) {
            best = &route;
            params = std::move(probe);
        }
    }
    if (!best) {
        if (!allowed.empty()) {
            if (allowed.find("GET") != std::string::npos) allowed += ", HEAD";
            HttpResponse r =
                ErrorResponse(MakeError(ErrorCode::kMethodNotAllowed, request.method + " is not allowed on " +
                                                                          request.path + "; allowed: " + allowed));
            r.headers.emplace_back("Allow", allowed);
            return Dispatch{r, "unmatched"};
        }
        return Dispatch{ErrorResponse(MakeError(ErrorCode::kNotFound, "no route for " + request.path)), "unmatched"};
    }
    request.path_params = std::move(params);
    if (guard_) {
        std::optional<HttpResponse> refused;
        try {
            refused = guard_(request, best->method, best->pattern);
        } catch (const std::exception& e) {
            spdlog::error("access check of {} {} threw: {}", request.method, best->pattern, e.what());
            refused = ErrorResponse(MakeError(ErrorCode::kInternal, "internal error"));
        }
        if (refused) {
            if (observer_) observer_(request, best->pattern, *refused);
            return Dispatch{std::move(*refused), best->pattern};
        }
    }
    return Admitted{best, best->pattern, best->cost};
}

Router::Dispatch Router::Serve(const Admitted& admitted, const HttpRequest& request) const {
    const Route& route = *static_cast<const Route*>(admitted.route);
    HttpResponse response;
    try {
        response = route.handler(request);
    } catch (const std::exception& e) {
        // The detail goes to the log only; the client gets a generic message.
        spdlog::error("handler {} {} threw: {}", request.method, route.pattern, e.what());
        response = ErrorResponse(MakeError(ErrorCode::kInternal, "internal error"));
    }
    if (observer_) observer_(request, route.pattern, response);
    return {std::move(response), route.pattern};
}

Router::Dispatch Router::Handle(HttpRequest request) const {
    auto admission = Admit(request);
    if (auto* refused = std::get_if<Dispatch>(&admission)) return std::move(*refused);
    return Serve(std::get<Admitted>(admission), request);
}

std::vector<RouteInfo> Router::Routes() const {
    std::vector<RouteInfo> out;
    for (const Route& r : routes_) out.push_back({r.method, r.pattern, r.cost});
    return out;
}

}  // namespace cloudopt::api
