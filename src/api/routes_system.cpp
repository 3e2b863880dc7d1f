// Liveness, readiness, Prometheus exposition and the OpenAPI document.

#include "api/json_io.hpp"
#include "api/routes.hpp"

namespace cloudopt::api::detail {

void AddSystemRoutes(Router& router, ApiContext& ctx) {
    router.Add("GET", "/healthz", [&ctx](const HttpRequest&) {
        return JsonResponse(200, {{"status", "ok"}, {"version", ctx.version}});
    });

    router.Add("GET", "/readyz", [&ctx](const HttpRequest&) {
        // Ready when the store answers; the loop's pass count shows whether it has started acting.
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

    router.Add("GET", "/api/openapi.json", [](const HttpRequest&) {
        HttpResponse r;
        r.body = OpenApiDocument();
        return r;
    });
}

}  // namespace cloudopt::api::detail
