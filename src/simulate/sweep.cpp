#include "simulate/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/text.hpp"
#include "simulate/seasonal_policy.hpp"

namespace cloudopt {

namespace {

std::optional<QuantileLevel> SweepQuantileLevel(double q) {
    const auto close = [q](double level) { return std::abs(q - level) < 1e-9; };
    if (close(0.5)) return QuantileLevel::kP50;
    if (close(0.9)) return QuantileLevel::kP90;
    if (close(0.95)) return QuantileLevel::kP95;
    if (close(0.99)) return QuantileLevel::kP99;
    if (close(0.999)) return QuantileLevel::kP999;  // extrapolated from the band's tail (core/forecast.hpp)
    return std::nullopt;
}

SweepPoint PointOf(std::string policy, std::map<std::string, double> setting, const PolicyResult& r,
                   double static_cost) {
    SweepPoint p;
    p.policy = std::move(policy);
    p.setting = std::move(setting);
    p.cost_rel = static_cost > 0 ? r.cost / static_cost : 1.0;
    p.unmet = r.unmet;
    p.hot = r.hot;
    const double per_day = r.days > 0 ? 1.0 / r.days : 0.0;
    p.flaps_per_day = r.flaps * per_day;
    p.actions_per_day = r.actions * per_day;
    return p;
}

}  // namespace

namespace {
std::string SweepNumber(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
}
}  // namespace

std::string SweepPoint::Label() const {
    std::ostringstream out;
    out << policy;
    for (const auto& [key, value] : setting) out << " " << key << "=" << value;
    return out.str();
}

Result<std::vector<double>> ParseSweepList(const std::string& text, double low, double high, const std::string& what) {
    std::vector<double> out;
    for (std::string_view item : Split(text, ',')) {
        const auto value = ParseDouble(Trim(item));
        if (!value || *value < low || *value > high)
            return MakeError(ErrorCode::kInvalidArgument, what + ": each value must be a number in [" +
                                                              SweepNumber(low) + ", " + SweepNumber(high) + "] (got '" +
                                                              std::string(Trim(item)) + "')");
        out.push_back(*value);
    }
    if (out.empty()) return MakeError(ErrorCode::kInvalidArgument, what + ": give at least one value");
    return out;
}

Result<std::vector<SweepPoint>> SweepFamily(const RegularSeries& series, const std::string& family,
                                            const ReplayOptions& base, const SweepGrid& grid) {
    if (family != "predictive" && family != "reactive" && family != "seasonal" && family != "oracle")
        return MakeError(ErrorCode::kInvalidArgument,
                         "unknown sweep policy '" + family + "'; known: " + kSweepPolicies);
    // Static at the base target is every point's yardstick, and fixes the capacity per instance.
    auto yardstick = ReplaySeries(series, {"static"}, base);
    if (!yardstick) return yardstick.error();
    const double static_cost = yardstick->policies.at("static").cost;
    ReplayOptions fixed = base;
    fixed.capacity_per_instance = yardstick->capacity_per_instance;
    std::vector<SweepPoint> out;
    if (family == "oracle") {
        auto r = ReplaySeries(series, {"oracle"}, fixed);
        if (!r) return r.error();
        out.push_back(PointOf("oracle", {}, r->policies.at("oracle"), static_cost));
        out.push_back(PointOf("static", {}, yardstick->policies.at("static"), static_cost));
    } else if (family == "reactive") {
        for (double target : grid.hpa_targets) {
            ReplayOptions o = fixed;
            o.target = target;
            auto r = ReplaySeries(series, {"reactive"}, o);
            if (!r) return r.error();
            out.push_back(PointOf("reactive", {{"target", target}}, r->policies.at("reactive"), static_cost));
        }
    } else if (family == "seasonal") {
        for (double target : grid.seasonal_targets) {
            if (!(target > 0 && target <= 1))
                return MakeError(ErrorCode::kInvalidArgument, "seasonal target must be in (0, 1]");
            SeasonalPolicyOptions so;
            so.target = target;
            SeasonalPolicy policy(series, fixed.capacity_per_instance, so);
            auto r = ReplayExternalPolicy(series, fixed.capacity_per_instance, fixed,
                                          [&policy](std::size_t k, int desired, int ready_previous) {
                                              return policy.Decide(k, desired, ready_previous);
                                          });
            if (!r) return r.error();
            out.push_back(PointOf("seasonal", {{"target", target}}, *r, static_cost));
        }
    } else {
        std::vector<EngineOptions> engines;
        std::vector<std::map<std::string, double>> settings;
        for (double q : grid.quantiles) {
            const auto level = SweepQuantileLevel(q);
            if (!level)
                return MakeError(
                    ErrorCode::kInvalidArgument,
                    "sweep quantiles must be 0.5, 0.9, 0.95, 0.99 (the calibrated bands) or 0.999 (extrapolated from "
                    "the p95-p99 band)");
            for (double budget : grid.unmet_budgets) {
                EngineOptions e = fixed.engine;
                e.quantile = *level;
                e.service_level.budget = budget;
                engines.push_back(e);
                settings.push_back({{"quantile", q}, {"unmet_budget", budget}});
            }
        }
        auto results = ReplayPredictiveEngines(series, fixed.capacity_per_instance, fixed, engines);
        if (!results) return results.error();
        for (std::size_t i = 0; i < results->size(); ++i)
            out.push_back(PointOf("predictive", settings[i], (*results)[i], static_cost));
    }
    return out;
}

std::vector<SweepPoint> AverageSweep(const std::vector<std::vector<SweepPoint>>& per_series) {
    std::map<std::pair<std::string, std::map<std::string, double>>, std::pair<SweepPoint, int>> sums;
    std::vector<std::pair<std::string, std::map<std::string, double>>> order;
    for (const auto& points : per_series) {
        for (const SweepPoint& p : points) {
            auto key = std::make_pair(p.policy, p.setting);
            auto [it, inserted] = sums.try_emplace(key, SweepPoint{p.policy, p.setting, 0, 0, 0, 0, 0}, 0);
            if (inserted) order.push_back(key);
            SweepPoint& s = it->second.first;
            s.cost_rel += p.cost_rel;
            s.unmet += p.unmet;
            s.hot += p.hot;
            s.flaps_per_day += p.flaps_per_day;
            s.actions_per_day += p.actions_per_day;
            ++it->second.second;
        }
    }
    std::vector<SweepPoint> out;
    for (const auto& key : order) {
        auto [s, n] = sums.at(key);
        const double d = static_cast<double>(n);
        s.cost_rel /= d;
        s.unmet /= d;
        s.hot /= d;
        s.flaps_per_day /= d;
        s.actions_per_day /= d;
        out.push_back(std::move(s));
    }
    return out;
}

std::optional<SweepPoint> CheapestWithin(const std::vector<SweepPoint>& points, double unmet_budget,
                                         const std::string& policy) {
    std::optional<SweepPoint> best;
    for (const SweepPoint& p : points) {
        if (!policy.empty() && p.policy != policy) continue;
        if (p.unmet > unmet_budget + 1e-12) continue;
        if (!best || p.cost_rel < best->cost_rel) best = p;
    }
    return best;
}

Result<SweepRun> RunSweepGrid(const std::map<std::string, RegularSeries>& all, const ReplayOptions& options,
                              const SweepRunOptions& run) {
    for (const std::string& f : run.families)
        if (f != "predictive" && f != "reactive" && f != "seasonal" && f != "oracle")
            return MakeError(ErrorCode::kInvalidArgument, "unknown sweep policy '" + f + "'; known: " + kSweepPolicies);
    struct Task {
        std::string id;
        const RegularSeries* series;
        std::string family;
    };
    SweepRun out;
    std::vector<Task> tasks;
    for (const auto& [id, series] : all) {
        out.ids.push_back(id);
        for (const std::string& f : run.families)
            if (f == "predictive") tasks.push_back({id, &series, f});
    }
    for (const auto& [id, series] : all)
        for (const std::string& f : run.families)
            if (f != "predictive") tasks.push_back({id, &series, f});
    out.jobs = std::clamp(run.jobs, 1, static_cast<int>(std::max<std::size_t>(1, tasks.size())));
    ReplayOptions task_options = options;
    if (out.jobs > 1) task_options.models.lstm.train.threads = 1;
    std::vector<std::optional<Result<std::vector<SweepPoint>>>> results(tasks.size());
    std::atomic<std::size_t> next{0}, finished{0};
    std::atomic<bool> stopped{false};
    std::mutex progress_mutex;
    auto worker = [&] {
        for (std::size_t i = next++; i < tasks.size(); i = next++) {
            if (run.cancelled && run.cancelled()) {
                stopped = true;
                next = tasks.size();
                break;
            }
            results[i] = SweepFamily(*tasks[i].series, tasks[i].family, task_options, run.grid);
            std::lock_guard lock(progress_mutex);
            ++finished;
            if (run.progress) run.progress(finished, tasks.size(), tasks[i].id, tasks[i].family);
            if (!*results[i]) next = tasks.size();  // the run fails anyway
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < out.jobs; ++t) pool.emplace_back(worker);
    worker();
    for (std::thread& t : pool) t.join();
    if (stopped) return MakeError(ErrorCode::kUnavailable, "cancelled, or the service is shutting down");
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (!results[i]) continue;
        if (!*results[i])
            return Error{results[i]->error().code,
                         "series '" + tasks[i].id + "' (" + tasks[i].family + "): " + results[i]->error().message};
        auto& points = out.per_series[tasks[i].id];
        for (const SweepPoint& p : **results[i]) {
            // Every family replays static as its yardstick; keep it once.
            if (p.policy == "static" &&
                std::any_of(points.begin(), points.end(), [](const SweepPoint& q) { return q.policy == "static"; }))
                continue;
            points.push_back(p);
        }
    }
    std::vector<std::vector<SweepPoint>> in_order;
    for (const std::string& id : out.ids) in_order.push_back(out.per_series[id]);
    out.points = AverageSweep(in_order);
    // The oracle sees the future: it is drawn as the bound, never named as a setting to run.
    std::vector<SweepPoint> runnable;
    for (const SweepPoint& p : out.points)
        if (p.policy != "oracle") runnable.push_back(p);
    out.cheapest = CheapestWithin(runnable, run.unmet_budget);
    out.cheapest_predictive = CheapestWithin(out.points, run.unmet_budget, "predictive");
    return out;
}

}  // namespace cloudopt
