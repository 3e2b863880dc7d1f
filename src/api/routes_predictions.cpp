// /api/predictions, /api/jobs and /api/resources/{id}/model: the newest forecast per resource, background training
// jobs, and a resource's trained model as a model file, out and in.

#include <algorithm>
#include <cmath>

#include "api/dashboard_live.hpp"
#include "api/json_io.hpp"
#include "api/routes.hpp"
#include "api/training_work.hpp"
#include "core/text.hpp"

namespace cloudopt::api::detail {

namespace {

constexpr long long kMaxHorizon = 2016;  // a week of 5-minute steps
constexpr long long kMaxJobsListed = 200;

}  // namespace

void AddPredictionRoutes(Router& router, ApiContext& ctx) {
    // The forecast the control loop stored at its last pass: read, never refitted on the request.
    router.Add("GET", "/api/predictions", [&ctx](const HttpRequest& req) {
        auto resource = ResolveResource(ctx.store, req.Query("resource").value_or(""));
        if (!resource) return ErrorResponse(resource.error());
        const std::string metric = req.Query("metric").value_or(resource->load_metric);
        if (metric != resource->load_metric)
            return ErrorResponse(MakeError(ErrorCode::kUnprocessable, "metric: only the resource's load metric '" +
                                                                          resource->load_metric + "' is forecast"));
        auto horizon = IntParam(req, "horizon", 1, kMaxHorizon);
        if (!horizon) return ErrorResponse(horizon.error());
        auto stored = ctx.store.LatestPrediction(resource->id, metric);
        if (!stored) return ErrorResponse(stored.error());
        if (!*stored)
            return ErrorResponse(MakeError(
                ErrorCode::kConflict, "resource '" + resource->name +
                                          "' has no forecast yet: the control loop forecasts it at its next pass once "
                                          "it has load samples (POST /api/resources/allocate runs a pass now)"));
        Forecast forecast = std::move(**stored);
        if (*horizon && static_cast<long long>(forecast.points.size()) < **horizon)
            return ErrorResponse(
                MakeError(ErrorCode::kUnprocessable, "horizon: the stored forecast has " +
                                                         std::to_string(forecast.points.size()) +
                                                         " steps (loop.horizon_steps); ask for at most that many"));
        if (*horizon) forecast.points.resize(static_cast<std::size_t>(**horizon));
        json out = ToJson(forecast);
        out["resource"] = resource->id;
        out["metric"] = metric;
        const json planned = PlannedCapacity(*resource, forecast, ctx.loop.engine_options().quantile);
        out["planned_capacity"] = planned["steps"];
        out["planned_quantile"] = planned["quantile"];
        out["target_utilization"] = planned["target_utilization"];
        // How the trained model has done since training, and whether that drifted far enough to retrain it.
        if (auto health = ctx.loop.Health(resource->id))
            out["since_training"] = ToJson(*health, ctx.loop.options().drift);
        return JsonResponse(200, out);
    });

    router.Add("POST", "/api/predictions/train", [&ctx](const HttpRequest& req) {
        auto selected = ParseResourceSelector(req, ctx.store, "train request");
        if (!selected) return ErrorResponse(selected.error());
        const JobRunner::Submitted submitted = SubmitTraining(ctx, *selected);
        HttpResponse r = JsonResponse(202, {{"job_id", submitted.job.id},
                                            {"status", JobStateName(submitted.job.state)},
                                            {"already_running", !submitted.created},
                                            {"status_url", "/api/jobs/" + std::to_string(submitted.job.id)}});
        r.headers.emplace_back("Location", "/api/jobs/" + std::to_string(submitted.job.id));
        return r;
    });

    router.Add("GET", "/api/resources/{id}/model", [&ctx](const HttpRequest& req) {
        auto resource = ResolveResource(ctx.store, req.path_params.at("id"));
        if (!resource) return ErrorResponse(resource.error());
        auto stored = ctx.loop.ExportModel(*resource);
        if (!stored) return ErrorResponse(stored.error());
        HttpResponse r;
        r.content_type = "application/octet-stream";
        r.body = std::move(stored->bytes);
        std::string file = resource->name + ".model";
        std::replace_if(
            file.begin(), file.end(), [](char c) { return c == '"' || c == '\\' || c == '/'; }, '_');
        r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + file + "\"");
        r.headers.emplace_back("X-Cloudopt-Model", stored->model);
        r.headers.emplace_back("X-Cloudopt-Trained-At", std::to_string(stored->trained_at));
        return r;
    });

    router.Add("PUT", "/api/resources/{id}/model", [&ctx](const HttpRequest& req) {
        auto resource = ResolveResource(ctx.store, req.path_params.at("id"));
        if (!resource) return ErrorResponse(resource.error());
        if (req.body.empty())
            return ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                           "body: send a model file (cloudopt train --out, or GET of this URL)"));
        auto report = ctx.loop.ImportModel(*resource, req.body, req.Query("series").value_or(""));
        if (!report) return ErrorResponse(report.error());
        const json accuracy = std::isfinite(report->accuracy) ? json(report->accuracy) : json(nullptr);
        return JsonResponse(200, {{"resource", resource->id},
                                  {"metric", resource->load_metric},
                                  {"model", report->model},
                                  {"bands_by", report->bands_by},
                                  {"accuracy", accuracy}});
    });

    // The jobs the service remembers, newest first: training, simulations, allocation passes.
    router.Add("GET", "/api/jobs", [&ctx](const HttpRequest& req) {
        auto limit = IntParam(req, "limit", 1, kMaxJobsListed);
        if (!limit) return ErrorResponse(limit.error());
        json items = json::array();
        for (const JobInfo& job : ctx.jobs.List(static_cast<std::size_t>(limit->value_or(50)))) {
            json j = ToJson(job);
            j.erase("result");  // GET /api/jobs/{id} has it
            j["stoppable"] = job.stoppable;
            items.push_back(std::move(j));
        }
        return JsonResponse(200, {{"jobs", items}});
    });

    router.Add("GET", "/api/jobs/{id}", [&ctx](const HttpRequest& req) {
        auto id = ParseInt(req.path_params.at("id"));
        if (!id) return ErrorResponse(MakeError(ErrorCode::kInvalidArgument, "job id must be an integer"));
        auto job = ctx.jobs.Get(*id);
        if (!job)
            return ErrorResponse(MakeError(ErrorCode::kNotFound, "job " + std::to_string(*id) + " does not exist"));
        return JsonResponse(200, ToJson(*job));
    });

    // A queued job ends at once; a running one at its next check (training: the next batch; a simulation: the
    // next series), keeping nothing half-done.
    router.Add("POST", "/api/jobs/{id}/cancel", [&ctx](const HttpRequest& req) {
        auto id = PathId(req, "job");
        if (!id) return ErrorResponse(id.error());
        auto job = ctx.jobs.Cancel(*id);
        if (!job) return ErrorResponse(job.error());
        return JsonResponse(job->state == JobState::kCancelled ? 200 : 202, ToJson(*job));
    });
}

}  // namespace cloudopt::api::detail

namespace cloudopt::api {

JobRunner::Submitted SubmitTraining(ApiContext& ctx, std::optional<Resource> only, const std::string& reason) {
    const std::string subject = only ? "resource:" + std::to_string(only->id) : "all";
    // The same work a replica makes again from the subject when it claims the job from the shared queue.
    return ctx.jobs.Submit("train", subject, TrainingWork(ctx.loop, ctx.store, ctx.jobs, std::move(only)), reason);
}

}  // namespace cloudopt::api
