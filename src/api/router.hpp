#pragma once
// Maps (method, path pattern) to handlers. Patterns are literal segments and {name} placeholders:
// "/api/resources/{id}". A path that matches a pattern under another method answers 405 with Allow; HEAD runs
// the GET route of its path (the server sends the headers without the body).
//
// Two phases, so that the server can refuse a request before it reads the body: Admit matches the route and
// runs the guard (rate limits, authentication, permission) on the headers alone; Serve runs the handler once the
// body is there. Handle does both, for callers that already hold the whole request (tests).
// Thread safety: Add, SetGuard and SetObserver before the server starts; Admit, Serve and Handle from any thread.

#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "api/http.hpp"

namespace cloudopt::api {

using Handler = std::function<HttpResponse(const HttpRequest&)>;
// Runs before the handler of a matched route: may fill request.principal, or answer instead (401, 403, 429).
using Guard = std::function<std::optional<HttpResponse>(HttpRequest& request, const std::string& method,
                                                        const std::string& pattern)>;
// Sees every request that matched a route, with its response (the audit log).
using Observer =
    std::function<void(const HttpRequest& request, const std::string& pattern, const HttpResponse& response)>;

// How a handler spends its time. kBlocking handlers (password hashing: tens of milliseconds of CPU by design) run
// on the server's bounded worker pool, never on an I/O thread, so probes and other requests do not wait on them.
// kStoreWrite handlers (a metrics batch: a transaction that waits on the database's round trips and its commit)
// run on a pool of their own, so that several batches are in flight at once whatever the number of I/O threads,
// and a burst of them neither delays logins nor grows memory: a full queue answers 503 with Retry-After.
enum class RouteCost { kCheap, kBlocking, kStoreWrite };

struct RouteInfo {
    std::string method;
    std::string pattern;
    RouteCost cost = RouteCost::kCheap;
};

class Router {
  public:
    void Add(std::string method, std::string pattern, Handler handler, RouteCost cost = RouteCost::kCheap);
    void SetGuard(Guard guard) { guard_ = std::move(guard); }
    void SetObserver(Observer observer) { observer_ = std::move(observer); }

    struct Dispatch {
        HttpResponse response;
        std::string route;  // the matched pattern, or "unmatched": a bounded label for metrics
    };
    // A request that passed the guard: the route it runs, found by Admit. Valid while the router lives.
    struct Admitted {
        const void* route = nullptr;
        std::string pattern;
        RouteCost cost = RouteCost::kCheap;
    };
    // On the headers alone (request.body may still be empty): the refusal to send (no route, 405, or the guard's
    // 401/403/429, which the observer also sees), or the admitted route with request.principal and
    // request.path_params filled.
    std::variant<Dispatch, Admitted> Admit(HttpRequest& request) const;
    // Runs the admitted route's handler on the whole request, then the observer. Never throws: a handler exception
    // becomes a 500 with a generic body.
    Dispatch Serve(const Admitted& admitted, const HttpRequest& request) const;
    // Admit and Serve in one step.
    Dispatch Handle(HttpRequest request) const;

    std::vector<RouteInfo> Routes() const;

  private:
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;
        Handler handler;
        RouteCost cost;
    };
    static bool Match(const Route& route, const std::vector<std::string>& segments,
                      std::map<std::string, std::string>& params);
    std::vector<Route> routes_;
    Guard guard_;
    Observer observer_;
};

}  // namespace cloudopt::api
