// /api/budgets: monthly budgets per total, provider, resource or label, each with where it stands against the spend
// forecast (api/budget_monitor.hpp, docs/COSTS.md "Budgets"). Registered by AddCostRoutes.

#include <chrono>
#include <memory>
#include <set>

#include "api/budget_monitor.hpp"
#include "api/cost_report.hpp"
#include "api/json_io.hpp"
#include "api/routes.hpp"
#include "core/labels.hpp"

namespace cloudopt::api::detail {

namespace {

// A check older than this is redone when GET /api/budgets is asked (the service checks every few minutes anyway).
// Twice the period of the service's budget watch (app/budget_watch.hpp: a minute after its last check ended), in real
// time, since the demo's clock runs faster: at one period, a GET that came while the watch was checking found the last
// check just stale, waited for the watch's, then made one more (a review finding).
constexpr std::chrono::seconds kBudgetStatusFresh{120};

double BudgetCents(double v) { return std::round(v * 100.0) / 100.0; }

json BudgetJson(const Budget& b) {
    return {{"id", b.id},
            {"name", b.name},
            {"scope", BudgetScopeName(b.scope)},
            {"target", b.target},
            {"monthly_usd", b.monthly_usd},
            {"cap_mode", BudgetCapModeName(b.cap_mode)},
            {"created_at", b.created_at},
            {"updated_at", b.updated_at}};
}

json BudgetStatusJson(const BudgetStatus& s, UnixSeconds checked_at) {
    json month_end = nullptr;
    if (s.projection.p10 && s.projection.p50 && s.projection.p90)
        month_end = {{"p10", BudgetCents(*s.projection.p10)},
                     {"p50", BudgetCents(*s.projection.p50)},
                     {"p90", BudgetCents(*s.projection.p90)}};
    json out = {{"state", BudgetStateName(s.state)},
                {"actual_to_date", BudgetCents(s.projection.actual_to_date)},
                {"month_end", month_end},
                {"resources", s.resources},
                {"caps", s.caps},
                {"held_at_need", s.held_at_need},
                {"message", DescribeBudget(s)},
                {"checked_at", checked_at}};
    if (!s.note.empty()) out["note"] = s.note;
    return out;
}

// kUnprocessable naming `target` and the providers known: those configured (providers.*) and those the stored
// resources name.
Status CheckBudgetProvider(const std::string& target, const std::map<std::string, std::string>& configured,
                           Store& store) {
    std::set<std::string> known;
    for (const auto& [name, driver] : configured) known.insert(name);
    auto resources = store.ListResources();
    if (!resources) return resources.error();
    for (const Resource& r : *resources) known.insert(r.provider);
    if (known.count(target)) return Status::Ok();
    std::string list;
    for (const std::string& name : known) list += (list.empty() ? "" : ", ") + name;
    return MakeError(ErrorCode::kUnprocessable,
                     "target: no provider is named '" + target + "'; known: " + (list.empty() ? "none yet" : list) +
                         " (the config's providers, and those resources name: GET /api/providers)");
}

// The fields a budget is made of; `base` supplies what the body leaves out (PUT changes only what it names).
Result<Budget> BudgetFromJson(const json& body, Budget b, Store& store,
                              const std::map<std::string, std::string>& providers) {
    if (Status s = CheckKnownFields(body, {"name", "scope", "target", "monthly_usd", "cap_mode"}, "budget"); !s)
        return s.error();
    auto text = [&body](const char* key, std::string& out) -> Status {
        if (!body.contains(key)) return Status::Ok();
        if (!body[key].is_string())
            return MakeError(ErrorCode::kUnprocessable, std::string(key) + ": must be a string");
        out = body[key].get<std::string>();
        return Status::Ok();
    };
    std::string scope = BudgetScopeName(b.scope), cap = BudgetCapModeName(b.cap_mode);
    for (Status s : {text("name", b.name), text("scope", scope), text("target", b.target), text("cap_mode", cap)})
        if (!s) return s.error();
    if (body.contains("monthly_usd")) {
        if (!body["monthly_usd"].is_number())
            return MakeError(ErrorCode::kUnprocessable, "monthly_usd: must be a number (US dollars per month)");
        b.monthly_usd = body["monthly_usd"].get<double>();
    }
    auto parsed_scope = ParseBudgetScope(scope);
    if (!parsed_scope) return MakeError(ErrorCode::kUnprocessable, "scope: must be total, provider, resource or label");
    b.scope = *parsed_scope;
    auto parsed_cap = ParseBudgetCapMode(cap);
    if (!parsed_cap)
        return MakeError(ErrorCode::kUnprocessable,
                         "cap_mode: must be off (alert only), soft (cap, never below the measured need) or hard "
                         "(cap even below it)");
    b.cap_mode = *parsed_cap;
    if (Status s = ValidateBudget(b); !s) return s.error();
    if (b.scope == BudgetScope::kLabel) {  // one spelling: "team=payments" is stored as "team:payments"
        auto selector = ParseLabelSelector(b.target);
        if (selector) b.target = (*selector)[0].key + ":" + (*selector)[0].value;
    }
    if (b.scope == BudgetScope::kProvider) {  // likewise: a provider configured, or one a resource names
        if (Status s = CheckBudgetProvider(b.target, providers, store); !s) return s.error();
    }
    if (b.scope == BudgetScope::kResource) {  // a typo would budget nothing, silently
        if (auto found = store.FindResourceByName(b.target); !found)
            return MakeError(ErrorCode::kUnprocessable,
                             "target: no resource is named '" + b.target + "' (GET /api/resources lists them)");
    }
    return b;
}

std::shared_ptr<BudgetMonitor> MonitorOf(ApiContext& ctx) {
    if (!ctx.budget_monitor) ctx.budget_monitor = std::make_shared<BudgetMonitor>(ctx.store, ctx.loop, ctx.metrics);
    return ctx.budget_monitor;
}

// Every field (a change within the same second keeps updated_at).
bool SameBudget(const Budget& a, const Budget& b) {
    return a.id == b.id && a.name == b.name && a.scope == b.scope && a.target == b.target &&
           a.monthly_usd == b.monthly_usd && a.cap_mode == b.cap_mode && a.updated_at == b.updated_at;
}

// The statuses, checked again when the last check is older than two minutes of real time (or the budgets changed
// since).
Result<std::pair<std::vector<BudgetStatus>, UnixSeconds>> FreshStatuses(BudgetMonitor& monitor,
                                                                        const std::vector<Budget>& budgets,
                                                                        UnixSeconds now) {
    auto latest = monitor.Latest();
    bool same = latest.first.size() == budgets.size();
    for (std::size_t i = 0; same && i < budgets.size(); ++i) same = SameBudget(latest.first[i].budget, budgets[i]);
    const auto age = monitor.SinceLatest();
    // Not across a month's end on the service's clock (a new month starts a new budget), nor back in time.
    const bool same_month = now >= latest.second && UtcMonthOf(now) == UtcMonthOf(latest.second);
    if (same && age && *age < kBudgetStatusFresh && same_month) return latest;
    auto checked = monitor.Check(now);
    if (!checked) return checked.error();
    return std::pair{std::move(*checked), now};
}

}  // namespace

void AddBudgetRoutes(Router& router, ApiContext& ctx) {
    auto monitor = MonitorOf(ctx);
    router.Add(
        "GET", "/api/budgets",
        [&ctx, monitor](const HttpRequest&) {
            auto budgets = ctx.store.ListBudgets();
            if (!budgets) return ErrorResponse(budgets.error());
            auto statuses = FreshStatuses(*monitor, *budgets, ctx.clock.Now());
            if (!statuses) return ErrorResponse(statuses.error());
            json items = json::array();
            for (const BudgetStatus& s : statuses->first) {
                json item = BudgetJson(s.budget);
                item["status"] = BudgetStatusJson(s, statuses->second);
                items.push_back(std::move(item));
            }
            return JsonResponse(200, {{"budgets", items}, {"currency", "USD"}});
        },
        RouteCost::kBlocking);  // may compute the month's spend forecast

    router.Add(
        "POST", "/api/budgets",
        [&ctx](const HttpRequest& req) {
            auto body = ParseJsonBody(req);
            if (!body) return ErrorResponse(body.error());
            for (const char* required : {"name", "monthly_usd"})
                if (!body->contains(required))
                    return ErrorResponse(MakeError(ErrorCode::kUnprocessable, std::string(required) + ": is required"));
            auto budget = BudgetFromJson(*body, Budget{}, ctx.store, ctx.providers);
            if (!budget) return ErrorResponse(budget.error());
            auto saved = ctx.store.SaveBudget(*budget);
            if (!saved) return ErrorResponse(saved.error());
            HttpResponse r = JsonResponse(201, BudgetJson(*saved));
            r.headers.emplace_back("Location", "/api/budgets/" + std::to_string(saved->id));
            return r;
        },
        RouteCost::kBlocking);  // a store write

    auto find = [&ctx](std::int64_t id) -> Result<Budget> {
        auto budgets = ctx.store.ListBudgets();
        if (!budgets) return budgets.error();
        for (const Budget& b : *budgets)
            if (b.id == id) return b;
        return MakeError(ErrorCode::kNotFound, "budget " + std::to_string(id) + " does not exist (GET /api/budgets)");
    };

    router.Add(
        "GET", "/api/budgets/{id}",
        [&ctx, monitor, find](const HttpRequest& req) {
            auto id = PathId(req, "budget");
            if (!id) return ErrorResponse(id.error());
            auto budget = find(*id);
            if (!budget) return ErrorResponse(budget.error());
            auto budgets = ctx.store.ListBudgets();
            if (!budgets) return ErrorResponse(budgets.error());
            auto statuses = FreshStatuses(*monitor, *budgets, ctx.clock.Now());
            if (!statuses) return ErrorResponse(statuses.error());
            json item = BudgetJson(*budget);
            for (const BudgetStatus& s : statuses->first)
                if (s.budget.id == *id) item["status"] = BudgetStatusJson(s, statuses->second);
            return JsonResponse(200, item);
        },
        RouteCost::kBlocking);

    router.Add(
        "PUT", "/api/budgets/{id}",
        [&ctx, find](const HttpRequest& req) {
            auto id = PathId(req, "budget");
            if (!id) return ErrorResponse(id.error());
            auto body = ParseJsonBody(req);
            if (!body) return ErrorResponse(body.error());
            auto stored = find(*id);
            if (!stored) return ErrorResponse(stored.error());
            auto budget = BudgetFromJson(*body, *stored, ctx.store, ctx.providers);
            if (!budget) return ErrorResponse(budget.error());
            auto saved = ctx.store.SaveBudget(*budget);
            if (!saved) return ErrorResponse(saved.error());
            return JsonResponse(200, BudgetJson(*saved));
        },
        RouteCost::kBlocking);

    router.Add(
        "DELETE", "/api/budgets/{id}",
        [&ctx](const HttpRequest& req) {
            auto id = PathId(req, "budget");
            if (!id) return ErrorResponse(id.error());
            if (Status s = ctx.store.DeleteBudget(*id); !s) return ErrorResponse(s.error());
            HttpResponse r;
            r.status = 204;
            return r;
        },
        RouteCost::kBlocking);
}

}  // namespace cloudopt::api::detail
