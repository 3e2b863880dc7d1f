#pragma once
// The service's budget check (docs/COSTS.md "Budgets"): every `period` of real time, BudgetMonitor::Check on a
// thread of its own: the gauges of /metrics, the caps the loop's planner respects, and a Slack-compatible message
// to the alert webhook (the one anomaly alerts use) when a budget's state changes.
//
// Ownership: shares the monitor with the API (GET /api/budgets shows the same states). Thread-safety: Start and
// Stop from the thread that owns it; Stop (also the destructor) waits for a check in progress.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "api/budget_monitor.hpp"

namespace cloudopt {

// {"text": ..., "attachments": [{color, title, fields, footer, ts}]} for one budget's change of state.
std::string BudgetSlackPayload(const api::BudgetEvent& event, UnixSeconds now);

class BudgetWatch {
  public:
    // `send` posts one payload (null: log only).
    BudgetWatch(std::shared_ptr<api::BudgetMonitor> monitor, const Clock& clock, std::chrono::seconds period,
                std::function<void(std::string payload)> send);
    ~BudgetWatch();
    BudgetWatch(const BudgetWatch&) = delete;
    BudgetWatch& operator=(const BudgetWatch&) = delete;

    void Start();
    void Stop();

  private:
    std::shared_ptr<api::BudgetMonitor> monitor_;
    const Clock& clock_;
    std::chrono::seconds period_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;  // guarded by mutex_
    std::thread thread_;
};

}  // namespace cloudopt
