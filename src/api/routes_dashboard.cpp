// /api/dashboard: the figures the overview shows, demand/capacity/cost/utilization history for the charts, cost
// against static over a range (savings) and the next planned changes.

#include <algorithm>
#include <cmath>
#include <map>

#include "api/dashboard_live.hpp"
#include "api/json_io.hpp"
#include "api/policy_comparison.hpp"
#include "api/routes.hpp"
#include "control/dashboard.hpp"
#include "control/fresh_sample.hpp"
#include "simulate/service_comparison.hpp"

namespace cloudopt::api::detail {

namespace {
constexpr long long kMaxHistoryPoints = 5000;
constexpr long long kMaxSavingsRange = 31LL * 86400;  // the month window and a day of slack
constexpr long long kDefaultSavingsPoints = 400;

// [from, to] from ?from, ?to and ?last (seconds before `to`; instead of from), `to` defaulting to now and `from`
// to a day before `to`. A page that only knows "the last 6 hours" asks with last= and reads from/to back.
Result<std::pair<UnixSeconds, UnixSeconds>> RangeParams(const HttpRequest& req, UnixSeconds now) {
    auto from = IntParam(req, "from", 0, INT64_MAX / 2);
    auto to = IntParam(req, "to", 0, INT64_MAX / 2);
    auto last = IntParam(req, "last", 60, 366LL * 86400);
    if (!from) return from.error();
    if (!to) return to.error();
    if (!last) return last.error();
    if (*from && *last) return MakeError(ErrorCode::kInvalidArgument, "give from or last, not both");
    const UnixSeconds t_to = to->value_or(now);
    const UnixSeconds t_from = from->value_or(t_to - last->value_or(86400));
    if (t_from >= t_to) return MakeError(ErrorCode::kInvalidArgument, "from: must be before to");
    return std::pair{t_from, t_to};
}
}  // namespace

// The figures of api/dashboard_live.hpp (here rather than in a file of their own: they serve these routes and the
// event stream).
json SavingsSeries(ApiContext& ctx, UnixSeconds from, UnixSeconds to, std::size_t max_points) {
    // The comparison's grid and bounds: 5-minute steps from a multiple of the step, through `to` (policy_comparison).
    const UnixSeconds step = kDayWindow.step;
    const UnixSeconds start = from / step * step;
    json out = {{"from", start}, {"to", to}, {"step", step}, {"resources", json::array()}, {"series", json::array()}};
    auto history = ComputeHistory(ctx.store, std::nullopt, start, to + 1, step);
    if (!history) {
        out["error"] = history.error().message;
        return out;
    }
    double static_cost = 0.0, actual_cost = 0.0;
    int replayed = 0;
    std::map<UnixSeconds, std::pair<double, double>> grid;  // step start -> (ran per hour, static per hour), summed
    for (const ResourceHistory& h : *history) {
        json per = {{"id", h.resource.id}, {"name", h.resource.name}};
        const auto type = ctx.loop.catalog().Find(h.resource.provider, h.resource.instance_type);
        auto compared = CompareWithBaselines(h.resource, type ? type->price_per_hour : 0.0, h.demand, h.capacity,
                                             h.cost_per_hour, step);
        if (!compared) {
            per["error"] = compared.error().message;
        } else if (compared->policies.count("static") && compared->policies.count("actual") && compared->steps > 0) {
            const double fixed = compared->policies.at("static").cost, ran = compared->policies.at("actual").cost;
            // Static holds one instance count over the window: its cost per hour is flat over the scored steps.
            const double static_per_hour =
                fixed / (static_cast<double>(compared->steps) * static_cast<double>(step) / 3600.0);
            for (const Sample& s : compared->ran_cost_per_hour) {
                grid[s.ts].first += s.value;
                grid[s.ts].second += static_per_hour;
            }
            static_cost += fixed;
            actual_cost += ran;
            ++replayed;
            per["static_cost"] = fixed;
            per["actual_cost"] = ran;
            per["saved"] = fixed - ran;
        }
        out["resources"].push_back(std::move(per));
    }
    if (replayed == 0) {
        out["static_cost"] = out["actual_cost"] = out["saved"] = nullptr;
        out["reason"] = "no resource has enough recorded load and capacity in the range yet";
        return out;
    }
    out["static_cost"] = static_cost;
    out["actual_cost"] = actual_cost;
    out["saved"] = static_cost - actual_cost;
    // Buckets of k whole steps; a step no resource scored counts as zero, so bucket mean x its hours = its area.
    const UnixSeconds first = grid.begin()->first, last = grid.rbegin()->first;
    const std::size_t span = static_cast<std::size_t>((last - first) / step) + 1;
    const std::size_t k = std::max<std::size_t>(1, (span + std::max<std::size_t>(1, max_points) - 1) / max_points);
    const UnixSeconds width = static_cast<UnixSeconds>(k) * step;
    std::map<UnixSeconds, std::pair<double, double>> buckets;
    for (const auto& [ts, v] : grid) {
        auto& b = buckets[first + (ts - first) / width * width];
        b.first += v.first;
        b.second += v.second;
    }
    for (const auto& [ts, v] : buckets) {
        const double steps = static_cast<double>(std::min<UnixSeconds>(width, last + step - ts) / step);
        out["series"].push_back({ts, v.first / steps, v.second / steps});
    }
    out["bucket_s"] = width;
    return out;
}

json PlannedCapacity(const Resource& r, const Forecast& f, QuantileLevel fallback) {
    const QuantileLevel q = ParseQuantileLevel(r.risk_quantile).value_or(fallback);
    const double per_instance = r.capacity_per_instance * r.target_utilization();
    json steps = json::array();
    for (const ForecastPoint& p : f.points) {
        const double needed = per_instance > 0 ? std::ceil(PointQuantile(p, q) / per_instance - 1e-9) : 0.0;
        const double clamped = std::clamp(needed, static_cast<double>(r.min_capacity),
                                          static_cast<double>(std::max(r.min_capacity, r.max_capacity)));
        steps.push_back({{"ts", p.ts}, {"instances", static_cast<long long>(clamped)}});
    }
    return {{"quantile", QuantileLevelName(q)}, {"target_utilization", r.target_utilization()}, {"steps", steps}};
}

json NextPlannedChanges(ApiContext& ctx, UnixSeconds now) {
    json changes = json::array();
    auto resources = ctx.store.ListResources();
    if (!resources) return {{"changes", changes}, {"error", resources.error().message}};
    const UnixSeconds max_age = ctx.loop.options().stale_after_seconds;
    for (const Resource& r : *resources) {
        auto stored = ctx.store.LatestPrediction(r.id, r.load_metric);
        const auto ready = FreshSample(ctx.store, {r.id, "capacity"}, now, max_age);
        if (!stored || !*stored || !ready) continue;
        const Forecast& f = **stored;
        const long long current = std::llround(ready->value);
        const json planned = PlannedCapacity(r, f, ctx.loop.engine_options().quantile);
        for (const json& s : planned["steps"]) {
            // The step in progress counts (it began before now); steps that ended are history.
            if (s["ts"].get<UnixSeconds>() + f.step <= now || s["instances"].get<long long>() == current) continue;
            changes.push_back({{"resource_id", r.id},
                               {"resource", r.name},
                               {"ts", std::max(s["ts"].get<UnixSeconds>(), now)},
                               {"from", current},
                               {"to", s["instances"]},
                               {"quantile", planned["quantile"]},
                               {"forecast_generated_at", f.generated_at}});
            break;
        }
    }
    std::stable_sort(changes.begin(), changes.end(), [](const json& a, const json& b) {
        return a["ts"].get<UnixSeconds>() < b["ts"].get<UnixSeconds>();
    });
    return {{"now", now}, {"changes", changes}};
}

std::string LiveEventData(ApiContext& ctx, LiveCursor& cursor, std::int64_t passes, UnixSeconds now) {
    json out = {{"resources", json::array()}, {"actions", json::array()}, {"forecasts", json::object()}};
    const UnixSeconds max_age = ctx.loop.options().stale_after_seconds;
    const bool first = cursor.last_action_id < 0;  // the page has just loaded what there is: no change to report
    if (auto resources = ctx.store.ListResources()) {
        for (const Resource& r : *resources) {
            // The newest samples as the dashboard's stats read them (control/dashboard.cpp): fresh, never ahead of now.
            json item = {{"id", r.id}};
            const auto demand = FreshSample(ctx.store, {r.id, r.load_metric}, now, max_age);
            const auto ready = FreshSample(ctx.store, {r.id, "capacity"}, now, max_age);
            const auto cost = FreshSample(ctx.store, {r.id, "cost_per_hour"}, now, max_age);
            const auto cpu = FreshSample(ctx.store, {r.id, "cpu_utilization"}, now, max_age);
            item["ts"] = demand ? demand->ts : now;
            item["demand"] = demand ? json(demand->value) : json(nullptr);
            item["ready"] = ready ? json(ready->value) : json(nullptr);
            item["cost_per_hour"] = cost ? json(cost->value) : json(nullptr);
            if (cpu)
                item["utilization"] = cpu->value;
            else if (demand && ready && ready->value > 0 && r.capacity_per_instance > 0)
                item["utilization"] = std::min(1.0, demand->value / (ready->value * r.capacity_per_instance));
            else
                item["utilization"] = nullptr;
            out["resources"].push_back(std::move(item));
            if (auto f = ctx.store.LatestPrediction(r.id, r.load_metric); f && *f)
                out["forecasts"][std::to_string(r.id)] = (*f)->generated_at;
        }
    }
    // Actions recorded since the last event, oldest first (the store lists newest first).
    ActionQuery newest_actions;
    newest_actions.limit = 50;
    if (auto actions = ctx.store.ListActions(newest_actions)) {
        std::int64_t newest = cursor.last_action_id;
        std::vector<const AllocationAction*> fresh;
        for (const AllocationAction& a : *actions) {
            newest = std::max(newest, a.id);
            if (cursor.last_action_id >= 0 && a.id > cursor.last_action_id) fresh.push_back(&a);
        }
        std::sort(fresh.begin(), fresh.end(), [](auto* a, auto* b) { return a->id < b->id; });
        for (const AllocationAction* a : fresh) out["actions"].push_back(ToJson(*a));
        cursor.last_action_id = std::max<std::int64_t>(newest, 0);
    }
    // Alerts and open recommendations change seldom: the event says when, and the page asks for them then.
    std::string alerts_digest;
    if (auto alerts = ctx.store.ListAlerts({std::nullopt, std::nullopt, 100}))
        for (const Alert& a : *alerts) alerts_digest += std::to_string(a.id) + a.state + ",";
    std::string recommendations_digest;
    if (auto open = ctx.store.ListRecommendations(std::string("open")))
        for (const Recommendation& r : *open) recommendations_digest += std::to_string(r.id) + ",";
    out["alerts_changed"] = !first && alerts_digest != cursor.alerts_seen;
    out["recommendations_changed"] = !first && recommendations_digest != cursor.recommendations_seen;
    cursor.alerts_seen = std::move(alerts_digest);
    cursor.recommendations_seen = std::move(recommendations_digest);
    // "passes" and "now" lead, as they did when they were all an event said (readers may match on that prefix).
    return "{\"passes\":" + std::to_string(passes) + ",\"now\":" + std::to_string(now) + "," + out.dump().substr(1);
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
        auto range = RangeParams(req, now);
        auto step = IntParam(req, "step", 1, 366LL * 86400);
        if (!range) return ErrorResponse(range.error());
        if (!step) return ErrorResponse(step.error());
        // The bound is exclusive here: a default `to` of now + 1 includes the sample taken at now.
        const UnixSeconds t_from = range->first;
        const UnixSeconds t_to = req.Query("to") ? range->second : range->second + 1;
        // Default step: about 300 points across the range, never finer than a minute.
        const UnixSeconds t_step = step->value_or(std::max<UnixSeconds>(60, (t_to - t_from) / 300));
        if ((t_to - t_from) / t_step > kMaxHistoryPoints)
            return ErrorResponse(
                MakeError(ErrorCode::kUnprocessable, "range/step gives more than 5000 points; use a larger step"));
        auto history = ComputeHistory(ctx.store, only, t_from, t_to, t_step);
        if (!history) return ErrorResponse(history.error());
        JsonWriter w;
        w.BeginObject().Key("from").Int(t_from).Key("to").Int(t_to).Key("step").Int(t_step).Key("now").Int(now);
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
            w.Key("utilization");
            WriteSamples(w, h.utilization);
            w.Key("capacity_per_instance").Double(h.resource.capacity_per_instance);
            w.Key("target_low").Double(h.resource.target_low).Key("target_high").Double(h.resource.target_high);
            w.EndObject();
        }
        w.EndArray().EndObject();
        HttpResponse response;
        response.body = w.Take();
        return response;
    });

    // Cost per hour of what ran against static over a range, and saved against static by the one definition
    // (docs/SAVINGS.md; api/dashboard_live.hpp).
    router.Add(
        "GET", "/api/dashboard/savings",
        [&ctx](const HttpRequest& req) {
            const UnixSeconds now = ctx.clock.Now();
            auto range = RangeParams(req, now);
            auto points = IntParam(req, "points", 10, 2000);
            if (!range) return ErrorResponse(range.error());
            if (!points) return ErrorResponse(points.error());
            if (range->second - range->first > kMaxSavingsRange)
                return ErrorResponse(MakeError(ErrorCode::kUnprocessable,
                                               "range: at most 31 days (the month window); ask for a shorter one"));
            json body = SavingsSeries(ctx, range->first, range->second,
                                      static_cast<std::size_t>(points->value_or(kDefaultSavingsPoints)));
            body["now"] = now;
            return JsonResponse(200, body);
        },
        RouteCost::kBlocking);  // replays the range: off the I/O threads

    router.Add("GET", "/api/dashboard/planned",
               [&ctx](const HttpRequest&) { return JsonResponse(200, NextPlannedChanges(ctx, ctx.clock.Now())); });
}

}  // namespace cloudopt::api::detail
