#include "allocate/budget_cap.hpp"

#include <algorithm>
#include <cstdio>

#include "allocate/capacity_planner.hpp"
#include "core/text.hpp"

namespace cloudopt {

namespace {

std::string CapNumber(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

std::string CapMoney(double usd) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "$%.2f", usd);
    return buf;
}

}  // namespace

void ApplyBudgetCap(const BudgetCapLimit& cap, const Resource& r, std::optional<double> current_load, int running,
                    PlanDecision& d) {
    if (d.desired <= cap.max_instances) return;
    // What the measured load needs now at the top of the band (the planner's reactive floor); without a fresh
    // measurement, what runs: a cap is no reason to scale in blind.
    const int needed_now = current_load ? InstancesFor(*current_load, r.capacity_per_instance, r.target_high) : running;
    int capped = std::max(cap.max_instances, r.min_capacity);
    std::string why = "; budget cap: budget '" + cap.budget + "' (" + CapMoney(cap.monthly_usd) +
                      "/month) is projected over at the p50, so this resource may spend " +
                      MoneyPerHour(cap.allowed_per_hour) + " = " + std::to_string(cap.max_instances) +
                      " instances until the month ends";
    if (capped > cap.max_instances) why += "; min_capacity " + std::to_string(r.min_capacity) + " still holds";
    if (!cap.hard && capped < needed_now) {
        capped = needed_now;
        why += current_load ? "; held at " + std::to_string(needed_now) + ", what the measured load " +
                                  CapNumber(*current_load) +
                                  " needs now (cap_mode soft never goes below it; cap_mode hard would)"
                            : "; held at the " + std::to_string(running) +
                                  " running: no fresh load measurement, and a cap is no reason to scale in blind";
    }
    if (capped >= d.desired) return;
    if (cap.hard) {
        if (current_load) {
            const double served = capped * r.capacity_per_instance;
            const double unmet = std::max(0.0, *current_load - served);
            why += "; cap_mode hard: " + std::to_string(capped) + " instances serve " + CapNumber(served) +
                   " at 100%; it risks " + CapNumber(unmet) + " of the measured load " + CapNumber(*current_load) +
                   " unmet now (" + CapNumber(*current_load > 0 ? 100.0 * unmet / *current_load : 0.0) +
                   "%), and the forecast's peak beyond it";
        } else {
            why += "; cap_mode hard: no fresh load measurement, so what it leaves unmet is unknown";
        }
    }
    why += " (planned " + std::to_string(d.desired) + ")";
    d.desired = capped;
    d.bound_by = "budget_cap";
    d.reason += why;
    d.explanation.held_by = cap.hard ? "budget cap (hard)" : "budget cap";
    if (d.explanation.from > 0 && d.explanation.cost_before_per_hour > 0) {
        d.explanation.cost_after_per_hour = d.explanation.cost_before_per_hour / d.explanation.from * capped;
        d.cost_after_per_hour = d.explanation.cost_after_per_hour;
    }
}

}  // namespace cloudopt
