#pragma once
// What the planner's window rules remember about one resource: the recommendations of the last stabilization
// window (scale-in never goes below the highest) and the directions of the changes made in it (at most one
// reversal per window). The control loop and the simulator keep one each, so both apply the rules alike.

#include <deque>
#include <utility>

#include "core/plan.hpp"

namespace cloudopt {

class PlanHistory {
public:
    explicit PlanHistory(UnixSeconds window_seconds = 300) : window_(window_seconds) {}

    // Forgets what left the window and fills the planner's window inputs.
    void Fill(UnixSeconds now, PlanInput& input);
    // Remembers a pass's raw recommendation (every pass), and a change actually made (only when applied).
    void RecordRecommendation(UnixSeconds now, int recommended) { recommendations_.emplace_back(now, recommended); }
    void RecordChange(UnixSeconds now, int from, int to);

private:
    void Forget(UnixSeconds now);

    UnixSeconds window_;
    std::deque<std::pair<UnixSeconds, int>> recommendations_;
    std::deque<std::pair<UnixSeconds, int>> directions_;
};

}  // namespace cloudopt
