// /api/simulations: the policy comparison of `cloudopt simulate` (static, Kubernetes HPA, cloudopt's predictive
// planner, oracle) as a background job on a bundled trace or an uploaded CSV, for the dashboard's Simulation page.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>

#include "api/json_io.hpp"
#include "api/routes.hpp"
#include "api/sweep_job.hpp"
#include "core/trace_csv.hpp"
#include "simulate/replay.hpp"

namespace cloudopt::api::detail {

namespace {

constexpr std::size_t kMaxSeries = 8;          // per simulation: each series trains models
constexpr std::size_t kMaxChartPoints = 2000;  // per series in the result

double Round(double v, double scale = 1e4) { return std::round(v * scale) / scale; }

struct SimulationRequest {
    std::map<std::string, RegularSeries> series;
    std::string source;
    std::vector<std::string> policies;
    ReplayOptions options;
    std::optional<SweepRunOptions> sweep;  // set: the cost/risk frontier instead (api/sweep_job.hpp)
};

Result<SimulationRequest> ParseSimulation(const HttpRequest& req, const ApiContext& ctx) {
    auto body = ParseJsonBody(req);
    if (!body) return body.error();
    SimulationRequest out;
    if (Status s =
            CheckKnownFields(*body, {"dataset", "csv", "policies", "boot_delay_s", "target", "sweep"}, "simulation");
        !s)
        return s.error();
    if (body->contains("sweep")) {
        if (body->contains("policies"))
            return MakeError(ErrorCode::kUnprocessable, "policies: not with sweep; give sweep.policies instead");
        auto sweep = ParseSweepOption((*body)["sweep"]);
        if (!sweep) return sweep.error();
        out.sweep = std::move(*sweep);
    }
    const bool has_dataset = body->contains("dataset"), has_csv = body->contains("csv");
    if (has_dataset == has_csv)
        return MakeError(ErrorCode::kUnprocessable, "give either dataset (GET /api/simulations/datasets) or csv");
    std::string text;
    if (has_dataset) {
        const json& name = (*body)["dataset"];
        auto it =
            name.is_string() ? ctx.simulation_datasets.find(name.get<std::string>()) : ctx.simulation_datasets.end();
        if (it == ctx.simulation_datasets.end())
            return MakeError(ErrorCode::kUnprocessable, "dataset: unknown; GET /api/simulations/datasets lists them");
        std::ifstream in(it->second, std::ios::binary);
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        out.source = it->first;
    } else {
        if (!(*body)["csv"].is_string()) return MakeError(ErrorCode::kUnprocessable, "csv: must be the file's text");
        text = (*body)["csv"].get<std::string>();
        out.source = "uploaded CSV";
    }
    auto series = SeriesFromCsv(text);
    if (!series) return MakeError(ErrorCode::kUnprocessable, "csv: " + series.error().message);
    if (series->size() > kMaxSeries)
        return MakeError(ErrorCode::kUnprocessable, "csv: at most " + std::to_string(kMaxSeries) +
                                                        " series per simulation (use `cloudopt simulate` for more)");
    out.series = std::move(*series);
    // The predictive policy runs the service's own engine with its settings and model setup (loop.*), so the page
    // shows what this service would do on the file.
    const ControlLoopOptions& loop = ctx.loop.options();
    out.options.engine = ctx.loop.engine_options();  // with what was adopted since the start
    out.options.models = ServiceModelOptions(loop.train_epochs, loop.lstm_shape, loop.phase_bands, loop.reweigh);
    out.options.models.lstm.train.threads = 1;  // one core stays with the API and the loop
    out.policies = {"static", "reactive", "predictive", "oracle"};
    if (body->contains("policies")) {
        const json& p = (*body)["policies"];
        if (!p.is_array() || p.empty()) return MakeError(ErrorCode::kUnprocessable, "policies: a non-empty array");
        out.policies = {"static"};  // the yardstick of every relative cost
        for (const json& name : p) {
            if (!name.is_string() || !IsKnownPolicy(name.get<std::string>()))
                return MakeError(ErrorCode::kUnprocessable, std::string("policies: each one of ") + kPolicies);
            if (std::find(out.policies.begin(), out.policies.end(), name.get<std::string>()) == out.policies.end())
                out.policies.push_back(name.get<std::string>());
        }
    }
    if (body->contains("boot_delay_s")) {
        const json& b = (*body)["boot_delay_s"];
        if (!b.is_number_integer() || b.get<long long>() < 0 || b.get<long long>() > 3600)
            return MakeError(ErrorCode::kUnprocessable, "boot_delay_s: an integer from 0 to 3600");
        out.options.boot_delay_s = b.get<long long>();
    }
    if (body->contains("target")) {
        const json& t = (*body)["target"];
        if (!t.is_number() || t.get<double>() < 0.15 || t.get<double>() > 0.9)
            return MakeError(ErrorCode::kUnprocessable, "target: a utilization from 0.15 to 0.9");
        out.options.target = t.get<double>();
    }
    return out;
}

// Runs the replay of every series; the result has the averages per policy and, per series, the scored demand and
// each policy's ready capacity in demand units for the charts.
Result<std::string> RunSimulation(const SimulationRequest& sim, const JobRunner::Progress& progress,
                                  const JobRunner& jobs) {
    if (sim.sweep)
        return RunSweepJob(sim.series, sim.source, sim.options, *sim.sweep, progress,
                           [&jobs] { return jobs.stopping(); });
    json per_series = json::array();
    std::map<std::string, std::array<double, 5>> sums;  // cost_rel, unmet, hot, util, actions
    std::size_t done = 0;
    // The LSTM trains for minutes with the loop's epochs: a cancel or a shutdown stops it between batches.
    ReplayOptions options = sim.options;
    options.models.lstm.train.cancelled = [&jobs] { return jobs.stopping(); };
    for (const auto& [id, series] : sim.series) {
        if (jobs.stopping()) return MakeError(ErrorCode::kUnavailable, "cancelled, or the service is shutting down");
        auto replay = ReplaySeries(series, sim.policies, options);
        if (jobs.stopping()) return MakeError(ErrorCode::kUnavailable, "cancelled, or the service is shutting down");
        if (!replay) return Error{replay.error().code, "series '" + id + "': " + replay.error().message};
        const double static_cost = replay->policies.at("static").cost;
        const std::size_t n = replay->demand.size();
        const std::size_t stride = std::max<std::size_t>(1, (n + kMaxChartPoints - 1) / kMaxChartPoints);
        json demand = json::array(), ts = json::array();
        for (std::size_t i = 0; i < n; i += stride) {
            demand.push_back(Round(replay->demand[i], 1e3));
            ts.push_back(series.start + static_cast<UnixSeconds>(replay->first_scored + i) * series.step);
        }
        json policies = json::object();
        for (const std::string& name : sim.policies) {
            const PolicyResult& p = replay->policies.at(name);
            const double rel = static_cost > 0 ? p.cost / static_cost : 1.0;
            json capacity = json::array();
            for (std::size_t i = 0; i < p.ready.size(); i += stride)
                capacity.push_back(Round(p.ready[i] * replay->capacity_per_instance, 1e3));
            policies[name] = {{"cost_rel", Round(rel)}, {"unmet", Round(p.unmet)}, {"hot", Round(p.hot)},
                              {"util", Round(p.util)},  {"actions", p.actions},    {"capacity", capacity}};
            auto& s = sums[name];
            s[0] += rel, s[1] += p.unmet, s[2] += p.hot, s[3] += p.util, s[4] += p.actions;
        }
        per_series.push_back({{"id", id},
                              {"step", series.step},
                              {"capacity_per_instance", Round(replay->capacity_per_instance)},
                              {"ts", ts},
                              {"demand", demand},
                              {"policies", policies}});
        progress(static_cast<double>(++done) / static_cast<double>(sim.series.size()));
    }
    const double count = static_cast<double>(done);
    json summary = json::object();
    for (const std::string& name : sim.policies) {
        const auto& s = sums[name];
        summary[name] = {{"cost_rel", Round(s[0] / count)},
                         {"unmet", Round(s[1] / count)},
                         {"hot", Round(s[2] / count)},
                         {"util", Round(s[3] / count)},
                         {"actions", static_cast<long long>(s[4])}};
    }
    const EngineOptions& e = sim.options.engine;
    return json{{"source", sim.source},
                {"boot_delay_s", sim.options.boot_delay_s},
                {"target", sim.options.target},
                // The service's own settings the predictive policy ran with (loop.*).
                {"engine",
                 {{"quantile", QuantileLevelName(e.quantile)},
                  {"stabilization_seconds", e.stabilization_seconds},
                  {"scale_in_hysteresis", e.flap_guard.hysteresis},
                  {"flap_window_seconds", e.flap_guard.window_seconds},
                  {"scale_in_lookahead_seconds", e.flap_guard.lookahead_seconds},
                  {"flap_budget_per_day", e.flap_guard.flap_budget_per_day},
                  {"flap_hold_s", e.flap_guard.flap_hold_seconds},
                  {"min_scale_in_share", e.flap_guard.min_scale_in_share},
                  {"reactive_tolerance", e.flap_guard.reactive_tolerance},
                  {"unmet_budget", e.service_level.budget},
                  {"max_actions_per_resource_per_hour", e.max_actions_per_resource_per_hour},
                  {"lstm_epochs", sim.options.models.auto_includes_lstm ? sim.options.models.lstm.train.epochs : 0}}},
                {"policies", summary},
                {"series", per_series}}
        .dump();
}

}  // namespace

void AddSimulationRoutes(Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/simulations/datasets", [&ctx](const HttpRequest&) {
        json out = json::array();
        for (const auto& [name, path] : ctx.simulation_datasets) out.push_back({{"name", name}});
        return JsonResponse(200, {{"datasets", out}});
    });

    router.Add("POST", "/api/simulations", [&ctx](const HttpRequest& req) {
        auto sim = ParseSimulation(req, ctx);
        if (!sim) return ErrorResponse(sim.error());
        auto shared = std::make_shared<SimulationRequest>(std::move(*sim));
        JobRunner& jobs = ctx.jobs;
        // Each request is its own job (two users may compare different files at once); they run one at a time.
        const std::string subject = "simulation:" + std::to_string(reinterpret_cast<std::uintptr_t>(shared.get()));
        auto submitted = jobs.Submit(
            "simulate", subject,
            [shared, &jobs](const JobRunner::Progress& progress) { return RunSimulation(*shared, progress, jobs); },
            "requested", ctx.max_queued_simulations);
        if (submitted.refused) {
            return TooManyRequests(std::to_string(ctx.max_queued_simulations) +
                                       " simulations are queued or running (simulations.max_queued); wait for one "
                                       "to finish or cancel one (POST /api/jobs/{id}/cancel)",
                                   30);
        }
        HttpResponse r = JsonResponse(202, {{"job_id", submitted.job.id},
                                            {"status", JobStateName(submitted.job.state)},
                                            {"status_url", "/api/jobs/" + std::to_string(submitted.job.id)}});
        r.headers.emplace_back("Location", "/api/jobs/" + std::to_string(submitted.job.id));
        return r;
    });
}

}  // namespace cloudopt::api::detail
