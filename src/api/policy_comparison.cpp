#include "api/policy_comparison.hpp"

#include <map>
#include <memory>
#include <mutex>

#include "control/dashboard.hpp"
#include "simulate/service_comparison.hpp"

namespace cloudopt::api {

struct ComparisonCache {
    struct Entry {
        UnixSeconds bucket = -1;  // the step of its window `value` was computed in
        nlohmann::json value;
    };
    std::mutex mutex;
    std::map<std::string, Entry> by_window;
};

std::shared_ptr<ComparisonCache> NewComparisonCache() { return std::make_shared<ComparisonCache>(); }

}  // namespace cloudopt::api

namespace cloudopt::api::detail {

using nlohmann::json;

namespace {

json OutcomeJson(const PolicyOutcome& o) {
    return {{"cost", o.cost}, {"instance_hours", o.instance_hours}, {"unmet", o.unmet}, {"actions", o.actions}};
}

json Compute(ApiContext& ctx, UnixSeconds now, const ComparisonWindow& window);

}  // namespace

json PolicyComparison(ApiContext& ctx, UnixSeconds now, const ComparisonWindow& window) {
    // The dashboard asks for stats on every pushed event, and a window's comparison only moves when one of its
    // steps completes: replay once per step (reuse_s), not once per request.
    ComparisonCache& cache = *ctx.comparison_cache;
    const UnixSeconds bucket = now / window.reuse_s;
    {
        std::lock_guard lock(cache.mutex);
        const auto it = cache.by_window.find(window.key);
        if (it != cache.by_window.end() && it->second.bucket == bucket) return it->second.value;
    }
    json out = Compute(ctx, now, window);
    std::lock_guard lock(cache.mutex);
    cache.by_window[window.key] = {bucket, out};
    return out;
}

json SavedAgainstStatic(const json& comparison) {
    json out = {{"window_s", comparison.value("window_s", 0)}, {"step_s", comparison.value("step_s", 0)}};
    const json& policies = comparison.contains("policies") ? comparison["policies"] : json::object();
    int replayed = 0;
    if (comparison.contains("resources"))
        for (const auto& [id, per] : comparison["resources"].items()) replayed += per.contains("policies");
    out["resources"] = replayed;
    if (!policies.contains("static") || !policies.contains("actual")) {
        out["static_cost"] = nullptr;
        out["actual_cost"] = nullptr;
        out["saved"] = nullptr;
        out["reason"] =
            comparison.value("error", "no resource has enough recorded load and capacity in the window yet");
        return out;
    }
    const double fixed = policies["static"]["cost"].get<double>();
    const double actual = policies["actual"]["cost"].get<double>();
    out["static_cost"] = fixed;
    out["actual_cost"] = actual;
    out["saved"] = fixed - actual;
    return out;
}

json SavedPerWindow(ApiContext& ctx, UnixSeconds now, const json& day) {
    json out = json::object();
    for (const ComparisonWindow& w : kComparisonWindows)
        out[w.key] = SavedAgainstStatic(std::string(w.key) == kDayWindow.key ? day : PolicyComparison(ctx, now, w));
    return out;
}

json CouldSave(const std::vector<Recommendation>& open) {
    double per_hour = 0.0;
    int count = 0;
    for (const Recommendation& r : open) {
        if (r.status != "open") continue;
        per_hour += r.hourly_cost_before - r.hourly_cost_after;
        ++count;
    }
    return {{"per_hour", per_hour}, {"open_recommendations", count}};
}

namespace {

json Compute(ApiContext& ctx, UnixSeconds now, const ComparisonWindow& window) {
    const UnixSeconds from = (now - window.seconds) / window.step * window.step;
    json out = {{"window", window.key},
                {"window_s", window.seconds},
                {"step_s", window.step},
                {"policies", json::object()},
                {"resources", json::object()}};
    auto history = ComputeHistory(ctx.store, std::nullopt, from, now + 1, window.step);
    if (!history) {
        out["error"] = history.error().message;
        return out;
    }
    std::map<std::string, PolicyOutcome> total;
    std::map<std::string, int> replayed;
    for (const ResourceHistory& h : *history) {
        const auto type = ctx.loop.catalog().Find(h.resource.provider, h.resource.instance_type);
        auto compared = CompareWithBaselines(h.resource, type ? type->price_per_hour : 0.0, h.demand, h.capacity,
                                             h.cost_per_hour, window.step);
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
            if (compared->policies.count("static") && compared->policies.count("actual"))
                per["saved"] = compared->policies.at("static").cost - compared->policies.at("actual").cost;
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
