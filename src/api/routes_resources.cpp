// /api/resources: CRUD, one allocation pass on demand, recommendations and the action log.

#include "api/anomaly_json.hpp"
#include "api/json_io.hpp"
#include "api/policy_comparison.hpp"
#include "api/routes.hpp"
#include "core/labels.hpp"
#include "core/text.hpp"

namespace cloudopt::api::detail {

namespace {

json OutcomeToJson(const PassOutcome& o) {
    json j = {{"resource_id", o.resource_id}, {"resource", o.resource_name}, {"current_capacity", o.current_capacity}};
    j["decision"] = o.decision ? ToJson(*o.decision) : json(nullptr);
    j["action"] = o.action ? ToJson(*o.action) : json(nullptr);
    j["recommendation"] = o.recommendation ? ToJson(*o.recommendation) : json(nullptr);
    if (!o.error.empty()) j["error"] = o.error;
    if (!o.forecast_error.empty()) j["forecast_error"] = o.forecast_error;
    return j;
}

// Recommendations are proposals for recommend mode: when a resource leaves it, its open ones close.
Status CloseRecommendationsOnModeChange(ApiContext& ctx, const Resource& resource) {
    if (resource.mode == Mode::kRecommend) return Status::Ok();
    return ctx.loop.CloseRecommendations(resource.id,
                                         std::string("the resource's mode is now ") + ModeName(resource.mode));
}

constexpr long long kMaxAllocateWaitSeconds = 30;

}  // namespace

void AddResourceRoutes(Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/resources", [&ctx](const HttpRequest& req) {
        // ?label=team:payments,env:prod (every term must match; "team" alone: has the key).
        std::vector<LabelTerm> selector;
        if (auto label = req.Query("label"); label && !label->empty()) {
            auto parsed = ParseLabelSelector(*label);
            if (!parsed) return ErrorResponse(parsed.error());
            selector = std::move(*parsed);
        }
        auto resources = ctx.store.ListResources();
        if (!resources) return ErrorResponse(resources.error());
        JsonWriter w;
        w.BeginObject().Key("resources").BeginArray();
        for (const Resource& r : *resources)
            if (MatchesLabels(r.labels, selector)) WriteResource(w, r);
        w.EndArray().EndObject();
        HttpResponse response;
        response.body = w.Take();
        return response;
    });

    router.Add(
        "POST", "/api/resources",
        [&ctx](const HttpRequest& req) {
            auto body = ParseJsonBody(req);
            if (!body) return ErrorResponse(body.error());
            for (const char* required : {"name", "provider", "provider_ref", "instance_type"}) {
                if (!body->contains(required))
                    return ErrorResponse(MakeError(ErrorCode::kUnprocessable, std::string(required) + ": is required"));
            }
            auto resource = ResourceFromJson(*body, Resource{});
            if (!resource) return ErrorResponse(resource.error());
            if (Status s = ctx.loop.catalog().CheckEntries(resource->provider, resource->allowed_types); !s)
                return ErrorResponse(s.error());
            // Check the reference against the provider before saving, so a typo fails now, not at the first tick.
            if (Status s = ctx.loop.CheckProviderReference(*resource); !s) return ErrorResponse(s.error());
            auto created = ctx.store.CreateResource(*resource);
            if (!created) return ErrorResponse(created.error());
            HttpResponse r = ResourceResponse(201, *created);
            r.headers.emplace_back("Location", "/api/resources/" + std::to_string(created->id));
            return r;
        },
        RouteCost::kBlocking);  // asks the cloud whether the group exists

    router.Add("GET", "/api/resources/{id}", [&ctx](const HttpRequest& req) {
        auto id = PathId(req, "resource");
        if (!id) return ErrorResponse(id.error());
        auto resource = ctx.store.GetResource(*id);
        if (!resource) return ErrorResponse(resource.error());
        return ResourceResponse(200, *resource);
    });

    router.Add(
        "PUT", "/api/resources/{id}",
        [&ctx](const HttpRequest& req) {
            auto id = PathId(req, "resource");
            if (!id) return ErrorResponse(id.error());
            auto body = ParseJsonBody(req);
            if (!body) return ErrorResponse(body.error());
            auto stored = ctx.store.GetResource(*id);
            if (!stored) return ErrorResponse(stored.error());
            auto updated = ResourceFromJson(*body, *stored);
            if (!updated) return ErrorResponse(updated.error());
            if (Status s = ctx.loop.catalog().CheckEntries(updated->provider, updated->allowed_types); !s)
                return ErrorResponse(s.error());
            if (updated->provider != stored->provider || updated->provider_ref != stored->provider_ref) {
                if (Status s = ctx.loop.CheckProviderReference(*updated); !s) return ErrorResponse(s.error());
            }
            auto saved = ctx.store.UpdateResource(*updated);
            if (!saved) return ErrorResponse(saved.error());
            if (Status s = CloseRecommendationsOnModeChange(ctx, *saved); !s) return ErrorResponse(s.error());
            return ResourceResponse(200, *saved);
        },
        RouteCost::kBlocking);  // may ask the cloud; waits for a pass

    // Operators change the mode only; everything else about a resource is an admin's (PUT /api/resources/{id}).
    router.Add(
        "PUT", "/api/resources/{id}/mode",
        [&ctx](const HttpRequest& req) {
            auto id = PathId(req, "resource");
            if (!id) return ErrorResponse(id.error());
            auto body = ParseJsonBody(req);
            if (!body) return ErrorResponse(body.error());
            if (Status s = CheckKnownFields(*body, {"mode"}, "mode change"); !s) return ErrorResponse(s.error());
            const json& mode = body->contains("mode") ? (*body)["mode"] : json();
            const auto parsed = mode.is_string() ? ParseMode(mode.get<std::string>()) : std::nullopt;
            if (!parsed)
                return ErrorResponse(MakeError(ErrorCode::kUnprocessable, "mode: must be off, recommend or auto"));
            auto stored = ctx.store.GetResource(*id);
            if (!stored) return ErrorResponse(stored.error());
            stored->mode = *parsed;
            auto saved = ctx.store.UpdateResource(*stored);
            if (!saved) return ErrorResponse(saved.error());
            if (Status s = CloseRecommendationsOnModeChange(ctx, *saved); !s) return ErrorResponse(s.error());
            return ResourceResponse(200, *saved);
        },
        RouteCost::kBlocking);  // waits for a pass

    // What the resource's cloud offers where it runs, beside what the catalog prices (cloudopt plans with priced
    // types).
    router.Add(
        "GET", "/api/resources/{id}/instance-types",
        [&ctx](const HttpRequest& req) {
            auto id = PathId(req, "resource");
            if (!id) return ErrorResponse(id.error());
            auto resource = ctx.store.GetResource(*id);
            if (!resource) return ErrorResponse(resource.error());
            auto offered = ctx.loop.ListInstanceTypes(*resource);
            if (!offered) return ErrorResponse(offered.error());
            json items = json::array();
            for (const OfferedInstanceType& t : *offered) {
                auto priced = ctx.loop.catalog().Find(resource->provider, t.name);
                items.push_back({{"name", t.name},
                                 {"vcpu", t.vcpu},
                                 {"memory_gib", t.memory_gib},
                                 {"price_per_hour", priced ? json(priced->price_per_hour) : json(nullptr)}});
            }
            return JsonResponse(
                200, {{"resource", resource->id}, {"provider", resource->provider}, {"instance_types", items}});
        },
        RouteCost::kBlocking);  // asks the cloud

    router.Add(
        "DELETE", "/api/resources/{id}",
        [&ctx](const HttpRequest& req) {
            auto id = PathId(req, "resource");
            if (!id) return ErrorResponse(id.error());
            if (Status s = ctx.loop.DeleteResource(*id); !s) return ErrorResponse(s.error());
            HttpResponse r;
            r.status = 204;
            return r;
        },
        RouteCost::kBlocking);  // waits for a pass

    // A pass runs as a job on the interactive lane (never behind training, never on an I/O thread): 202 with the
    // job at once, or with ?wait_seconds=N (0..30) 200 and the job's outcome if it ended within N seconds.
    router.Add(
        "POST", "/api/resources/allocate",
        [&ctx](const HttpRequest& req) {
            auto wait = IntParam(req, "wait_seconds", 0, kMaxAllocateWaitSeconds);
            if (!wait) return ErrorResponse(wait.error());
            auto selected = ParseResourceSelector(req, ctx.store, "allocate request");
            if (!selected) return ErrorResponse(selected.error());
            const JobRunner::Submitted submitted = SubmitAllocation(ctx, *selected);
            const std::int64_t job_id = submitted.job.id;
            if (wait->value_or(0) > 0) ctx.jobs.WaitFor(job_id, std::chrono::seconds(**wait));
            const JobInfo job = ctx.jobs.Get(job_id).value_or(submitted.job);
            const bool ended = job.state != JobState::kQueued && job.state != JobState::kRunning;
            json body = {{"job_id", job_id},
                         {"status", JobStateName(job.state)},
                         {"already_running", !submitted.created},
                         {"status_url", "/api/jobs/" + std::to_string(job_id)}};
            if (job.state == JobState::kSucceeded) {
                json result = json::parse(job.result_json, nullptr, false);
                body["results"] = result.is_object() && result.contains("results") ? result["results"] : json::array();
            } else if (ended) {
                body["error"] = job.error;
            }
            HttpResponse r = JsonResponse(ended ? 200 : 202, body);
            if (!ended) r.headers.emplace_back("Location", "/api/jobs/" + std::to_string(job_id));
            return r;
        },
        RouteCost::kBlocking);  // may wait up to wait_seconds for the job

    router.Add("GET", "/api/resources/recommendations", [&ctx](const HttpRequest& req) {
        std::optional<std::string> status = req.Query("status");
        if (!status) status = "open";
        if (*status == "all")
            status.reset();
        else if (*status != "open" && *status != "applied" && *status != "dismissed" && *status != "superseded" &&
                 *status != "expired" && *status != "closed")
            return ErrorResponse(
                MakeError(ErrorCode::kInvalidArgument,
                          "status: one of open, applied, dismissed, superseded, expired, closed, all"));
        auto recs = ctx.store.ListRecommendations(status);
        if (!recs) return ErrorResponse(recs.error());
        json items = json::array();
        for (const Recommendation& r : *recs) items.push_back(ToJson(r));
        auto open =
            status == std::optional<std::string>("open") ? recs : ctx.store.ListRecommendations(std::string("open"));
        if (!open) return ErrorResponse(open.error());
        // What applying the open ones would change per hour: "could save", never counted as saved. And what each
        // policy would have cost each resource over the last day, beside what actually ran: the evidence behind
        // accepting a recommendation.
        return JsonResponse(200, {{"recommendations", items},
                                  {"could_save", CouldSave(*open)},
                                  {"comparison", PolicyComparison(ctx, ctx.clock.Now())}});
    });

    router.Add(
        "POST", "/api/resources/recommendations/{id}/apply",
        [&ctx](const HttpRequest& req) {
            auto id = PathId(req, "recommendation");
            if (!id) return ErrorResponse(id.error());
            auto action = ctx.loop.ApplyRecommendation(*id);
            if (!action) return ErrorResponse(action.error());
            return JsonResponse(action->status == ActionStatus::kApplied ? 200 : 502, {{"action", ToJson(*action)}});
        },
        RouteCost::kBlocking);  // cloud calls, waits for a pass

    router.Add("POST", "/api/resources/recommendations/{id}/dismiss", [&ctx](const HttpRequest& req) {
        auto id = PathId(req, "recommendation");
        if (!id) return ErrorResponse(id.error());
        // Optional {"snooze_minutes": N}: the same proposal may come back after N minutes. Without it, it does not
        // come back until the plan proposes something materially different.
        std::int64_t snooze_minutes = 0;
        if (!req.body.empty()) {
            auto body = ParseJsonBody(req);
            if (!body) return ErrorResponse(body.error());
            if (Status s = CheckKnownFields(*body, {"snooze_minutes"}, "dismissal"); !s)
                return ErrorResponse(s.error());
            if (body->contains("snooze_minutes")) {
                const json& m = (*body)["snooze_minutes"];
                if (!m.is_number_integer() || m.get<std::int64_t>() < 1 || m.get<std::int64_t>() > 365 * 24 * 60)
                    return ErrorResponse(MakeError(ErrorCode::kUnprocessable,
                                                   "snooze_minutes: a whole number of minutes from 1 to 525600"));
                snooze_minutes = m.get<std::int64_t>();
            }
        }
        auto rec = ctx.store.GetRecommendation(*id);
        if (!rec) return ErrorResponse(rec.error());
        if (rec->status != "open")
            return ErrorResponse(MakeError(ErrorCode::kConflict, "recommendation is " + rec->status + ", not open"));
        const UnixSeconds now = ctx.clock.Now();
        rec->status = "dismissed";
        rec->status_reason = snooze_minutes ? "dismissed by a user for " + std::to_string(snooze_minutes) + " minutes"
                                            : "dismissed by a user";
        rec->closed_at = now;
        rec->snooze_until = snooze_minutes ? now + snooze_minutes * 60 : 0;
        if (Status s = ctx.store.SetRecommendationStatus(*id, rec->status, rec->status_reason, now, rec->snooze_until);
            !s)
            return ErrorResponse(s.error());
        return JsonResponse(200, ToJson(*rec));
    });

    router.Add("GET", "/api/actions", [&ctx](const HttpRequest& req) {
        ActionQuery q;
        if (auto r = req.Query("resource"); r && !r->empty()) {
            auto resource = ResolveResource(ctx.store, *r);
            if (!resource) return ErrorResponse(resource.error());
            q.resource_id = resource->id;
        }
        auto since = IntParam(req, "since", 0, INT64_MAX);
        auto limit = IntParam(req, "limit", 1, 1000);
        if (!since) return ErrorResponse(since.error());
        if (!limit) return ErrorResponse(limit.error());
        auto offset = IntParam(req, "offset", 0, 1'000'000);
        if (!offset) return ErrorResponse(offset.error());
        q.since = since->value_or(0);
        q.limit = static_cast<int>(limit->value_or(100));
        q.offset = static_cast<int>(offset->value_or(0));
        if (auto status = req.Query("status"); status && !status->empty()) {
            q.status = ParseActionStatus(*status);
            if (!q.status)
                return ErrorResponse(
                    MakeError(ErrorCode::kInvalidArgument,
                              "status: one of applied, failed, planned, skipped (got '" + *status + "')"));
        }
        auto actions = ctx.store.ListActions(q);
        if (!actions) return ErrorResponse(actions.error());
        json items = json::array();
        for (const AllocationAction& a : *actions) items.push_back(ToJson(a));
        return JsonResponse(200, {{"actions", items}});
    });
    // Anomaly alerts (docs/ANOMALY.md "In the service"): open and recent, newest first.
    router.Add("GET", "/api/alerts", [&ctx](const HttpRequest& req) {
        AlertQuery q;
        if (auto r = req.Query("resource"); r && !r->empty()) {
            auto resource = ResolveResource(ctx.store, *r);
            if (!resource) return ErrorResponse(resource.error());
            q.resource_id = resource->id;
        }
        if (auto state = req.Query("state"); state && !state->empty()) {
            if (*state != "open" && *state != "closed")
                return ErrorResponse(
                    MakeError(ErrorCode::kInvalidArgument, "state: must be 'open' or 'closed' (got '" + *state + "')"));
            q.state = *state;
        }
        auto limit = IntParam(req, "limit", 1, 1000);
        if (!limit) return ErrorResponse(limit.error());
        q.limit = static_cast<int>(limit->value_or(100));
        auto alerts = ctx.store.ListAlerts(q);
        if (!alerts) return ErrorResponse(alerts.error());
        json items = json::array();
        for (const Alert& a : *alerts) {
            json item = ToJson(a);
            if (auto resource = ctx.store.GetResource(a.resource_id)) item["resource"] = resource->name;
            items.push_back(std::move(item));
        }
        return JsonResponse(200, {{"alerts", items}});
    });
    // A resource's anomaly settings: the pushed metrics it marks for scoring and its remediation (docs/ANOMALY.md).
    // Without its own, the service's anomaly.remediation settings apply ("own": false).
    router.Add("GET", "/api/resources/{id}/anomaly", [&ctx](const HttpRequest& req) {
        auto id = PathId(req, "resource");
        if (!id) return ErrorResponse(id.error());
        auto resource = ctx.store.GetResource(*id);
        if (!resource) return ErrorResponse(resource.error());
        auto own = ctx.store.LoadAnomalySettings(*id);
        if (!own) return ErrorResponse(own.error());
        json body = AnomalySettingsToJson(own->value_or(AnomalySettings{}));
        body["own"] = own->has_value();
        if (!own->has_value()) body["remediation"] = nullptr;
        return JsonResponse(200, body);
    });
    router.Add("PUT", "/api/resources/{id}/anomaly", [&ctx](const HttpRequest& req) {
        auto id = PathId(req, "resource");
        if (!id) return ErrorResponse(id.error());
        auto body = ParseJsonBody(req);
        if (!body) return ErrorResponse(body.error());
        auto resource = ctx.store.GetResource(*id);
        if (!resource) return ErrorResponse(resource.error());
        auto own = ctx.store.LoadAnomalySettings(*id);
        if (!own) return ErrorResponse(own.error());
        auto settings = AnomalySettingsFromJson(*body, own->value_or(AnomalySettings{}));
        if (!settings) return ErrorResponse(settings.error());
        if (Status s = ctx.store.SaveAnomalySettings(*id, *settings); !s) return ErrorResponse(s.error());
        json out = AnomalySettingsToJson(*settings);
        out["own"] = true;
        return JsonResponse(200, out);
    });
    // Remediation steps taken or recommended for alerts, newest first.
    router.Add("GET", "/api/remediations", [&ctx](const HttpRequest& req) {
        RemediationQuery q;
        if (auto r = req.Query("resource"); r && !r->empty()) {
            auto resource = ResolveResource(ctx.store, *r);
            if (!resource) return ErrorResponse(resource.error());
            q.resource_id = resource->id;
        }
        if (auto state = req.Query("state"); state && !state->empty()) {
            static const std::set<std::string> kStates = {"active",      "reverted", "done",
                                                          "recommended", "failed",   "skipped"};
            if (!kStates.count(*state))
                return ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                               "state: one of active, reverted, done, recommended, failed, skipped "
                                               "(got '" +
                                                   *state + "')"));
            q.state = *state;
        }
        auto limit = IntParam(req, "limit", 1, 1000);
        if (!limit) return ErrorResponse(limit.error());
        q.limit = static_cast<int>(limit->value_or(100));
        auto steps = ctx.store.ListRemediations(q);
        if (!steps) return ErrorResponse(steps.error());
        json items = json::array();
        for (const Remediation& r : *steps) items.push_back(RemediationToJson(r));
        return JsonResponse(200, {{"remediations", items}});
    });
}

}  // namespace cloudopt::api::detail

namespace cloudopt::api {

JobRunner::Submitted SubmitAllocation(ApiContext& ctx, std::optional<Resource> only) {
    ControlLoop& loop = ctx.loop;
    const std::optional<ResourceId> id = only ? std::optional<ResourceId>(only->id) : std::nullopt;
    JobRunner::Options options;
    options.lane = JobLane::kInteractive;  // short, and a person waits for it: never behind training
    options.stoppable = false;             // a pass applies changes as it goes; it finishes once started
    return ctx.jobs.Submit(
        "allocate", id ? "resource:" + std::to_string(*id) : "all",
        [&loop, id](const JobRunner::Progress&) {
            auto outcomes = loop.RunPass(id);
            if (!outcomes) return Result<std::string>(outcomes.error());
            json items = json::array();
            for (const PassOutcome& o : *outcomes) items.push_back(detail::OutcomeToJson(o));
            return Result<std::string>(json{{"results", items}}.dump());
        },
        options);
}

}  // namespace cloudopt::api
