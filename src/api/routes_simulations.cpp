// /api/simulations: the policy comparison of `cloudopt simulate` (static, Kubernetes HPA, cloudopt's predictive
// planner, oracle) as a background job on a bundled trace or an uploaded CSV, for the dashboard's Simulation page;
// and /api/settings/adopt, which adopts a sweep's predictive setting in the running loop (docs/COSTS.md).

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <mutex>

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
                  {"scale_out_tolerance", e.flap_guard.scale_out_tolerance},
                  {"unmet_budget", e.service_level.budget},
                  {"max_actions_per_resource_per_hour", e.max_actions_per_resource_per_hour},
                  {"lstm_epochs", sim.options.models.auto_includes_lstm ? sim.options.models.lstm.train.epochs : 0}}},
                {"policies", summary},
                {"series", per_series}}
        .dump();
}

// --- /api/settings/adopt ---

std::string AdoptNumber(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// The quantiles the loop plans at, as a sweep names them (simulate/sweep.hpp): 0.999 is p99.9, extrapolated.
std::optional<QuantileLevel> SweptQuantile(double q) {
    for (auto [value, level] : {std::pair{0.5, QuantileLevel::kP50},
                                {0.9, QuantileLevel::kP90},
                                {0.95, QuantileLevel::kP95},
                                {0.99, QuantileLevel::kP99},
                                {0.999, QuantileLevel::kP999}})
        if (std::abs(q - value) < 1e-9) return level;
    return std::nullopt;
}

json Setting(QuantileLevel quantile, double unmet_budget) {
    return {{"quantile", QuantileLevelName(quantile)}, {"unmet_budget", unmet_budget}};
}

struct Adoption {
    QuantileLevel quantile = QuantileLevel::kP95;
    double unmet_budget = 0.005;
    std::string reason;
    std::string evidence_json;  // the sweep's whole result
};

Result<QuantileLevel> ParseAdoptedQuantile(const json& q) {
    if (q.is_number())
        if (auto level = SweptQuantile(q.get<double>())) return *level;
    if (q.is_string())
        if (auto level = ParseQuantileLevel(q.get<std::string>())) return *level;
    return MakeError(ErrorCode::kUnprocessable,
                     "quantile: one of 0.5, 0.9, 0.95, 0.99, 0.999 (or p50, p90, p95, p99, p99.9)");
}

// The cheapest predictive point of a sweep's result whose mean unmet is at most `max_unmet`: the rule of
// simulate/sweep.hpp CheapestWithin over the points as the job's result has them, which is what the dashboard's
// frontier applies to a budget typed after the sweep ran. Null when none is within it.
const json* CheapestPredictiveWithin(const json& result, double max_unmet) {
    const json* best = nullptr;
    const auto points = result.find("points");
    if (points == result.end() || !points->is_array()) return best;
    for (const json& point : *points) {
        if (!point.is_object() || point.value("policy", "") != "predictive") continue;
        const json& unmet = point.value("unmet", json());
        const json& cost = point.value("cost_rel", json());
        if (!unmet.is_number() || !cost.is_number() || unmet.get<double>() > max_unmet + 1e-12) continue;
        if (!best || cost.get<double>() < (*best)["cost_rel"].get<double>()) best = &point;
    }
    return best;
}

// {"job_id"} adopts the sweep's cheapest predictive setting within its unmet budget; {"job_id", "max_unmet"} the
// cheapest within another budget (the user's, typed after the sweep ran); {"job_id", "quantile", "unmet_budget"} one
// of its other predictive points. The sweep is kept as the evidence either way.
Result<Adoption> ParseAdoption(const HttpRequest& req, const JobRunner& jobs) {
    auto body = ParseJsonBody(req);
    if (!body) return body.error();
    if (Status s = CheckKnownFields(*body, {"job_id", "quantile", "unmet_budget", "max_unmet"}, "adoption"); !s)
        return s.error();
    const json& id = body->value("job_id", json());
    if (!id.is_number_integer() || id.get<long long>() <= 0)
        return MakeError(ErrorCode::kUnprocessable,
                         "job_id: the id of a finished sweep job (POST /api/simulations with \"sweep\")");
    const std::int64_t job_id = id.get<std::int64_t>();
    const std::string which = "job_id: job " + std::to_string(job_id);
    const std::optional<JobInfo> job = jobs.Get(job_id);
    if (!job || job->kind != "simulate")
        return MakeError(ErrorCode::kUnprocessable,
                         which +
                             " is not a simulation this service knows (jobs are kept in memory: run the sweep "
                             "again after a restart)");
    if (job->state != JobState::kSucceeded)
        return MakeError(ErrorCode::kUnprocessable, which + " is " + JobStateName(job->state) +
                                                        ": adopt from a sweep that succeeded (GET /api/jobs/" +
                                                        std::to_string(job_id) + ")");
    json result = json::parse(job->result_json, nullptr, false);
    if (!result.is_object() || !result.value("sweep", false))
        return MakeError(ErrorCode::kUnprocessable,
                         which + " is a policy comparison, not a sweep: run POST /api/simulations with \"sweep\"");
    const double sweep_budget = result.value("unmet_budget", 0.0);
    Adoption out;
    out.evidence_json = job->result_json;
    const std::string trace = result.value("source", std::string("its data"));
    const bool explicit_q = body->contains("quantile"), explicit_b = body->contains("unmet_budget");
    if (explicit_q != explicit_b)
        return MakeError(ErrorCode::kUnprocessable,
                         explicit_q ? "unmet_budget: give it with quantile" : "quantile: give it with unmet_budget");
    if (body->contains("max_unmet")) {
        if (explicit_q)
            return MakeError(ErrorCode::kUnprocessable,
                             "max_unmet: give either max_unmet (the cheapest predictive point within it) or quantile "
                             "with unmet_budget (that point), not both");
        const json& m = (*body)["max_unmet"];
        if (!m.is_number() || !(m.get<double>() >= 0) || m.get<double>() > 1)
            return MakeError(ErrorCode::kUnprocessable,
                             "max_unmet: the highest mean share of demand left unmet the adopted setting may have, in "
                             "[0, 1]");
        const double max_unmet = m.get<double>();
        const json* cheapest = CheapestPredictiveWithin(result, max_unmet);
        if (!cheapest)
            return MakeError(ErrorCode::kUnprocessable,
                             "max_unmet: no predictive point of job " + std::to_string(job_id) + " left at most " +
                                 AdoptNumber(max_unmet) +
                                 " of demand unmet; raise it, or run a sweep with higher quantiles");
        const json& setting = cheapest->value("setting", json::object());
        auto q = ParseAdoptedQuantile(setting.value("quantile", json()));
        if (!q) return q.error();
        out.quantile = *q;
        out.unmet_budget = setting.value("unmet_budget", 0.005);
        out.reason = "the cheapest predictive setting with unmet <= " + AdoptNumber(max_unmet) + " in sweep job " +
                     std::to_string(job_id) + " on " + trace;
        return out;
    }
    if (!explicit_q) {
        const json& cheapest = result.value("cheapest_predictive", json());
        if (!cheapest.is_object())
            return MakeError(ErrorCode::kUnprocessable,
                             which + ": no predictive setting met the sweep's unmet budget " +
                                 AdoptNumber(sweep_budget) +
                                 "; run a sweep with a higher unmet_budget, or give quantile and unmet_budget of "
                                 "one of its points");
        const json& setting = cheapest.value("setting", json::object());
        auto q = ParseAdoptedQuantile(setting.value("quantile", json()));
        if (!q) return q.error();
        out.quantile = *q;
        out.unmet_budget = setting.value("unmet_budget", 0.005);
        out.reason = "the cheapest predictive setting with unmet <= " + AdoptNumber(sweep_budget) + " in sweep job " +
                     std::to_string(job_id) + " on " + trace;
        return out;
    }
    auto q = ParseAdoptedQuantile((*body)["quantile"]);
    if (!q) return q.error();
    const json& b = (*body)["unmet_budget"];
    if (!b.is_number() || b.get<double>() < 0 || b.get<double>() > 0.5)
        return MakeError(ErrorCode::kUnprocessable, "unmet_budget: a share of steps in [0, 0.5]");
    out.quantile = *q;
    out.unmet_budget = b.get<double>();
    // The evidence must hold the setting: a point the sweep replayed.
    bool swept = false;
    for (const json& point : result.value("points", json::array())) {
        if (point.value("policy", "") != "predictive") continue;
        const json& setting = point.value("setting", json::object());
        auto pq = ParseAdoptedQuantile(setting.value("quantile", json()));
        swept = swept ||
                (pq && *pq == out.quantile && std::abs(setting.value("unmet_budget", -1.0) - out.unmet_budget) < 1e-9);
    }
    if (!swept)
        return MakeError(ErrorCode::kUnprocessable,
                         "quantile: " + which + " did not replay predictive at " + QuantileLevelName(out.quantile) +
                             " with unmet_budget " + AdoptNumber(out.unmet_budget) +
                             "; adopt one of its predictive points, or sweep this setting first");
    out.reason = "predictive " + std::string(QuantileLevelName(out.quantile)) + ", unmet budget " +
                 AdoptNumber(out.unmet_budget) + " chosen from sweep job " + std::to_string(job_id) + " on " + trace;
    return out;
}

// Keeping or reading the adopted setting failed on the service's side (a read-only data directory, a file in the
// way): a valid request, so 500 with the message naming the path, never 400. An unreachable store stays 503.
Error ServerSide(Error error) {
    if (error.code != ErrorCode::kUnavailable) error.code = ErrorCode::kInternal;
    return error;
}

json AdoptedJson(const AdoptedRecord& record) {
    json out = {{"quantile", QuantileLevelName(record.quantile)},
                {"unmet_budget", record.unmet_budget},
                {"kept_in", record.shared_id > 0 ? "shared store" : "file"},
                {"file", record.file.empty() ? json() : json(record.file)},
                {"evidence", record.evidence},
                {"reason", record.reason}};
    if (record.shared_id > 0) {
        out["adoption_id"] = record.shared_id;
        out["replica"] = record.replica;  // whose data directory holds the evidence
        out["adopted_at"] = record.adopted_at;
    }
    json summary = json::parse(record.evidence_summary_json, nullptr, false);
    out["evidence_summary"] = summary.is_discarded() ? json() : summary;
    return out;
}

void AddSettingsRoutes(Router& router, ApiContext& ctx) {
    router.Add(
        "GET", "/api/settings/adopt",
        [&ctx](const HttpRequest&) {
            const EngineOptions now = ctx.loop.engine_options();
            json out = Setting(now.quantile, now.service_level.budget);
            json adopted;
            if (ctx.adoption.current) {
                auto current = ctx.adoption.current();
                if (!current) return ErrorResponse(ServerSide(current.error()));
                if (*current) adopted = AdoptedJson(**current);
            }
            out["source"] = adopted.is_null() ? "config" : "adopted";
            out["adopted"] = adopted;
            out["can_adopt"] = static_cast<bool>(ctx.adoption.persist);
            return JsonResponse(200, out);
        },
        RouteCost::kBlocking);  // reads adopted.yaml and its evidence file, or the shared store

    auto serialized = std::make_shared<std::mutex>();  // one adoption at a time: the file and the loop agree
    router.Add(
        "POST", "/api/settings/adopt",
        [&ctx, serialized](const HttpRequest& req) {
            if (!ctx.adoption.persist)
                return ErrorResponse({ErrorCode::kUnavailable,
                                      "this service keeps no adopted settings (no data directory); set loop.quantile "
                                      "and loop.unmet_budget in its config instead"});
            auto adoption = ParseAdoption(req, ctx.jobs);
            if (!adoption) return ErrorResponse(adoption.error());
            std::lock_guard lock(*serialized);
            const std::string actor = req.principal ? req.principal->Actor() : "anonymous";
            const EngineOptions before = ctx.loop.engine_options();
            // Kept first: a setting the service could not keep is not applied, so a restart never undoes it unseen.
            auto record =
                ctx.adoption.persist(adoption->quantile, adoption->unmet_budget,
                                     "adopted by " + actor + " through POST /api/settings/adopt: " + adoption->reason,
                                     adoption->evidence_json);
            if (!record) {
                spdlog::error("adoption by {} not kept, nothing applied: {}", actor, record.error().message);
                return ErrorResponse(ServerSide(record.error()));
            }
            ctx.loop.AdoptRisk(adoption->quantile, adoption->unmet_budget);
            json changed = json::array();
            if (before.quantile != adoption->quantile) changed.push_back("loop.quantile");
            if (std::abs(before.service_level.budget - adoption->unmet_budget) > 1e-12)
                changed.push_back("loop.unmet_budget");
            const std::string detail = "loop.quantile " + std::string(QuantileLevelName(before.quantile)) + " -> " +
                                       QuantileLevelName(adoption->quantile) + ", loop.unmet_budget " +
                                       AdoptNumber(before.service_level.budget) + " -> " +
                                       AdoptNumber(adoption->unmet_budget) + " (" + adoption->reason + "; evidence " +
                                       record->evidence +
                                       (record->replica.empty() ? "" : " on replica " + record->replica) + ")";
            AuditEntry entry;
            entry.ts = ctx.clock.Now();
            entry.actor = actor;
            entry.action = "adopt loop settings";
            entry.target = "/api/settings/adopt";
            entry.status = 200;
            entry.remote_address = req.remote_address;
            entry.detail = detail;
            if (Status s = ctx.auth.store().AppendAudit(entry); !s)
                spdlog::warn("audit log write failed for the adoption by {}: {}", actor, s.error().message);
            spdlog::info("settings adopted by {}: {}", actor, detail);
            return JsonResponse(200, {{"from", Setting(before.quantile, before.service_level.budget)},
                                      {"to", Setting(adoption->quantile, adoption->unmet_budget)},
                                      {"changed", changed},
                                      {"adopted", AdoptedJson(*record)}});
        },
        RouteCost::kBlocking);  // parses the sweep's JSON, writes two files and the audit log
}

}  // namespace

void AddSimulationRoutes(Router& router, ApiContext& ctx) {
    AddSettingsRoutes(router, ctx);
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
