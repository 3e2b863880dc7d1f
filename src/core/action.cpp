#include "core/action.hpp"

#include <cmath>
#include <cstdio>

#include "core/text.hpp"

namespace cloudopt {

const char* ActionStatusName(ActionStatus status) {
    switch (status) {
        case ActionStatus::kPlanned: return "planned";
        case ActionStatus::kApplied: return "applied";
        case ActionStatus::kFailed: return "failed";
        case ActionStatus::kSkipped: return "skipped";
    }
    return "planned";
}

std::optional<ActionStatus> ParseActionStatus(std::string_view text) {
    if (text == "planned") return ActionStatus::kPlanned;
    if (text == "applied") return ActionStatus::kApplied;
    if (text == "failed") return ActionStatus::kFailed;
    if (text == "skipped") return ActionStatus::kSkipped;
    return std::nullopt;
}

namespace {

std::string Num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, std::abs(v) >= 100 ? "%.0f" : "%.3g", v);
    return buf;
}

std::string Minutes(UnixSeconds s) {
    if (s < 60) return std::to_string(s) + " s";
    return std::to_string((s + 30) / 60) + " min";
}

std::string Percent(double share) { return std::to_string(static_cast<int>(std::lround(100 * share))) + "%"; }

}  // namespace

std::string SummarizeDecision(const DecisionExplanation& e) {
    std::string out =
        e.from == e.to ? "holding " + std::to_string(e.to) : std::to_string(e.from) + " -> " + std::to_string(e.to);
    const std::string& r = e.rule;
    std::string why;
    if (r == "forecast" && e.has_forecast) {
        why = e.quantile + " forecast " + Num(e.forecast_peak) + " " + e.metric +
              (e.forecast_peak_in > 0 ? " in " + Minutes(e.forecast_peak_in) : std::string(" now")) + " needs " +
              std::to_string(e.to) + " at " + Percent(e.target_utilization);
    } else if (r == "reactive_floor" && e.has_load) {
        why = "the load now, " + Num(e.current_load) + " " + e.metric + ", needs " + std::to_string(e.reactive_floor) +
              (e.has_forecast ? " (above the forecast)" : " (no forecast)");
    } else if (r == "hold") {
        why = e.from == e.to ? "no forecast and no load measurement: nothing changes blind"
                             : "no forecast and no load measurement: only brought within min/max capacity";
    } else if (r == "stale_metrics") {
        why = "no fresh load measurement: no scale-in blind";
    } else if (!e.held_by.empty()) {
        why = e.held_by;
    } else {
        why = "bound by " + r;
    }
    out += ": " + why;
    const double delta = e.cost_after_per_hour - e.cost_before_per_hour;
    if (e.from != e.to && (e.cost_before_per_hour > 0 || e.cost_after_per_hour > 0)) {
        out += "; " + std::string(delta >= 0 ? "+" : "-") + MoneyPerHour(std::abs(delta));
    }
    return out;
}

}  // namespace cloudopt
