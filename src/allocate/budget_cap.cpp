#include "allocate/budget_cap.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

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

std::string CapSentence(const BudgetCapLimit& cap) {
    std::string why =
        "budget '" + cap.budget + "' (" + CapMoney(cap.monthly_usd) + "/month) is projected over at the p50";
    if (cap.unprojected)
        return why + ", but this resource has no spend projection of its own (under a day of load history), so its " +
               "share of what the budget has left is unknown";
    return why + ", so this resource may spend " + MoneyPerHour(cap.allowed_per_hour) + " = " +
           std::to_string(cap.max_instances) + " instances until the month ends";
}

}  // namespace

void ApplyBudgetCap(const BudgetCaps& caps, const Resource& r, std::optional<double> current_load, int running,
                    PlanDecision& d) {
    if (!caps.soft && !caps.hard) return;
    // What the measured load needs now at the top of the band (the planner's reactive floor); without a fresh
    // measurement, what runs: a cap is no reason to scale in blind.
    const int needed_now = current_load ? InstancesFor(*current_load, r.capacity_per_instance, r.target_high) : running;
    constexpr int kNoLimit = std::numeric_limits<int>::max();
    // Each mode apart: the soft cap is lifted to the measured need, the hard one is not; the lower holds.
    const int soft_limit = caps.soft ? std::max(caps.soft->max_instances, needed_now) : kNoLimit;
    const int hard_limit = caps.hard ? caps.hard->max_instances : kNoLimit;
    const int limit = std::min(soft_limit, hard_limit);
    if (d.desired <= limit) return;
    const int capped = std::max(limit, r.min_capacity);
    if (capped >= d.desired) return;
    const bool hard_binds = caps.hard && hard_limit <= soft_limit;
    const BudgetCapLimit& binding = hard_binds ? *caps.hard : *caps.soft;
    std::string why = "; budget cap: " + CapSentence(binding);
    if (capped > limit) why += "; min_capacity " + std::to_string(r.min_capacity) + " still holds";
    if (!hard_binds) {
        if (soft_limit > caps.soft->max_instances) {
            const std::string mode_note = binding.unprojected
                                              ? " (without a share, a cap never goes below it, whatever its mode)"
                                              : " (cap_mode soft never goes below it; cap_mode hard would)";
            why += current_load ? "; held at " + std::to_string(needed_now) + ", what the measured load " +
                                      CapNumber(*current_load) + " needs now" + mode_note
                                : "; held at the " + std::to_string(running) +
                                      " running: no fresh load measurement, and a cap is no reason to scale in blind";
        }
        if (caps.hard)
            why += "; budget '" + caps.hard->budget + "' caps it hard at " + std::to_string(caps.hard->max_instances) +
                   ", above that";
    } else {
        if (caps.soft)
            why += "; budget '" + caps.soft->budget + "' caps it soft at " + std::to_string(caps.soft->max_instances) +
                   " but never below the " + std::to_string(needed_now) +
                   (current_load ? " the measured load needs now" : " running") + ", so the hard cap is the lower";
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
    d.explanation.held_by = hard_binds ? "budget cap (hard)" : "budget cap";
    if (d.explanation.from > 0 && d.explanation.cost_before_per_hour > 0) {
        d.explanation.cost_after_per_hour = d.explanation.cost_before_per_hour / d.explanation.from * capped;
        d.cost_after_per_hour = d.explanation.cost_after_per_hour;
    }
}

void ApplyBudgetCap(const BudgetCapLimit& cap, const Resource& r, std::optional<double> current_load, int running,
                    PlanDecision& d) {
    BudgetCaps caps;
    AddCap(caps, cap);
    ApplyBudgetCap(caps, r, current_load, running, d);
}

}  // namespace cloudopt
