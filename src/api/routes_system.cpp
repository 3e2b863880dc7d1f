// Liveness, readiness, Prometheus exposition and the OpenAPI document.

#include "api/json_io.hpp"
#include "api/routes.hpp"

namespace cloudopt::api::detail {

namespace {

// What a browser at http://localhost:8080/ sees until the dashboard is served there: where to look next.
constexpr const char* kLandingPage = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cloudopt</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
code{background:#f2f4f7;padding:0 .25rem;border-radius:3px}li{margin:.2rem 0}</style></head>
<body><h1>cloudopt is running</h1>
<p>Forecast-driven capacity for cloud workloads. The web dashboard is not part of this build yet; the API is:</p>
<ul>
<li><a href="/api/dashboard/stats">/api/dashboard/stats</a>: cost per hour now against static allocation, utilization, alerts</li>
<li><a href="/api/resources">/api/resources</a>: the managed resources</li>
<li><a href="/api/actions?limit=20">/api/actions</a>: recent scaling actions, each with its reason</li>
<li><a href="/api/resources/recommendations">/api/resources/recommendations</a>: what recommend mode proposes</li>
<li><a href="/api/openapi.json">/api/openapi.json</a>: every endpoint (OpenAPI 3)</li>
<li><a href="/metrics">/metrics</a>: Prometheus metrics of the service itself</li>
</ul>
<p>The API needs a token: get one with <code>POST /api/auth/login</code> ({"username","password"}; the first
admin's password is printed when cloudopt first starts) and send it as <code>Authorization: Bearer ...</code>.
The README has a walkthrough.</p>
</body></html>
)html";

}  // namespace

void AddSystemRoutes(Router& router, ApiContext& ctx) {
    router.Add("GET", "/", [](const HttpRequest&) {
        HttpResponse r;
        r.content_type = "text/html; charset=utf-8";
        r.body = kLandingPage;
        return r;
    });

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
