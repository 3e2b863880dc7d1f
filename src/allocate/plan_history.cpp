#include "allocate/plan_history.hpp"

#include <algorithm>

namespace cloudopt {

namespace {
constexpr UnixSeconds kDaySeconds = 86400;
// The longest a flap budget holds scale-in, however often the resource flaps (unless the hold itself is longer).
constexpr UnixSeconds kLongestFlapHoldSeconds = 4 * 3600;

// The hold a spent budget starts with: never shorter than the flap span, or a scale-out could be undone inside it.
UnixSeconds BaseFlapHold(const FlapGuard& guard) { return std::max(guard.flap_hold_seconds, kFlapWindowSeconds); }
UnixSeconds LongestFlapHold(const FlapGuard& guard) { return std::max(BaseFlapHold(guard), kLongestFlapHoldSeconds); }
}  // namespace

UnixSeconds PlanHistory::FlapHold() const {
    const int budget = flap_guard_.flap_budget_per_day;
    const int over = static_cast<int>(flaps_.size()) - budget;
    if (budget <= 0 || over < 0) return 0;
    return std::min(BaseFlapHold(flap_guard_) << std::min(over, 8), LongestFlapHold(flap_guard_));
}

void PlanHistory::Forget(UnixSeconds now) {
    while (!flaps_.empty() && flaps_.front() <= now - kDaySeconds) flaps_.pop_front();
    // Recommendations are kept as long as the longer of the stabilization window and the flap budget's hold reads.
    const UnixSeconds keep =
        std::max(window_, flap_guard_.flap_budget_per_day > 0 ? LongestFlapHold(flap_guard_) : UnixSeconds{0});
    while (!recommendations_.empty() && recommendations_.front().first < now - keep) recommendations_.pop_front();
    while (!directions_.empty() && directions_.front().first <= now - window_) directions_.pop_front();
}

void PlanHistory::Fill(UnixSeconds now, PlanInput& input) {
    Forget(now);
    input.stabilization_seconds = window_;
    input.stabilization_floor = 0;
    input.flaps_last_day = static_cast<int>(flaps_.size());
    input.flap_hold_seconds = FlapHold();
    input.flap_hold_floor = 0;
    for (const auto& entry : recommendations_) {
        if (entry.first > now - window_) input.stabilization_floor = std::max(input.stabilization_floor, entry.second);
        // A reversal exactly one flap span after a change is still a flap (IsFlap counts <=), so the hold reaches it.
        if (entry.first >= now - input.flap_hold_seconds)
            input.flap_hold_floor = std::max(input.flap_hold_floor, entry.second);
    }
    input.recent_directions.clear();
    for (const auto& entry : directions_) input.recent_directions.push_back(entry.second);
    input.flap_guard = flap_guard_;
    input.flap_guard.window_seconds = flap_guard_.window_seconds * backoff_;
    input.last_change = last_change_;
    input.band_correction = correction_;
    if (input.forecast) {
        // A running mean over about a day of passes: every phase of the hour or day weighs alike.
        const double weight = std::clamp(
            static_cast<double>(std::max<UnixSeconds>(1, input.tick_seconds)) / static_cast<double>(kUsualWidthSeconds),
            0.0, 1.0);
        const std::vector<ForecastPoint>& points = input.forecast->points;
        for (std::size_t k = unit90_.size(); k < points.size(); ++k) {
            unit90_.push_back(points[k].p90 - points[k].p50);
            unit95_.push_back(points[k].p95 - points[k].p50);
            unit99_.push_back(points[k].p99 - points[k].p50);
        }
        for (std::size_t k = 0; k < points.size(); ++k) {
            unit90_[k] += weight * ((points[k].p90 - points[k].p50) - unit90_[k]);
            unit95_[k] += weight * ((points[k].p95 - points[k].p50) - unit95_[k]);
            unit99_[k] += weight * ((points[k].p99 - points[k].p50) - unit99_[k]);
        }
        input.band_unit90.assign(unit90_.begin(), unit90_.begin() + static_cast<std::ptrdiff_t>(points.size()));
        input.band_unit95.assign(unit95_.begin(), unit95_.begin() + static_cast<std::ptrdiff_t>(points.size()));
        input.band_unit99.assign(unit99_.begin(), unit99_.begin() + static_cast<std::ptrdiff_t>(points.size()));
    }
}

void PlanHistory::ObserveService(bool starved) {
    correction_ += level_.rate * ((starved ? 1.0 : 0.0) - level_.budget);
    correction_ = std::max(-1.0, correction_);
}

void PlanHistory::RecordChange(UnixSeconds now, int from, int to) {
    if (to == from) return;
    directions_.emplace_back(now, to > from ? 1 : -1);
    const CapacityChange change{now, from, to};
    if (last_change_ && IsFlap(*last_change_, change)) {
        flaps_.push_back(now);
        backoff_ = std::min(backoff_ * 2, std::max(1, flap_guard_.max_backoff));
    } else if (last_change_ && now - last_change_->ts >= flap_guard_.window_seconds * backoff_) {
        backoff_ = std::max(1, backoff_ / 2);
    }
    last_change_ = change;
}

}  // namespace cloudopt
