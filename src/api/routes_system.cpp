// Liveness, readiness, Prometheus exposition, the OpenAPI document and the live event stream.

#include "api/json_io.hpp"
#include "api/routes.hpp"

namespace cloudopt::api::detail {

void AddSystemRoutes(Router& router, ApiContext& ctx) {
    router.Add("GET", "/healthz", [&ctx](const HttpRequest&) {
        return JsonResponse(200, {{"status", "ok"}, {"version", ctx.version}});
    });

    router.Add("GET", "/readyz", [&ctx](const HttpRequest&) {
        // Ready when the store answers from its file (resources come from memory, so they alone prove nothing);
        // the loop's pass count shows whether it has started acting.
        if (Status health = ctx.store.CheckHealth(); !health)
            return JsonResponse(503, {{"status", "unavailable"}, {"store", health.error().message}});
        auto resources = ctx.store.ListResources();
        if (!resources)
            return JsonResponse(503, {{"status", "unavailable"}, {"store", resources.error().message}});
        return JsonResponse(200, {{"status", "ready"},
                                  {"resources", resources->size()},
                                  {"loop_passes", ctx.loop.passes()}});
    });

    router.Add("GET", "/metrics", [&ctx](const HttpRequest&) {
        HttpResponse r;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = ctx.metrics.RenderPrometheus();
        return r;
    });

    // Server-Sent Events for the dashboard: an event after every control-loop pass, so a page refreshes when
    // something may have changed instead of polling.
    router.Add("GET", "/api/events", [&ctx](const HttpRequest&) {
        HttpResponse r;
        auto last = std::make_shared<std::int64_t>(-1);
        r.next_events = [&ctx, last]() -> std::string {
            const std::int64_t passes = static_cast<std::int64_t>(ctx.loop.passes());
            if (passes == *last) return "";
            *last = passes;
            return "event: pass\ndata: {\"passes\":" + std::to_string(passes) + ",\"now\":" +
                   std::to_string(ctx.clock.Now()) + "}\n\n";
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
