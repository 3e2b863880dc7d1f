// /api/dashboard: the figures the overview shows, and demand/capacity/cost history for the charts.

#include "api/json_io.hpp"
#include "api/policy_comparison.hpp"
#include "api/routes.hpp"
#include "control/dashboard.hpp"

namespace cloudopt::api::detail {

namespace {
constexpr long long kMaxHistoryPoints = 5000;
}

void AddDashboardRoutes(Router& router, ApiContext& ctx) {
    router.Add(
        "GET", "/api/dashboard/stats",
        [&ctx](const HttpRequest&) {
            const UnixSeconds now = ctx.clock.Now();
            auto stats = ComputeDashboardStats(ctx.store, ctx.loop, now);
            if (!stats) return ErrorResponse(stats.error());
            nlohmann::json body = ToJson(*stats);
            // Saved against static: the day's comparison table and the cards read the same replay (docs/SAVINGS.md).
            body["comparison"] = PolicyComparison(ctx, now);
            body["saved"] = SavedPerWindow(ctx, now, body["comparison"]);
            // Open recommendations are what applying them could save, never part of "saved".
            auto open = ctx.store.ListRecommendations(std::string("open"));
            if (!open) return ErrorResponse(open.error());
            body["could_save"] = CouldSave(*open);
            return JsonResponse(200, body);
        },
        RouteCost::kBlocking);  // asks each resource's cloud (Describe) and replays the windows: off the I/O threads

    router.Add("GET", "/api/dashboard/history", [&ctx](const HttpRequest& req) {
        std::optional<ResourceId> only;
        if (auto r = req.Query("resource"); r && !r->empty()) {
            auto resource = ResolveResource(ctx.store, *r);
            if (!resource) return ErrorResponse(resource.error());
            only = resource->id;
        }
        const UnixSeconds now = ctx.clock.Now();
        auto from = IntParam(req, "from", 0, INT64_MAX / 2);
        auto to = IntParam(req, "to", 0, INT64_MAX / 2);
        auto step = IntParam(req, "step", 1, 366LL * 86400);
        if (!from) return ErrorResponse(from.error());
        if (!to) return ErrorResponse(to.error());
        if (!step) return ErrorResponse(step.error());
        const UnixSeconds t_to = to->value_or(now + 1);
        const UnixSeconds t_from = from->value_or(t_to - 86400);
        if (t_from >= t_to) return ErrorResponse(MakeError(ErrorCode::kInvalidArgument, "from: must be before to"));
        // Default step: about 300 points across the range, never finer than a minute.
        const UnixSeconds t_step = step->value_or(std::max<UnixSeconds>(60, (t_to - t_from) / 300));
        if ((t_to - t_from) / t_step > kMaxHistoryPoints)
            return ErrorResponse(
                MakeError(ErrorCode::kUnprocessable, "range/step gives more than 5000 points; use a larger step"));
        auto history = ComputeHistory(ctx.store, only, t_from, t_to, t_step);
        if (!history) return ErrorResponse(history.error());
        JsonWriter w;
        w.BeginObject().Key("from").Int(t_from).Key("to").Int(t_to).Key("step").Int(t_step);
        w.Key("resources").BeginArray();
        for (const ResourceHistory& h : *history) {
            w.BeginObject().Key("id").Int(h.resource.id).Key("name").String(h.resource.name);
            w.Key("load_metric").String(h.resource.load_metric);
            w.Key("demand");
            WriteSamples(w, h.demand);
            w.Key("capacity");
            WriteSamples(w, h.capacity);
            w.Key("cost_per_hour");
            WriteSamples(w, h.cost_per_hour);
            w.EndObject();
        }
        w.EndArray().EndObject();
        HttpResponse response;
        response.body = w.Take();
        return response;
    });
}

}  // namespace cloudopt::api::detail
