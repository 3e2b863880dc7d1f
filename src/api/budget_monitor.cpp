#include "api/budget_monitor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace cloudopt::api {

namespace {

constexpr double kBudgetSecondsPerHour = 3600.0;

std::string BudgetMoney(double usd) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "$%.2f", usd);
    return buf;
}

// The cost report's group a budget is measured on.
std::pair<std::string, std::string> BudgetGroupKey(const Budget& b) {
    switch (b.scope) {
        case BudgetScope::kTotal:
            return {"total", "total"};
        case BudgetScope::kProvider:
            return {"provider", b.target};
        case BudgetScope::kResource:
            return {"resource", b.target};
        case BudgetScope::kLabel:
            return {"label", b.target};
    }
    return {"total", "total"};
}

std::string BudgetScopeText(const Budget& b) {
    if (b.scope == BudgetScope::kTotal) return "every resource";
    return std::string(BudgetScopeName(b.scope)) + " " + b.target;
}

}  // namespace

std::string DescribeBudget(const BudgetStatus& s) {
    const Budget& b = s.budget;
    std::string text =
        "Budget '" + b.name + "' (" + BudgetScopeText(b) + ", " + BudgetMoney(b.monthly_usd) + "/month) ";
    switch (s.state) {
        case BudgetState::kOk:
            text += "is within its budget";
            break;
        case BudgetState::kAtRisk:
            text += "is at risk (the p90 projection crosses it)";
            break;
        case BudgetState::kOver:
            text += "is projected over (the p50 projection crosses it)";
            break;
        case BudgetState::kExceeded:
            text += "is exceeded (the spend so far crosses it)";
            break;
        case BudgetState::kUnknown:
            text += "has no projection yet";
            break;
    }
    text += ": spent " + BudgetMoney(s.projection.actual_to_date) + " so far";
    if (s.projection.p50 && s.projection.p90)
        text += ", month's end p50 " + BudgetMoney(*s.projection.p50) + ", p90 " + BudgetMoney(*s.projection.p90);
    if (!s.caps.empty() || !s.held_at_need.empty()) {
        text += "; cap (" + std::string(BudgetCapModeName(b.cap_mode)) + "):";
        for (const auto& [name, count] : s.caps) text += " " + name + " <= " + std::to_string(count);
        for (const std::string& name : s.held_at_need)
            text += " " + name + " held at its measured need (no projection)";
    }
    return text;
}

BudgetEvaluation EvaluateBudgets(const std::vector<Budget>& budgets, const std::vector<Resource>& resources,
                                 const CostReport& report,
                                 const std::function<double(const Resource&)>& price_per_instance_hour) {
    BudgetEvaluation out;
    auto find_group = [&report](const std::string& kind, const std::string& name) -> const CostGroup* {
        for (const CostGroup& g : report.groups)
            if (g.kind == kind && g.name == name) return &g;
        return nullptr;
    };
    const double hours_left = std::max(0.0, static_cast<double>(report.month_end - report.now) / kBudgetSecondsPerHour);
    for (const Budget& b : budgets) {
        BudgetStatus st;
        st.budget = b;
        std::vector<const Resource*> members;
        for (const Resource& r : resources)
            if (BudgetCovers(b, r)) members.push_back(&r);
        st.resources = static_cast<int>(members.size());
        const auto [kind, name] = BudgetGroupKey(b);
        const CostGroup* group = find_group(kind, name);
        if (group) {
            st.projection.actual_to_date = group->actual_to_date;
            if (group->month_end) {
                st.projection.p10 = group->month_end->p10;
                st.projection.p50 = group->month_end->p50;
                st.projection.p90 = group->month_end->p90;
            }
            st.note = group->note;
        } else {
            st.note = members.empty() ? "no resource matches it yet" : "no spend recorded for it yet";
        }
        st.state = ClassifyBudget(b.monthly_usd, st.projection);
        // The cap: while the p50 is over, each member may spend its share (by its own p50 for the rest of the
        // month) of what is left per hour. Spending at most that flat rate every hour keeps the month within the
        // budget whatever the load does, and a flat rate cuts the peaks, not the troughs.
        const bool capping = b.cap_mode != BudgetCapMode::kOff &&
                             (st.state == BudgetState::kOver || st.state == BudgetState::kExceeded) && hours_left > 0;
        if (capping) {
            const double left_per_hour = std::max(0.0, b.monthly_usd - st.projection.actual_to_date) / hours_left;
            // A member without a projection of its own has no share to be held to: it keeps what its measured
            // load needs now whatever the mode (BudgetCapLimit::unprojected), instead of a share of 0 that a hard
            // cap would starve it with. When no member has one, they share alike.
            std::vector<std::pair<const Resource*, std::optional<double>>> shares;
            double total_rest = 0.0;
            for (const Resource* r : members) {
                const CostGroup* own = find_group("resource", r->name);
                std::optional<double> rest;
                if (own && own->rest) rest = std::max(0.0, own->rest->p50);
                shares.emplace_back(r, rest);
                total_rest += rest.value_or(0.0);
            }
            const bool any_projected =
                std::any_of(shares.begin(), shares.end(), [](const auto& s) { return s.second.has_value(); });
            for (const auto& [r, rest] : shares) {
                const double price = price_per_instance_hour(*r);
                if (!(price > 0)) continue;  // an unpriced type cannot be capped by money
                BudgetCapLimit cap;
                cap.budget = b.name;
                cap.monthly_usd = b.monthly_usd;
                cap.hard = b.cap_mode == BudgetCapMode::kHard;
                if (any_projected && !rest) {
                    cap.unprojected = true;
                    cap.hard = false;
                    st.held_at_need.push_back(r->name);
                } else {
                    const double share = total_rest > 0 ? rest.value_or(0.0) / total_rest
                                         : any_projected
                                             ? 1.0 / static_cast<double>(std::count_if(
                                                         shares.begin(), shares.end(),
                                                         [](const auto& s) { return s.second.has_value(); }))
                                             : 1.0 / static_cast<double>(shares.size());
                    cap.allowed_per_hour = left_per_hour * share;
                    cap.max_instances = static_cast<int>(std::floor(cap.allowed_per_hour / price + 1e-9));
                    st.caps[r->name] = cap.max_instances;
                }
                AddCap(out.caps[r->id], cap);
            }
        }
        out.statuses.push_back(std::move(st));
    }
    return out;
}

BudgetMonitor::BudgetMonitor(Store& store, const ControlLoop& loop, MetricsRegistry& metrics, BudgetCapBoard* caps)
    : store_(store), loop_(loop), metrics_(metrics), caps_(caps) {}

Result<std::vector<BudgetStatus>> BudgetMonitor::Check(UnixSeconds now) {
    std::lock_guard check(check_mutex_);
    auto budgets = store_.ListBudgets();
    if (!budgets) return budgets.error();
    auto resources = store_.ListResources();
    if (!resources) return resources.error();
    BudgetEvaluation evaluation;
    if (!budgets->empty()) {
        auto report = ComputeCostReport(store_, loop_, now);
        if (!report) return report.error();
        evaluation = EvaluateBudgets(*budgets, *resources, *report,
                                     [this](const Resource& r) { return loop_.HourlyCost(r, 1); });
    }
    if (caps_) caps_->Set(evaluation.caps);
    for (const BudgetStatus& s : evaluation.statuses) {
        const Labels labels = {{"budget", s.budget.name}};
        metrics_
            .GetGauge("cloudopt_budget_state",
                      "Budget state: 0 ok or unknown, 1 at risk (p90 projection over), 2 over (p50 over), 3 exceeded",
                      labels)
            .Set(BudgetSeverity(s.state));
        metrics_.GetGauge("cloudopt_budget_monthly_usd", "The budget per month, USD", labels).Set(s.budget.monthly_usd);
        metrics_.GetGauge("cloudopt_budget_spent_usd", "Spent this month so far, USD", labels)
            .Set(s.projection.actual_to_date);
        for (const auto& [quantile, value] : {std::pair{"p50", s.projection.p50}, std::pair{"p90", s.projection.p90}}) {
            const Labels projected = {{"budget", s.budget.name}, {"quantile", quantile}};
            if (value)
                metrics_.GetGauge("cloudopt_budget_projected_usd", "Projected spend at the month's end, USD", projected)
                    .Set(*value);
            else  // no projection now (a new scope without history, say): no stale number either
                metrics_.RemoveGauge("cloudopt_budget_projected_usd", projected);
        }
    }
    // A budget deleted or renamed since the last check takes its series with it.
    std::set<std::string> gauged;
    for (const BudgetStatus& s : evaluation.statuses) gauged.insert(s.budget.name);
    for (const std::string& gone : gauged_) {
        if (gauged.count(gone)) continue;
        for (const char* family : {"cloudopt_budget_state", "cloudopt_budget_monthly_usd", "cloudopt_budget_spent_usd"})
            metrics_.RemoveGauge(family, {{"budget", gone}});
        for (const char* quantile : {"p50", "p90"})
            metrics_.RemoveGauge("cloudopt_budget_projected_usd", {{"budget", gone}, {"quantile", quantile}});
    }
    gauged_ = std::move(gauged);
    std::vector<BudgetEvent> events;
    {
        std::lock_guard lock(latest_mutex_);
        std::map<std::int64_t, BudgetState> states;
        for (const BudgetStatus& s : evaluation.statuses) {
            // The state last sent: this process's, or after a restart the one the store kept (Budget::alerted).
            auto before = states_.find(s.budget.id);
            const BudgetState from = before == states_.end() ? s.budget.alerted : before->second;
            // Alerts escalate and clear: at risk -> over -> exceeded, and back to ok. Unknown (no projection) is no
            // news.
            if (s.state != BudgetState::kUnknown && BudgetSeverity(s.state) != BudgetSeverity(from))
                events.push_back({from, s});
            states[s.budget.id] = s.state == BudgetState::kUnknown ? from : s.state;
        }
        states_ = std::move(states);
        latest_ = evaluation.statuses;
        latest_at_ = now;
        latest_real_ = std::chrono::steady_clock::now();
    }
    // Kept before it is sent: a restart between the two loses one message rather than sending it twice.
    for (const BudgetEvent& e : events)
        if (Status kept = store_.SetBudgetAlerted(e.status.budget.id, e.status.state); !kept)
            spdlog::warn("budget '{}': keeping its alert state: {}", e.status.budget.name, kept.error().message);
    if (listener_)
        for (const BudgetEvent& e : events) listener_(e);
    return evaluation.statuses;
}

std::pair<std::vector<BudgetStatus>, UnixSeconds> BudgetMonitor::Latest() const {
    std::lock_guard lock(latest_mutex_);
    return {latest_, latest_at_};
}

std::optional<std::chrono::steady_clock::duration> BudgetMonitor::SinceLatest() const {
    std::lock_guard lock(latest_mutex_);
    if (latest_at_ == 0) return std::nullopt;
    return std::chrono::steady_clock::now() - latest_real_;
}

}  // namespace cloudopt::api
