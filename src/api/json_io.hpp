#pragma once
// JSON in and out of the API: error bodies, body parsing with strict types, and the DTO mappings of domain
// values. Every error the API returns goes through ErrorResponse, so all of them share one shape:
// {"error":{"code":"...","message":"..."}}.

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "api/http.hpp"
#include "api/json_writer.hpp"
#include "control/control_loop.hpp"
#include "control/dashboard.hpp"
#include "control/job_runner.hpp"
#include "core/action.hpp"
#include "core/alert.hpp"
#include "core/error.hpp"
#include "core/forecast.hpp"
#include "core/resource.hpp"

namespace cloudopt::api {

using nlohmann::json;

int HttpStatusFor(ErrorCode code);
HttpResponse ErrorResponse(const Error& error);
HttpResponse JsonResponse(int status, const json& body);

// Checks the content type (415) and parses the body (400); an object is required when require_object.
Result<json> ParseJsonBody(const HttpRequest& request, bool require_object = true);

// Rejects fields outside `allowed` (422), so a typo never silently falls back to a default.
Status CheckKnownFields(const json& object, const std::set<std::string>& allowed, const std::string& what);

void WriteResource(JsonWriter& w, const Resource& r);
HttpResponse ResourceResponse(int status, const Resource& r);
json ToJson(const AllocationAction& a);
json ToJson(const Alert& a);
json ToJson(const Recommendation& r);
json ToJson(const Forecast& f);
json ToJson(const JobInfo& job);
json ToJson(const PlanDecision& d);
json ToJson(const ModelHealth& health, const DriftRule& rule);
json ToJson(const DashboardStats& s);
void WriteSamples(JsonWriter& w, const std::vector<Sample>& samples);  // [[ts, value], ...]

// Applies the fields present in `body` onto `base` (create: defaults; update: the stored resource).
Result<Resource> ResourceFromJson(const json& body, Resource base);

}  // namespace cloudopt::api
