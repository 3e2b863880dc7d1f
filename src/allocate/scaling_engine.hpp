#pragma once
// The decision engine: what turns one resource's forecast into a change to apply, recommend or hold. It is the one
// place where the planner, its window rules (plan_history.hpp: stabilization, the flap guard, the service-level
// correction), the cloud group's own limits, the per-resource rate limit and the retry backoff meet. The service's
// control loop, `cloudopt simulate` and the dashboard's simulation all drive it (docs/ALLOCATION.md "One engine"),
// so a figure measured in simulation describes what the service does.
//
// The engine does no I/O: its caller reads the clock, the provider's state and the forecast, asks Decide, applies
// or records what it says, and tells it what happened (Applied / ApplyFailed).
// Not thread-safe: one engine per resource, used under that resource's lock (one pass, apply or delete at a time).

#include <deque>
#include <optional>
#include <string>

#include "allocate/plan_history.hpp"
#include "core/action.hpp"
#include "core/budget.hpp"
#include "core/catalog.hpp"
#include "core/plan.hpp"
#include "core/provider.hpp"

namespace cloudopt {

// The engine's settings: the service reads them from loop.* (config), `cloudopt simulate` from the same keys.
struct EngineOptions {
    UnixSeconds tick_seconds = 60;  // how soon the engine is asked again
    QuantileLevel quantile = QuantileLevel::kP95;
    UnixSeconds stabilization_seconds = 300;  // scale-in waits this long (HPA's default)
    FlapGuard flap_guard = kDefaultFlapGuard;
    ServiceLevel service_level;
    // Applied changes per resource within an hour; over it, the change is held and asked again next tick. 0: off.
    int max_actions_per_resource_per_hour = 12;
    // After a failed apply, the resource waits tick x 2^(failures-1), at most this long, before trying again.
    UnixSeconds max_retry_backoff_seconds = 1800;
};

// One tick's view of a resource.
struct EngineInput {
    Resource resource;
    UnixSeconds now = 0;
    std::optional<Forecast> forecast;    // none when nothing could forecast yet
    std::optional<double> current_load;  // the freshest load measurement; none when the source is silent
    CapacityState state;                 // what the provider runs: desired, ready, the group's own limits
    const Catalog* catalog = nullptr;    // instance types and prices for the mix and the cost; none: counts only
    // Whether current_load was served by state.ready, so that it tells the service-level correction whether the
    // resource starved (auto mode only). False for a replay's first sizing, before anything ran.
    bool observe_service = true;
    // The budgets' caps on this resource, the tightest of each mode (core/budget.hpp, allocate/budget_cap.hpp);
    // none while no budget caps it.
    std::optional<BudgetCaps> budget_cap = {};
};

enum class Verdict {
    kKeep,         // the plan keeps what runs (or the mode is off)
    kRecommend,    // recommend mode: propose the change
    kApply,        // auto mode: apply the change now, then call Applied or ApplyFailed
    kRateLimited,  // auto mode: the change waits for the rate limit (held_because says which)
    kBackingOff,   // auto mode: an earlier apply failed; it waits out the backoff (held_because says how long)
};

struct EngineDecision {
    PlanDecision plan;  // with the cloud group's own limits applied
    Verdict verdict = Verdict::kKeep;
    std::string held_because;  // for kRateLimited and kBackingOff
};

// Applied changes over the last 24 hours and the flaps among them (core/action.hpp IsFlap).
struct ChangeCounts {
    int changes = 0;
    int flaps = 0;
    bool last_was_flap = false;
};

class ScalingEngine {
  public:
    ScalingEngine(const Planner& planner, EngineOptions options);

    // Plans the tick and says what to do with the plan. Remembers the raw recommendation for the window rules and,
    // in auto mode with a load measurement, whether the resource starved.
    EngineDecision Decide(const EngineInput& input);
    // The decided change reached the provider; `now` is when.
    void Applied(UnixSeconds now, int from, int to);
    // A change made outside the engine's own decisions (a user applied a recommendation): the window rules and the
    // change counts see it; the rate limit and the backoff, which guard the engine's own applies, do not.
    void Changed(UnixSeconds now, int from, int to);
    // The provider refused or failed the change: the next attempt waits (backoff) and it counts against the limit.
    void ApplyFailed(UnixSeconds now);

    // An adopted quantile and unmet budget (ControlLoop::AdoptRisk), taken in place: the windows, the rate limit, the
    // backoff and the service-level correction the engine remembers stay as they are.
    void SetRisk(QuantileLevel quantile, double unmet_budget) {
        options_.quantile = quantile;
        options_.service_level.budget = unmet_budget;
        history_.SetServiceBudget(unmet_budget);
    }

    const ChangeCounts& counts() const { return counts_; }
    double band_correction() const { return history_.band_correction(); }
    const EngineOptions& options() const { return options_; }

  private:
    std::string RateLimitedBy(UnixSeconds now) const;
    void RecordAttempt(UnixSeconds now);

    const Planner& planner_;
    EngineOptions options_;
    PlanHistory history_;
    std::deque<UnixSeconds> attempts_;  // applies of the last hour, for the rate limit
    int failures_ = 0;                  // consecutive failed applies
    UnixSeconds retry_at_ = 0;
    std::deque<CapacityChange> changes_;  // applied changes of the last 24 hours
    ChangeCounts counts_;
};

// The limit over all resources together (loop.max_actions_per_minute): a bad forecast cannot storm the cloud.
// Not thread-safe: the loop guards it with a mutex of its own.
class FleetRateLimit {
  public:
    explicit FleetRateLimit(int max_per_minute) : max_per_minute_(max_per_minute) {}
    // The reason a change must wait, "" when it may go.
    std::string LimitedBy(UnixSeconds now) const;
    void Record(UnixSeconds now);

  private:
    int max_per_minute_;
    std::deque<UnixSeconds> applied_;
};

}  // namespace cloudopt
