#pragma once
// What the planner's window rules remember about one resource: the recommendations of the last stabilization
// window (scale-in never goes below the highest) and the directions of the changes made in it (at most one
// reversal per window), and the resource's flaps of the last day, for the flap budget (FlapGuard). The control loop and
// the simulator keep one each, so both apply the rules alike.
//
// It also holds the service-level correction. The forecast bands are calibrated on the forecast's errors, but
// what the user is promised is a share of steps in which demand finds enough ready capacity. That share also
// depends on how the peak over the lead time, the boot delay and the rules combine. So after each step whose
// outcome is known, the correction moves like a tracked quantile (forecast/band_tracker.hpp): up by
// rate x (1 - budget) when the step was starved, down by rate x budget when it was not. It rests where starved
// steps are `budget` of all. It is measured in the usual width of each step's band (a running mean over about a
// day), and clamped at -1: capacity is never sized under the median forecast.

#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "core/plan.hpp"

namespace cloudopt {

struct ServiceLevel {
    double budget = 0.005;  // share of steps in which demand may exceed ready capacity
    // Band widths moved per starved step; 0 turns the correction off. Chosen on bitbrains (the tuning set):
    // 0.05/0.1/0.2/0.5/1.0 gave unmet 1.22% (off) -> 0.91% at 0.2 and 0.78% at 0.5, for 10% and 18% more cost.
    double rate = 0.2;
};

class PlanHistory {
  public:
    explicit PlanHistory(UnixSeconds window_seconds = 300, ServiceLevel level = {}, FlapGuard flap_guard = {})
        : window_(window_seconds), level_(level), flap_guard_(flap_guard) {}

    // Forgets what left the window and fills the planner's window inputs, and the correction with its unit: call it
    // after input.forecast is set.
    void Fill(UnixSeconds now, PlanInput& input);
    // Remembers a pass's raw recommendation (every pass), and a change actually made (only when applied).
    void RecordRecommendation(UnixSeconds now, int recommended) { recommendations_.emplace_back(now, recommended); }
    void RecordChange(UnixSeconds now, int from, int to);
    // A step (or pass) whose outcome is known: was its demand above the capacity that was ready?
    void ObserveService(bool starved);
    double band_correction() const { return correction_; }
    // An adopted unmet budget (ControlLoop::AdoptRisk): the correction moves toward it from where it is.
    void SetServiceBudget(double budget) { level_.budget = budget; }

  private:
    void Forget(UnixSeconds now);
    // How far back the flap budget holds scale-in now: 0 while the resource has flapped less than its budget.
    UnixSeconds FlapHold() const;

    UnixSeconds window_;
    std::deque<std::pair<UnixSeconds, int>> recommendations_;
    std::deque<std::pair<UnixSeconds, int>> directions_;
    ServiceLevel level_;
    FlapGuard flap_guard_;
    std::optional<CapacityChange> last_change_;
    std::deque<UnixSeconds> flaps_;  // when the resource flapped, over the last 24 hours (the flap budget)
    int backoff_ = 1;                // the flap window's multiplier: doubled by a flap, halved by a window without one
    double correction_ = 0.0;
    // The usual band widths the correction is measured in (PlanInput::band_unit90 / 95 / 99).
    static constexpr UnixSeconds kUsualWidthSeconds = 86400;
    std::vector<double> unit90_, unit95_, unit99_;
};

}  // namespace cloudopt
