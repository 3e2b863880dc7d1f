#pragma once
// What the planner is told and what it answers: one desired capacity with the arithmetic behind it, the cheapest
// instance mix that would carry it, and the rule that bound it.

#include <optional>
#include <string>
#include <vector>

#include "core/action.hpp"
#include "core/catalog.hpp"
#include "core/forecast.hpp"
#include "core/resource.hpp"

namespace cloudopt {

// The rules that keep a resource from flapping (a change undone within 30 minutes, core/action.hpp IsFlap). Both
// hold only scale-in: scaling out is never delayed, since starving a service costs more than an idle instance.
struct FlapGuard {
    // After a scale-out, scale-in waits this long: a burst that ends is not followed by a scale-in that the next
    // burst undoes. 0: off.
    UnixSeconds window_seconds = 0;
    // Scale-in sizes for the target utilization less this much (0.05: 75% -> 70%), so a load that hovers at a
    // rounding boundary does not move capacity by one instance back and forth. 0: off.
    double hysteresis = 0.0;
    // A resource that flapped anyway (a spike right after a scale-in) waits longer: each flap doubles its window,
    // up to this many times the configured one, and each window that passes without one halves it again.
    int max_backoff = 1;
    // A scale-in goes only as low as what the forecast's band needs over this much ahead (at the target
    // utilization): a dip the forecast expects to end within it is ridden out instead of scaled in and undone.
    // Unlike the flap window it holds only where the forecast sees load coming back. 0: off.
    UnixSeconds lookahead_seconds = 0;
    // Flaps a resource may make in a day before the guard trades money for calm: once it has flapped this often
    // within the last 24 hours, a scale-in waits until every plan of the hold (below) allows it, so a scale-out is
    // not undone inside the span in which a reversal counts as a flap, nor a quiet spell that short taken for the
    // end of a busy one; and it goes only as low as the p99 band of the next 30 minutes allows, so the load that
    // would undo it is unlikely to come. A scale-out is never held. Resources that do not flap pay nothing. 0: off.
    int flap_budget_per_day = 0;
    // The hold of a spent flap budget: how far back the plans reach that a scale-in may not go below. Doubled per
    // further flap, up to 4 hours (or this, if longer); never shorter than the 30-minute flap span.
    UnixSeconds flap_hold_seconds = kFlapWindowSeconds;
    // A scale-in removes at least this share of the running capacity, or waits until it would (HPA's tolerance,
    // for scale-in only): on a fleet above 20 instances at 0.05 a one-instance step waits for a second. 0: off.
    double min_scale_in_share = 0.0;
    // The scale-out tolerance (the scale-out half of HPA's 10%), for both reasons to scale out. The reactive floor
    // scales out only when the measured load runs above target_high + this share of what runs (0.10: above 90% at
    // the default 0.80), and the forecast only when its peak over the lead time would (what runs would carry the
    // forecast's peak at 90% or less: they hold it); either then sizes as usual (floor: target_high; forecast: the
    // target). Never past 90% unless target_high is itself higher (then no tolerance). A burst or a slow rise that
    // stays below it rides on what runs (it is not "hot", which starts at 90%) instead of a string of one-instance
    // scale-outs or one that the next quiet step takes back. 0: off (scale out as soon as either needs more than
    // what runs). Measured on every trace in docs/SAVINGS.md ("The scale-out tolerance").
    double scale_out_tolerance = 0.0;
};

// The flap guard the service, `cloudopt simulate` and the dashboard's simulation run with unless configured
// otherwise (loop.flap_window_seconds, loop.scale_in_hysteresis; measured in docs/SAVINGS.md "Flapping").
inline constexpr FlapGuard kDefaultFlapGuard{0, 0.10, 1, 0, 1, 3600, 0.05, 0.10};

struct PlanInput {
    Resource resource;
    std::optional<Forecast> forecast;    // none when the model could not forecast yet
    std::optional<double> current_load;  // latest measured load; none when the metric source is silent
    int current_capacity = 0;            // desired capacity at the provider now
    UnixSeconds now = 0;
    UnixSeconds tick_seconds = 60;  // how soon the planner runs again
    QuantileLevel quantile = QuantileLevel::kP95;
    // Scale-in waits out this window: it never goes below the highest recommendation made within the last window
    // (HPA-style; `stabilization_floor`) nor below what the forecast needs within the next one.
    UnixSeconds stabilization_seconds = 300;
    int stabilization_floor = 0;
    // Directions (+1 out, -1 in) of the changes made within the last stabilization window, oldest first: at most
    // one change of direction per window, so a scale-in that would be the second reversal waits.
    std::vector<int> recent_directions;
    // The flap guard and the last change made (PlanHistory keeps it beyond the stabilization window).
    FlapGuard flap_guard;
    std::optional<CapacityChange> last_change;
    // The flap budget (FlapGuard::flap_budget_per_day): the resource's flaps within the last 24 hours and, once they
    // reach the budget, how far back the plans reach that a scale-in may not go below, and the highest of them.
    int flaps_last_day = 0;
    UnixSeconds flap_hold_seconds = 0;
    int flap_hold_floor = 0;
    // The service-level correction (PlanHistory::ObserveService): the band above the median, p_q - p50, is moved
    // by band_correction times its usual width. Positive after starved steps, negative while none come; capacity is
    // never sized under the median forecast.
    double band_correction = 0.0;
    // The usual width of the p90 / p95 / p99 band above the median, per forecast step (PlanHistory: a running mean over
    // about a day), that the correction is measured in. Bands by the phase of the hour (forecast/phase_bands.hpp)
    // are much wider at a few phases than at the rest; scaled by their own width, a correction that starved steps
    // in the calm phases called for would widen the wide phases many times over. Empty: each point's own width.
    std::vector<double> band_unit90, band_unit95, band_unit99;
    // Instance types and prices for the mix and the cost in the reason; none: counts only.
    const Catalog* catalog = nullptr;
};

// One line of an instance mix: `count` instances of a type, on demand or on spot.
struct MixLine {
    std::string provider;
    std::string name;
    bool spot = false;
    int count = 0;
    double price_per_hour = 0.0;
};

struct PlanDecision {
    int desired = 0;
    // The recommendation before stabilization and limits: what the control loop remembers for the window, so
    // a held scale-in does not keep itself held.
    int recommended = 0;
    double required_load = 0.0;  // load the desired capacity must carry at the target utilization
    // "forecast", "reactive_floor", "stale_metrics", "stabilization", "hysteresis", "lookahead",
    // "flap_budget", "min_scale_in", "no_flapping", "max_step", "min_capacity",
    // "max_capacity", "hold"
    std::string bound_by;
    std::string reason;  // a sentence a person can read: the numbers and the rule that bound it
    // Hourly cost of the resource's own instance type at the current and at the desired count (0 without a price).
    double cost_before_per_hour = 0.0;
    double cost_after_per_hour = 0.0;
    // The cheapest mix among the resource's allowed types that carries the same requirement (vCPU and memory of
    // the desired capacity); empty without a catalog entry for the resource's own type.
    std::vector<MixLine> mix;
    double mix_cost_per_hour = 0.0;
    // The same in fields, for the API and the dashboard; its sentence is SummarizeDecision(explanation).
    DecisionExplanation explanation;
};

class Planner {
  public:
    virtual ~Planner() = default;
    virtual PlanDecision Plan(const PlanInput& input) const = 0;
};

}  // namespace cloudopt
