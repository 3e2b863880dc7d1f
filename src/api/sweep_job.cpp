#include "api/sweep_job.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace cloudopt::api {

namespace {

double SweepRound(double v, int digits) {
    const double scale = std::pow(10.0, digits);
    return std::round(v * scale) / scale;
}

// Settings per list at most: each is a replay of every series, so a long list is hours of a background lane.
constexpr std::size_t kMaxSweepSettings = 20;

// A non-empty array of at most kMaxSweepSettings numbers each in [low, high], duplicates dropped; kUnprocessable
// naming `field`.
Result<std::vector<double>> SweepNumbers(const nlohmann::json& value, const std::string& field, double low, double high,
                                         const std::string& rule) {
    if (!value.is_array() || value.empty())
        return MakeError(ErrorCode::kUnprocessable, "sweep." + field + ": a non-empty array of " + rule);
    if (value.size() > kMaxSweepSettings)
        return MakeError(ErrorCode::kUnprocessable, "sweep." + field + ": at most " +
                                                        std::to_string(kMaxSweepSettings) + " settings (got " +
                                                        std::to_string(value.size()) + "); run several sweeps");
    std::vector<double> out;
    for (const nlohmann::json& v : value) {
        if (!v.is_number() || v.get<double>() < low || v.get<double>() > high)
            return MakeError(ErrorCode::kUnprocessable,
                             "sweep." + field + ": each one " + rule + " (got " + v.dump() + ")");
        if (std::find(out.begin(), out.end(), v.get<double>()) == out.end()) out.push_back(v.get<double>());
    }
    return out;
}

}  // namespace

nlohmann::json SweepPointJson(const SweepPoint& p) {
    nlohmann::json setting = nlohmann::json::object();
    for (const auto& [key, value] : p.setting) setting[key] = value;
    return {{"policy", p.policy},
            {"setting", setting},
            {"cost_rel", SweepRound(p.cost_rel, 4)},
            {"unmet", SweepRound(p.unmet, 5)},
            {"hot", SweepRound(p.hot, 5)},
            {"flaps_per_day", SweepRound(p.flaps_per_day, 2)},
            {"actions_per_day", SweepRound(p.actions_per_day, 2)}};
}

nlohmann::json SweepRunJson(const SweepRun& run, const SweepGrid& grid, double unmet_budget) {
    nlohmann::json points = nlohmann::json::array();
    for (const SweepPoint& p : run.points) points.push_back(SweepPointJson(p));
    nlohmann::json per_series = nlohmann::json::object();
    for (const std::string& id : run.ids) {
        nlohmann::json rows = nlohmann::json::array();
        if (auto it = run.per_series.find(id); it != run.per_series.end())
            for (const SweepPoint& p : it->second) rows.push_back(SweepPointJson(p));
        per_series[id] = rows;
    }
    return {
        {"sweep", true},
        {"series", run.ids.size()},
        {"unmet_budget", unmet_budget},
        {"grid",
         {{"quantiles", grid.quantiles},
          {"unmet_budgets", grid.unmet_budgets},
          {"hpa_targets", grid.hpa_targets},
          {"seasonal_targets", grid.seasonal_targets}}},
        {"points", points},
        {"cheapest", run.cheapest ? SweepPointJson(*run.cheapest) : nlohmann::json()},
        {"cheapest_predictive", run.cheapest_predictive ? SweepPointJson(*run.cheapest_predictive) : nlohmann::json()},
        {"per_series", per_series}};
}

Result<SweepRunOptions> ParseSweepOption(const nlohmann::json& sweep) {
    SweepRunOptions out;
    if (sweep.is_boolean()) {
        if (!sweep.get<bool>())
            return MakeError(ErrorCode::kUnprocessable,
                             "sweep: true or an object (leave it out to compare the policies at one setting)");
        return out;
    }
    if (!sweep.is_object())
        return MakeError(ErrorCode::kUnprocessable,
                         "sweep: true (the default grid) or an object {policies, quantiles, unmet_budgets, targets, "
                         "unmet_budget}");
    static const std::set<std::string> kFields = {"policies", "quantiles", "unmet_budgets", "targets", "unmet_budget"};
    for (const auto& [key, value] : sweep.items())
        if (!kFields.count(key))
            return MakeError(ErrorCode::kUnprocessable,
                             "sweep." + key +
                                 ": unknown; known: policies, quantiles, unmet_budgets, targets, "
                                 "unmet_budget");
    if (sweep.contains("policies")) {
        const nlohmann::json& p = sweep["policies"];
        if (!p.is_array() || p.empty())
            return MakeError(ErrorCode::kUnprocessable,
                             std::string("sweep.policies: a non-empty array of ") + kSweepPolicies);
        out.families.clear();
        for (const nlohmann::json& name : p) {
            const std::string n = name.is_string() ? name.get<std::string>() : "";
            if (n != "predictive" && n != "reactive" && n != "seasonal" && n != "oracle")
                return MakeError(
                    ErrorCode::kUnprocessable,
                    "sweep.policies: each one of " + std::string(kSweepPolicies) + " (got " + name.dump() + ")");
            if (std::find(out.families.begin(), out.families.end(), n) == out.families.end()) out.families.push_back(n);
        }
    }
    if (sweep.contains("quantiles")) {
        auto q = SweepNumbers(sweep["quantiles"], "quantiles", 0.5, 0.999, "of 0.5, 0.9, 0.95, 0.99, 0.999");
        if (!q) return q.error();
        static constexpr double kLevels[] = {0.5, 0.9, 0.95, 0.99, 0.999};
        for (double v : *q)
            if (std::none_of(std::begin(kLevels), std::end(kLevels),
                             [v](double level) { return std::abs(v - level) < 1e-9; }))
                return MakeError(ErrorCode::kUnprocessable,
                                 "sweep.quantiles: each one of 0.5, 0.9, 0.95, 0.99 (the calibrated bands) or 0.999 "
                                 "(extrapolated from the p95-p99 band)");
        out.grid.quantiles = *q;
    }
    if (sweep.contains("unmet_budgets")) {
        auto b = SweepNumbers(sweep["unmet_budgets"], "unmet_budgets", 0.0, 0.5, "a share in [0, 0.5]");
        if (!b) return b.error();
        out.grid.unmet_budgets = *b;
    }
    if (sweep.contains("targets")) {
        auto t = SweepNumbers(sweep["targets"], "targets", 0.15, 0.9, "a utilization in [0.15, 0.9]");
        if (!t) return t.error();
        out.grid.hpa_targets = *t;
        out.grid.seasonal_targets = *t;
    }
    if (sweep.contains("unmet_budget")) {
        const nlohmann::json& u = sweep["unmet_budget"];
        if (!u.is_number() || u.get<double>() < 0 || u.get<double>() > 0.5)
            return MakeError(ErrorCode::kUnprocessable, "sweep.unmet_budget: a share of demand in [0, 0.5]");
        out.unmet_budget = u.get<double>();
    }
    return out;
}

Result<std::string> RunSweepJob(const std::map<std::string, RegularSeries>& series, const std::string& source,
                                ReplayOptions options, SweepRunOptions sweep,
                                const std::function<void(double)>& progress, const std::function<bool()>& stopped) {
    const auto started = std::chrono::steady_clock::now();
    options.models.lstm.train.cancelled = stopped;
    const bool predictive =
        std::find(sweep.families.begin(), sweep.families.end(), "predictive") != sweep.families.end();
    if (predictive)
        if (Status s = AddFleetNetwork(series, {"predictive"}, options); !s)
            return Error{s.error().code, "lstm_fleet: " + s.error().message};
    if (stopped && stopped()) return MakeError(ErrorCode::kUnavailable, "cancelled, or the service is shutting down");
    sweep.jobs = 1;
    sweep.cancelled = stopped;
    sweep.progress = [&progress](std::size_t done, std::size_t total, const std::string&, const std::string&) {
        if (progress) progress(static_cast<double>(done) / static_cast<double>(std::max<std::size_t>(1, total)));
    };
    auto run = RunSweepGrid(series, options, sweep);
    if (!run) return run.error();
    if (stopped && stopped()) return MakeError(ErrorCode::kUnavailable, "cancelled, or the service is shutting down");
    nlohmann::json out = SweepRunJson(*run, sweep.grid, sweep.unmet_budget);
    out["source"] = source;
    out["boot_delay_s"] = options.boot_delay_s;
    out["target"] = options.target;
    out["epochs"] = options.models.auto_includes_lstm ? options.models.lstm.train.epochs : 0;
    out["seconds"] = SweepRound(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), 1);
    return out.dump();
}

}  // namespace cloudopt::api
