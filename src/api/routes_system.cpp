// Liveness, readiness, Prometheus exposition, the OpenAPI document and the live event stream.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "api/dashboard_live.hpp"
#include "api/json_io.hpp"
#include "api/routes.hpp"

namespace cloudopt::api::detail {

namespace {

// How often a live event stream checks its reader's credentials again.
constexpr std::chrono::seconds kRecheckCredentials{2};

// Open event streams per holder. Take returns a place whose destruction (the stream's end) gives it back.
class StreamCounts : public std::enable_shared_from_this<StreamCounts> {
  public:
    std::shared_ptr<int> Take(const std::string& holder, std::size_t cap) {
        std::lock_guard lock(mutex_);
        std::size_t& open = open_[holder];
        if (open >= cap) return nullptr;
        ++open;
        return std::shared_ptr<int>(new int(0), [self = shared_from_this(), holder](int* place) {
            delete place;
            self->Give(holder);
        });
    }

  private:
    void Give(const std::string& holder) {
        std::lock_guard lock(mutex_);
        auto it = open_.find(holder);
        if (it != open_.end() && --it->second == 0) open_.erase(it);
    }
    std::mutex mutex_;
    std::map<std::string, std::size_t> open_;
};

}  // namespace

void AddSystemRoutes(Router& router, ApiContext& ctx) {
    router.Add("GET", "/healthz", [&ctx](const HttpRequest&) {
        return JsonResponse(200, {{"status", "ok"}, {"version", ctx.version}});
    });

    router.Add("GET", "/readyz", [&ctx](const HttpRequest&) {
        // Ready when the store answers from its file (resources come from memory, so they alone prove nothing);
        // the loop's pass count (one per tick) shows whether it has started acting.
        if (Status health = ctx.store.CheckHealth(); !health)
            return JsonResponse(503, {{"status", "unavailable"}, {"store", health.error().message}});
        auto resources = ctx.store.ListResources();
        if (!resources) return JsonResponse(503, {{"status", "unavailable"}, {"store", resources.error().message}});
        return JsonResponse(
            200, {{"status", "ready"}, {"resources", resources->size()}, {"loop_passes", ctx.loop.passes()}});
    });

    router.Add("GET", "/metrics", [&ctx](const HttpRequest&) {
        HttpResponse r;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = ctx.metrics.RenderPrometheus();
        return r;
    });

    // Server-Sent Events for the dashboard: an event after every tick of the control loop, so a page refreshes when
    // something may have changed instead of polling. Each stream holds a connection for good, so a user or token
    // may hold only a few (server.max_event_streams_per_user); a closed stream gives its place back.
    auto open_streams = std::make_shared<StreamCounts>();
    router.Add("GET", "/api/events", [&ctx, open_streams](const HttpRequest& req) {
        const std::string holder = req.principal ? req.principal->Actor() : req.remote_address;
        auto place = open_streams->Take(holder, ctx.max_event_streams_per_user);
        if (!place)
            return TooManyRequests(holder + " has " + std::to_string(ctx.max_event_streams_per_user) +
                                       " event streams open already (server.max_event_streams_per_user); close one",
                                   5);
        HttpResponse r;
        auto last = std::make_shared<std::int64_t>(-1);
        // Each event carries what changed (the newest samples, new actions; api/dashboard_live.hpp), so a page
        // extends its charts from the stream instead of asking the API again.
        auto cursor = std::make_shared<LiveCursor>();
        // The reader's credentials are checked again every few seconds for as long as the stream lasts, so a user
        // disabled or deleted, a token revoked or expired, loses the stream as it loses every other request (the
        // check reads the auth service's cache, not the database).
        auto checked_at = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
        const std::string authorization = req.principal ? req.authorization : std::string();
        r.next_events = [&ctx, last, cursor, place, checked_at, authorization]() -> std::string {
            if (!authorization.empty() && std::chrono::steady_clock::now() - *checked_at >= kRecheckCredentials) {
                *checked_at = std::chrono::steady_clock::now();
                if (auto still = ctx.auth.Authenticate(authorization); !still) {
                    const nlohmann::json error = {
                        {"error", {{"code", "unauthenticated"}, {"message", still.error().message}}}};
                    return std::string(kEndOfEvents) + "data: " + error.dump() + "\n\n";
                }
            }
            const std::int64_t passes = static_cast<std::int64_t>(ctx.loop.passes());
            // With replicas sharing a database, the others' passes too (LISTEN/NOTIFY, cluster/event_bridge.hpp): a
            // page hears of a change whichever replica made it.
            const std::int64_t seen = passes + (ctx.remote_events ? ctx.remote_events() : 0);
            if (seen == *last) return "";
            *last = seen;
            return "event: pass\ndata: " + LiveEventData(ctx, *cursor, passes, ctx.clock.Now()) + "\n\n";
        };
        return r;
    });

    router.Add("GET", "/api/openapi.json", [](const HttpRequest&) {
        HttpResponse r;
        r.body = OpenApiDocument();
        return r;
    });
}

}  // namespace cloudopt::api::detail
