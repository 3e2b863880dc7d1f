// /api/costs: spend so far this month and its projection to the month's end with p10/p50/p90 bands, by resource,
// provider and in total, per UTC day (api/cost_report.hpp); ?format=csv for a spreadsheet.

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>

#include "api/budget_monitor.hpp"
#include "api/commitment_report.hpp"
#include "api/cost_report.hpp"
#include "api/json_io.hpp"
#include "api/routes.hpp"
#include "core/labels.hpp"

namespace cloudopt::api::detail {

namespace {

std::string UtcDate(UnixSeconds t, const char* format = "%Y-%m-%d") {
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, format, &tm);
    return buf;
}

double Cents(double v) { return std::round(v * 100.0) / 100.0; }

nlohmann::json BandJson(const std::optional<SpendBand>& b) {
    if (!b) return nullptr;
    return {{"p10", Cents(b->p10)}, {"p50", Cents(b->p50)}, {"p90", Cents(b->p90)}};
}

// A resource name is free text: quoted where CSV needs it, and a leading = + - @ (a formula to a spreadsheet) is
// defused with a ' as OWASP recommends for CSV exports.
std::string CsvField(const std::string& s) {
    std::string text = s;
    if (!text.empty() && std::string("=+-@\t\r").find(text.front()) != std::string::npos) text = "'" + text;
    if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
    std::string out = "\"";
    for (char ch : text) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return out + "\"";
}

std::string CsvNumber(std::optional<double> v) {
    if (!v) return "";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", *v);
    return buf;
}

// The report is a spend forecast per resource (seconds of work on a large fleet), on the blocking pool that logins
// share: one is computed at a time and kept for a minute, and a request that finds one being computed is answered
// from the last report or told to retry, so that no number of requests can take the pool.
//
// The ages are real time, not the service's clock: at the demo's 60x a minute of its clock passes every second, and a
// report that went stale that fast would be recomputed for nearly every page load (and refuse the ones in between).
class CostReportCache {
  public:
    static constexpr std::chrono::seconds kFresh{60};
    static constexpr std::chrono::seconds kUsable{600};  // served while a newer one is computed

    // The report for `now`: a fresh cached one, a newly computed one, or, while another request computes, the last
    // one if it is usable. kUnavailable when there is none to give yet.
    Result<std::shared_ptr<const CostReport>> Get(Store& store, const ControlLoop& loop, UnixSeconds now) {
        // A resource added, renamed, moved or deleted makes the cached report stale at once.
        auto resources = store.ListResources();
        if (!resources) return resources.error();
        std::string fleet;
        for (const Resource& r : *resources)
            fleet += std::to_string(r.id) + "/" + r.name + "/" + r.provider + "/" + r.instance_type + "\n";
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (last_ && fleet == fleet_ && std::chrono::steady_clock::now() - computed_at_ < kFresh) return last_;
        }
        std::unique_lock<std::mutex> computing(computing_, std::try_to_lock);
        if (!computing.owns_lock()) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (last_ && fleet == fleet_ && std::chrono::steady_clock::now() - computed_at_ < kUsable) return last_;
            return MakeError(ErrorCode::kUnavailable,
                             "the cost report is being computed for another request: retry in a few seconds");
        }
        auto report = ComputeCostReport(store, loop, now);
        if (!report) return report.error();
        auto shared = std::make_shared<const CostReport>(std::move(*report));
        std::lock_guard<std::mutex> lock(mutex_);
        last_ = shared;
        computed_at_ = std::chrono::steady_clock::now();
        fleet_ = std::move(fleet);
        return shared;
    }

  private:
    std::mutex computing_;  // held by the one request computing
    std::mutex mutex_;      // guards last_, computed_at_ and fleet_
    std::shared_ptr<const CostReport> last_;
    std::chrono::steady_clock::time_point computed_at_{};
    std::string fleet_;  // the resources the report was computed for
};

}  // namespace

void AddBudgetRoutes(Router& router, ApiContext& ctx);  // routes_budgets.cpp

void AddCostRoutes(Router& router, ApiContext& ctx) {
    AddBudgetRoutes(router, ctx);
    // 1-year commitments per pool and resource from the next 30 days' forecast, and what they would have saved over
    // the recorded past (api/commitment_report.hpp).
    router.Add(
        "GET", "/api/costs/commitments",
        [&ctx](const HttpRequest&) {
            auto report = ComputeCommitmentReport(ctx.store, ctx.loop, ctx.clock.Now());
            if (!report) return ErrorResponse(report.error());
            return JsonResponse(200, CommitmentReportJson(*report));
        },
        RouteCost::kBlocking);  // a spend forecast per resource
    auto cache = std::make_shared<CostReportCache>();
    router.Add(
        "GET", "/api/costs",
        [&ctx, cache](const HttpRequest& req) {
            const std::string format = req.Query("format").value_or("json");
            if (format != "json" && format != "csv")
                return ErrorResponse(MakeError(ErrorCode::kInvalidArgument, "format: must be json or csv"));
            std::string kind = req.Query("kind").value_or("");
            if (!kind.empty() && kind != "resource" && kind != "provider" && kind != "label" && kind != "total")
                return ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                               "kind: must be resource, provider, label or total (or absent: all)"));
            // group_by=label:team: the groups of one label key ("team:payments", "team:search"); group_by=provider
            // etc. as kind.
            std::string label_key;
            if (auto group_by = req.Query("group_by")) {
                if (group_by->rfind("label:", 0) == 0) {
                    label_key = group_by->substr(6);
                    if (Status s = ValidateLabelKey(label_key); !s)
                        return ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                                       "group_by: label:KEY needs a label key, e.g. label:team"));
                    kind = "label";
                } else if (*group_by == "resource" || *group_by == "provider" || *group_by == "total") {
                    kind = *group_by;
                } else {
                    return ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                                   "group_by: must be resource, provider, total or label:KEY "
                                                   "(e.g. label:team)"));
                }
            }
            auto cached = cache->Get(ctx.store, ctx.loop, ctx.clock.Now());
            if (!cached) {
                HttpResponse busy = ErrorResponse(cached.error());
                if (cached.error().code == ErrorCode::kUnavailable) busy.headers.emplace_back("Retry-After", "5");
                return busy;
            }
            const CostReport* report = cached->get();
            std::vector<const CostGroup*> groups;
            for (const CostGroup& g : report->groups)
                if ((kind.empty() || g.kind == kind) && (label_key.empty() || g.name.rfind(label_key + ":", 0) == 0))
                    groups.push_back(&g);
            if (format == "csv") {
                HttpResponse response;
                response.content_type = "text/csv; charset=utf-8";
                response.headers.emplace_back("Content-Disposition", "attachment; filename=\"cloudopt-costs-" +
                                                                         UtcDate(report->now, "%Y-%m") + ".csv\"");
                std::string& csv = response.body;
                csv = "kind,name,date,actual,forecast_p10,forecast_p50,forecast_p90\n";
                for (const CostGroup* g : groups) {
                    for (const CostDay& d : g->days)
                        csv += g->kind + "," + CsvField(g->name) + "," + UtcDate(d.day) + "," + CsvNumber(d.actual) +
                               "," + CsvNumber(d.forecast ? std::optional(d.forecast->p10) : std::nullopt) + "," +
                               CsvNumber(d.forecast ? std::optional(d.forecast->p50) : std::nullopt) + "," +
                               CsvNumber(d.forecast ? std::optional(d.forecast->p90) : std::nullopt) + "\n";
                    // The month: actual so far, and the month's end with its band.
                    csv += g->kind + "," + CsvField(g->name) + "," + UtcDate(report->month_start, "%Y-%m") + "," +
                           CsvNumber(g->actual_to_date) + "," +
                           CsvNumber(g->month_end ? std::optional(g->month_end->p10) : std::nullopt) + "," +
                           CsvNumber(g->month_end ? std::optional(g->month_end->p50) : std::nullopt) + "," +
                           CsvNumber(g->month_end ? std::optional(g->month_end->p90) : std::nullopt) + "\n";
                }
                return response;
            }
            nlohmann::json list = nlohmann::json::array();
            for (const CostGroup* g : groups) {
                nlohmann::json days = nlohmann::json::array();
                for (const CostDay& d : g->days)
                    days.push_back(
                        {{"date", UtcDate(d.day)}, {"actual", Cents(d.actual)}, {"forecast", BandJson(d.forecast)}});
                nlohmann::json item = {{"kind", g->kind},
                                       {"name", g->name},
                                       {"actual_to_date", Cents(g->actual_to_date)},
                                       {"rest_of_month", BandJson(g->rest)},
                                       {"month_end", BandJson(g->month_end)},
                                       {"days", days}};
                if (!g->note.empty()) item["note"] = g->note;
                list.push_back(std::move(item));
            }
            return JsonResponse(200, {{"month", UtcDate(report->now, "%Y-%m")},
                                      {"now", report->now},
                                      {"month_start", report->month_start},
                                      {"month_end", report->month_end},
                                      {"currency", "USD"},
                                      {"groups", list}});
        },
        RouteCost::kBlocking);  // a spend forecast per resource: off the I/O threads
}

}  // namespace cloudopt::api::detail
