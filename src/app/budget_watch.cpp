#include "app/budget_watch.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace cloudopt {

std::string BudgetSlackPayload(const api::BudgetEvent& event, UnixSeconds now) {
    const api::BudgetStatus& s = event.status;
    const int severity = BudgetSeverity(s.state);
    const char* color = severity >= 2 ? "danger" : severity == 1 ? "warning" : "good";
    const std::string headline = severity == 0
                                     ? "Budget back within its amount: " + s.budget.name
                                     : "Budget " + std::string(BudgetStateName(s.state)) + ": " + s.budget.name;
    nlohmann::json fields = nlohmann::json::array();
    auto field = [&fields](const std::string& title, const std::string& value) {
        fields.push_back({{"title", title}, {"value", value}, {"short", true}});
    };
    auto money = [](double v) {
        char buf[48];
        std::snprintf(buf, sizeof buf, "$%.2f", v);
        return std::string(buf);
    };
    field("Budget", money(s.budget.monthly_usd) + "/month");
    field("Scope", s.budget.scope == BudgetScope::kTotal
                       ? std::string("every resource")
                       : std::string(BudgetScopeName(s.budget.scope)) + " " + s.budget.target);
    field("Spent so far", money(s.projection.actual_to_date));
    if (s.projection.p50 && s.projection.p90)
        field("Month's end (p50 / p90)", money(*s.projection.p50) + " / " + money(*s.projection.p90));
    field("State", std::string(BudgetStateName(event.from)) + " -> " + BudgetStateName(s.state));
    field("Cap", BudgetCapModeName(s.budget.cap_mode));
    nlohmann::json body = {{"text", headline},
                           {"attachments",
                            {{{"color", color},
                              {"title", headline},
                              {"text", api::DescribeBudget(s)},
                              {"fields", fields},
                              {"footer", "cloudopt budgets"},
                              {"ts", now}}}}};
    return body.dump();
}

BudgetWatch::BudgetWatch(std::shared_ptr<api::BudgetMonitor> monitor, const Clock& clock, std::chrono::seconds period,
                         std::function<void(std::string payload)> send)
    : monitor_(std::move(monitor)), clock_(clock), period_(period) {
    monitor_->OnChange([this, send = std::move(send)](const api::BudgetEvent& e) {
        spdlog::warn("budget '{}': {} -> {}: {}", e.status.budget.name, BudgetStateName(e.from),
                     BudgetStateName(e.status.state), api::DescribeBudget(e.status));
        if (send) send(BudgetSlackPayload(e, clock_.Now()));
    });
}

BudgetWatch::~BudgetWatch() { Stop(); }

void BudgetWatch::Start() {
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            if (auto checked = monitor_->Check(clock_.Now()); !checked)
                spdlog::warn("budget check: {}", checked.error().message);
            lock.lock();
            cv_.wait_for(lock, period_, [this] { return stopping_; });
        }
    });
}

void BudgetWatch::Stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

}  // namespace cloudopt
