#include "allocate/plan_history.hpp"

#include <algorithm>

namespace cloudopt {

void PlanHistory::Forget(UnixSeconds now) {
    while (!recommendations_.empty() && recommendations_.front().first <= now - window_) recommendations_.pop_front();
    while (!directions_.empty() && directions_.front().first <= now - window_) directions_.pop_front();
}

void PlanHistory::Fill(UnixSeconds now, PlanInput& input) {
    Forget(now);
    input.stabilization_seconds = window_;
    input.stabilization_floor = 0;
    for (const auto& entry : recommendations_)
        input.stabilization_floor = std::max(input.stabilization_floor, entry.second);
    input.recent_directions.clear();
    for (const auto& entry : directions_) input.recent_directions.push_back(entry.second);
    input.band_correction = correction_;
}

void PlanHistory::ObserveService(bool starved) {
    correction_ += level_.rate * ((starved ? 1.0 : 0.0) - level_.budget);
    correction_ = std::max(-1.0, correction_);
}

void PlanHistory::RecordChange(UnixSeconds now, int from, int to) {
    if (to != from) directions_.emplace_back(now, to > from ? 1 : -1);
}

}  // namespace cloudopt
