#include "control/model_health.hpp"

#include <cmath>
#include <cstdio>

namespace cloudopt {

std::optional<std::string> DriftReason(const ModelHealth& health, const DriftRule& rule) {
    if (rule.error_ratio <= 0 || health.live.actuals < rule.min_actuals) return std::nullopt;
    if (!std::isfinite(health.live.accuracy) || !std::isfinite(health.trained_accuracy)) return std::nullopt;
    const double trained_error = 1.0 - health.trained_accuracy;
    const double live_error = 1.0 - health.live.accuracy;
    if (live_error < rule.error_ratio * trained_error) return std::nullopt;
    if (health.trained_accuracy - health.live.accuracy < rule.min_accuracy_drop) return std::nullopt;
    if (rule.must_lose_to_naive && !(health.live.accuracy < health.live.naive_accuracy)) return std::nullopt;
    char text[200];
    std::snprintf(text, sizeof text,
                  "live accuracy %.3f over %zu steps since training (the last value: %.3f), against %.3f when trained",
                  health.live.accuracy, health.live.actuals, health.live.naive_accuracy, health.trained_accuracy);
    return std::string(text);
}

}  // namespace cloudopt
