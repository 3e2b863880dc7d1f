#include "api/json_io.hpp"

#include <charconv>
#include <cmath>

#include "api/rendered_buckets.hpp"
#include "core/text.hpp"
#include "store/explanation_json.hpp"

namespace cloudopt::api {

namespace {

json NumberOrNull(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
json OptionalNumber(const std::optional<double>& v) { return v ? NumberOrNull(*v) : json(nullptr); }

Error Unprocessable(std::string message) { return MakeError(ErrorCode::kUnprocessable, std::move(message)); }

}  // namespace

int HttpStatusFor(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalidArgument:
            return 400;
        case ErrorCode::kUnauthenticated:
            return 401;
        case ErrorCode::kPermissionDenied:
            return 403;
        case ErrorCode::kTooManyRequests:
            return 429;
        case ErrorCode::kNotFound:
            return 404;
        case ErrorCode::kMethodNotAllowed:
            return 405;
        case ErrorCode::kConflict:
            return 409;
        case ErrorCode::kPayloadTooLarge:
            return 413;
        case ErrorCode::kUnsupportedMediaType:
            return 415;
        case ErrorCode::kUnprocessable:
            return 422;
        case ErrorCode::kUnavailable:
            return 503;
        case ErrorCode::kInternal:
            return 500;
    }
    return 500;
}

HttpResponse ErrorResponse(const Error& error) {
    json body = {{"error", {{"code", ErrorCodeName(error.code)}, {"message", error.message}}}};
    return JsonResponse(HttpStatusFor(error.code), body);
}

HttpResponse JsonResponse(int status, const json& body) {
    HttpResponse r;
    r.status = status;
    // Replace invalid UTF-8 instead of throwing: user strings are echoed back in messages.
    r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    return r;
}

Result<json> ParseJsonBody(const HttpRequest& request, bool require_object) {
    const std::string& ct = request.content_type;
    const std::string media = ct.substr(0, ct.find(';'));
    if (media != "application/json")
        return MakeError(ErrorCode::kUnsupportedMediaType,
                         "send the body as JSON with 'Content-Type: application/json' (got '" + ct + "')");
    if (JsonNestsDeeperThan(request.body, kMaxJsonNesting))
        return MakeError(ErrorCode::kInvalidArgument, "request body nests arrays or objects deeper than " +
                                                          std::to_string(kMaxJsonNesting) + " levels");
    json body = json::parse(request.body, nullptr, false);
    if (body.is_discarded()) return MakeError(ErrorCode::kInvalidArgument, "request body is not valid JSON");
    if (require_object && !body.is_object())
        return MakeError(ErrorCode::kInvalidArgument, "request body must be a JSON object");
    return body;
}

Status CheckKnownFields(const json& object, const std::set<std::string>& allowed, const std::string& what) {
    for (const auto& [key, value] : object.items()) {
        if (!allowed.count(key)) {
            std::string list;
            for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
            return Unprocessable("unknown field '" + key + "' in " + what + "; known fields: " + list);
        }
    }
    return Status::Ok();
}

void WriteResource(JsonWriter& w, const Resource& r) {
    w.BeginObject();
    w.Key("id").Int(r.id);
    w.Key("name").String(r.name);
    w.Key("provider").String(r.provider);
    w.Key("provider_ref").String(r.provider_ref);
    w.Key("instance_type").String(r.instance_type);
    w.Key("min_capacity").Int(r.min_capacity);
    w.Key("max_capacity").Int(r.max_capacity);
    w.Key("target_low").Double(r.target_low);
    w.Key("target_high").Double(r.target_high);
    w.Key("mode").String(ModeName(r.mode));
    w.Key("boot_delay_s").Int(r.boot_delay_s);
    w.Key("load_metric").String(r.load_metric);
    w.Key("capacity_per_instance").Double(r.capacity_per_instance);
    w.Key("load_query").String(r.load_query);
    w.Key("risk_quantile").String(r.risk_quantile);
    w.Key("allowed_types").BeginArray();
    for (const std::string& t : r.allowed_types) w.String(t);
    w.EndArray();
    w.Key("spot_share_max").Double(r.spot_share_max);
    w.Key("max_step").Int(r.max_step);
    w.Key("labels").BeginObject();
    for (const auto& [key, value] : r.labels) w.Key(key).String(value);
    w.EndObject();
    w.Key("created_at").Int(r.created_at);
    w.Key("updated_at").Int(r.updated_at);
    w.EndObject();
}

HttpResponse ResourceResponse(int status, const Resource& r) {
    JsonWriter w;
    WriteResource(w, r);
    HttpResponse response;
    response.status = status;
    response.body = w.Take();
    return response;
}

json ToJson(const Alert& a) {
    json expected = {{"range", {{"low", a.range_low}, {"high", a.range_high}}}, {"forecast", nullptr}};
    if (a.forecast_p50 && a.forecast_p99) expected["forecast"] = {{"p50", *a.forecast_p50}, {"p99", *a.forecast_p99}};
    return {{"id", a.id},
            {"resource_id", a.resource_id},
            {"metric", a.metric},
            {"state", a.state},
            {"severity", a.severity},
            {"opened_at", a.opened_at},
            {"closed_at", a.closed_at == 0 ? json(nullptr) : json(a.closed_at)},
            {"value", a.value},
            {"score", a.score},
            {"peak_score", a.peak_score},
            {"expected", expected},
            {"window", {{"from", a.window_from}, {"to", a.window_to}}},
            {"message", a.message}};
}

json ToJson(const AllocationAction& a) {
    return {{"id", a.id},
            {"resource_id", a.resource_id},
            {"ts", a.ts},
            {"from", a.from_capacity},
            {"to", a.to_capacity},
            {"reason", a.reason},
            {"status", ActionStatusName(a.status)},
            {"error", a.error},
            {"hourly_cost_before", a.hourly_cost_before},
            {"hourly_cost_after", a.hourly_cost_after},
            {"summary", a.summary.empty() ? a.reason : a.summary},
            {"explanation", a.explanation.rule.empty() ? json(nullptr) : ExplanationToJson(a.explanation)}};
}

json ToJson(const Recommendation& r) {
    return {{"id", r.id},
            {"resource_id", r.resource_id},
            {"created_at", r.created_at},
            {"from", r.from_capacity},
            {"to", r.to_capacity},
            {"reason", r.reason},
            {"summary", r.summary.empty() ? r.reason : r.summary},
            {"explanation", r.explanation.rule.empty() ? json(nullptr) : ExplanationToJson(r.explanation)},
            {"hourly_cost_before", r.hourly_cost_before},
            {"hourly_cost_after", r.hourly_cost_after},
            {"hourly_saving", r.hourly_cost_before - r.hourly_cost_after},
            {"status", r.status},
            {"status_reason", r.status_reason},
            {"closed_at", r.closed_at ? json(r.closed_at) : json(nullptr)},
            {"snooze_until", r.snooze_until ? json(r.snooze_until) : json(nullptr)}};
}

json ToJson(const Forecast& f) {
    json points = json::array();
    for (const ForecastPoint& p : f.points)
        points.push_back({{"ts", p.ts}, {"p50", p.p50}, {"p90", p.p90}, {"p95", p.p95}, {"p99", p.p99}});
    return {{"model", f.model},
            {"generated_at", f.generated_at},
            {"step", f.step},
            {"accuracy", NumberOrNull(f.accuracy)},
            {"points", points}};
}

json ToJson(const JobInfo& job) {
    json j = {{"id", job.id},
              {"kind", job.kind},
              {"subject", job.subject},
              {"reason", job.reason},
              {"status", JobStateName(job.state)},
              {"progress", job.progress},
              {"created_at", job.created_at}};
    if (job.finished_at) j["finished_at"] = job.finished_at;
    if (job.state == JobState::kSucceeded) j["result"] = json::parse(job.result_json, nullptr, false);
    if (job.state == JobState::kFailed || job.state == JobState::kCancelled) j["error"] = job.error;
    return j;
}

json ToJson(const ModelHealth& health, const DriftRule& rule) {
    const auto drift = DriftReason(health, rule);
    json j = {{"trained_at", health.trained_at},
              {"trained_accuracy", NumberOrNull(health.trained_accuracy)},
              {"live_accuracy", NumberOrNull(health.live.accuracy)},
              {"last_value_accuracy", NumberOrNull(health.live.naive_accuracy)},
              {"steps_scored", health.live.actuals},
              {"coverage", json::object({{"p90", NumberOrNull(health.live.coverage_p90)},
                                         {"p95", NumberOrNull(health.live.coverage_p95)},
                                         {"p99", NumberOrNull(health.live.coverage_p99)}})},
              {"bands_by", health.bands_by},
              {"drifted", drift.has_value()}};
    if (drift) j["drift"] = *drift;
    return j;
}

json ToJson(const PlanDecision& d) {
    return {{"desired", d.desired},
            {"recommended", d.recommended},
            {"required_load", d.required_load},
            {"bound_by", d.bound_by},
            {"reason", d.reason},
            {"summary", SummarizeDecision(d.explanation)},
            {"explanation", ExplanationToJson(d.explanation)}};
}

void WriteSamples(JsonWriter& w, const std::vector<Sample>& samples) {
    // The hottest output of the API (a day of points per chart): formatted in one tight loop.
    std::string text;
    text.reserve(samples.size() * 32 + 2);
    text += '[';
    for (const Sample& sample : samples) AppendSampleItem(text, sample);
    if (text.back() == ',')
        text.back() = ']';
    else
        text += ']';
    w.Raw(text);
}

json ToJson(const DashboardStats& s) {
    json per = json::array();
    for (const ResourceStats& r : s.per_resource) {
        per.push_back({{"id", r.resource.id},
                       {"name", r.resource.name},
                       {"provider", r.resource.provider},
                       {"mode", ModeName(r.resource.mode)},
                       {"desired", r.desired},
                       {"ready", r.ready},
                       {"cost_per_hour", r.cost_per_hour},
                       {"static_instances", r.static_instances},
                       {"static_cost_per_hour", r.static_cost_per_hour},
                       {"load", OptionalNumber(r.load)},
                       {"load_metric", r.resource.load_metric},
                       {"utilization", OptionalNumber(r.utilization)},
                       {"band", r.band}});
    }
    return {{"now", s.now},
            {"cost_per_hour", s.cost_per_hour},
            {"static_cost_per_hour", s.static_cost_per_hour},
            {"saving_per_hour", s.saving_per_hour},
            {"saving_fraction", s.saving_fraction},
            {"utilization",
             {{"mean", OptionalNumber(s.mean_utilization)},
              {"target_low", s.target_low},
              {"target_high", s.target_high},
              {"in_band", s.in_band},
              {"below_band", s.below_band},
              {"above_band", s.above_band}}},
            {"counts",
             {{"resources", s.resources},
              {"resources_by_mode", s.resources_by_mode},
              {"actions_24h", s.actions_24h},
              {"open_recommendations", s.open_recommendations},
              {"alerts", s.alerts.size()}}},
            {"alerts", s.alerts},
            {"resources", per}};
}

Result<Resource> ResourceFromJson(const json& body, Resource r) {
    static const std::set<std::string> kFields = {
        "name",       "provider",      "provider_ref",  "instance_type",  "min_capacity", "max_capacity",
        "target_low", "target_high",   "mode",          "boot_delay_s",   "load_metric",  "capacity_per_instance",
        "load_query", "risk_quantile", "allowed_types", "spot_share_max", "max_step",     "labels"};
    if (Status s = CheckKnownFields(body, kFields, "resource"); !s) return s.error();
    auto text = [&](const char* key, std::string& out) -> Status {
        if (!body.contains(key)) return Status::Ok();
        if (!body[key].is_string()) return Unprocessable(std::string(key) + ": must be a string");
        out = body[key].get<std::string>();
        return Status::Ok();
    };
    auto integer = [&](const char* key, int& out) -> Status {
        if (!body.contains(key)) return Status::Ok();
        const json& v = body[key];
        if (!v.is_number_integer() || v.get<long long>() < INT32_MIN || v.get<long long>() > INT32_MAX)
            return Unprocessable(std::string(key) + ": must be an integer");
        out = v.get<int>();
        return Status::Ok();
    };
    auto number = [&](const char* key, double& out) -> Status {
        if (!body.contains(key)) return Status::Ok();
        if (!body[key].is_number()) return Unprocessable(std::string(key) + ": must be a number");
        out = body[key].get<double>();
        return Status::Ok();
    };
    std::string mode = ModeName(r.mode);
    for (Status s : {text("name", r.name), text("provider", r.provider), text("provider_ref", r.provider_ref),
                     text("instance_type", r.instance_type), integer("min_capacity", r.min_capacity),
                     integer("max_capacity", r.max_capacity), number("target_low", r.target_low),
                     number("target_high", r.target_high), text("mode", mode), integer("boot_delay_s", r.boot_delay_s),
                     text("load_metric", r.load_metric), number("capacity_per_instance", r.capacity_per_instance),
                     text("load_query", r.load_query), text("risk_quantile", r.risk_quantile),
                     number("spot_share_max", r.spot_share_max), integer("max_step", r.max_step)}) {
        if (!s) return s.error();
    }
    if (body.contains("allowed_types")) {
        const json& types = body["allowed_types"];
        if (!types.is_array()) return Unprocessable("allowed_types: must be an array of instance type names");
        r.allowed_types.clear();
        for (const json& t : types) {
            if (!t.is_string()) return Unprocessable("allowed_types: must be an array of instance type names");
            r.allowed_types.push_back(t.get<std::string>());
        }
    }
    if (body.contains("labels")) {  // replaces the labels whole: {} removes them
        const json& labels = body["labels"];
        if (!labels.is_object())
            return Unprocessable(
                "labels: must be an object of strings, e.g. {\"team\": \"payments\", \"env\": \"prod\"}");
        r.labels.clear();
        for (const auto& [key, value] : labels.items()) {
            if (!value.is_string()) return Unprocessable("labels: value of '" + key + "' must be a string");
            r.labels[key] = value.get<std::string>();
        }
    }
    auto parsed_mode = ParseMode(mode);
    if (!parsed_mode) return Unprocessable("mode: must be one of off, recommend, auto");
    r.mode = *parsed_mode;
    if (Status s = ValidateResource(r); !s) return s.error();
    return r;
}

}  // namespace cloudopt::api
