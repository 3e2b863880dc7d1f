#include "api/policy_comparison.hpp"

#include <memory>
#include <mutex>

#include "control/dashboard.hpp"
#include "simulate/service_comparison.hpp"

namespace cloudopt::api {

struct ComparisonCache {
    std::mutex mutex;
    UnixSeconds bucket = -1;  // the 5-minute step `value` was computed in
    nlohmann::json value;
};

std::shared_ptr<ComparisonCache> NewComparisonCache() { return std::make_shared<ComparisonCache>(); }

}  // namespace cloudopt::api

namespace cloudopt::api::detail {

using nlohmann::json;

namespace {

json OutcomeJson(const PolicyOutcome& o) {
    return {{"cost", o.cost}, {"instance_hours", o.instance_hours}, {"unmet", o.unmet}, {"actions", o.actions}};
}

json Compute(ApiContext& ctx, UnixSeconds now);

}  // namespace

json PolicyComparison(ApiContext& ctx, UnixSeconds now) {
    // The dashboard asks for stats on every pushed event, and the comparison only moves when a 5-minute step
    // completes: replay once per step, not once per request.
    ComparisonCache& cache = *ctx.comparison_cache;
    const UnixSeconds bucket = now / kComparisonStep;
    {
        std::lock_guard lock(cache.mutex);
        if (cache.bucket == bucket) return cache.value;
    }
    json out = Compute(ctx, now);
    std::lock_guard lock(cache.mutex);
    cache.bucket = bucket;
    cache.value = out;
    return out;
}

namespace {

json Compute(ApiContext& ctx, UnixSeconds now) {
    const UnixSeconds from = (now - kComparisonWindow) / kComparisonStep * kComparisonStep;
    json out = {{"window_s", kComparisonWindow},
                {"step_s", kComparisonStep},
                {"policies", json::object()},
                {"resources", json::object()}};
    auto history = ComputeHistory(ctx.store, std::nullopt, from, now + 1, kComparisonStep);
    if (!history) {
        out["error"] = history.error().message;
        return out;
    }
    std::map<std::string, PolicyOutcome> total;
    std::map<std::string, int> replayed;
    for (const ResourceHistory& h : *history) {
        const auto type = ctx.loop.catalog().Find(h.resource.provider, h.resource.instance_type);
        auto compared = CompareWithBaselines(h.resource, type ? type->price_per_hour : 0.0, h.demand, h.capacity,
                                             h.cost_per_hour, kComparisonStep);
        json per = {{"name", h.resource.name}};
        if (!compared) {
            per["error"] = compared.error().message;  // e.g. a resource added minutes ago
        } else {
            per["steps"] = compared->steps;
            per["policies"] = json::object();
            for (const auto& [name, outcome] : compared->policies) {
                per["policies"][name] = OutcomeJson(outcome);
                PolicyOutcome& t = total[name];
                t.cost += outcome.cost;
                t.instance_hours += outcome.instance_hours;
                t.unmet += outcome.unmet;
                t.actions += outcome.actions;
                ++replayed[name];
            }
        }
        out["resources"][std::to_string(h.resource.id)] = std::move(per);
    }
    for (auto& [name, t] : total) {
        t.unmet /= replayed[name];
        out["policies"][name] = OutcomeJson(t);
    }
    return out;
}

}  // namespace

}  // namespace cloudopt::api::detail
