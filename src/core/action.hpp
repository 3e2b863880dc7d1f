#pragma once
// Records of what the control loop decided and did.

#include <optional>
#include <string>
#include <string_view>

#include "core/resource.hpp"
#include "core/time.hpp"

namespace cloudopt {

// The arithmetic behind one capacity decision, in fields (for the API, the dashboard's details and tools), beside
// the sentence built from it (SummarizeDecision). Fields a rule did not use keep their defaults.
struct DecisionExplanation {
    std::string rule;      // what bound the capacity (PlanDecision::bound_by): "forecast", "reactive_floor", ...
    std::string quantile;  // the forecast band sized for: "p95"
    std::string metric;    // the load metric: "cpu_cores"
    bool has_forecast = false;
    double forecast_peak = 0.0;        // the band's peak over the lead time
    UnixSeconds forecast_peak_in = 0;  // seconds from the decision to that peak
    UnixSeconds lead_seconds = 0;      // how far ahead the plan looks: boot delay + tick
    bool has_load = false;
    double current_load = 0.0;        // the freshest measurement
    int reactive_floor = 0;           // instances the measured load needs now, at the top of the band
    double target_utilization = 0.0;  // what capacity is sized for (the middle of the band)
    double capacity_per_instance = 0.0;
    double band_correction = 0.0;  // the service-level correction in force (plan_history.hpp), in band widths
    std::string held_by;           // for a scale-in held or sized down by a rule: that rule's words, short
    int from = 0;
    int to = 0;
    double cost_before_per_hour = 0.0;  // the own instance type at `from` and at `to`
    double cost_after_per_hour = 0.0;
    std::string mix;  // the cheapest mix that carries the requirement, described; empty without a catalog
    double mix_cost_per_hour = 0.0;
};

// One short sentence a person reads first, e.g. "10 -> 12: p95 forecast 17.5 cpu_cores in 4 min needs 12 at 75%;
// +$0.200/h". The full reasoning stays in the action's `reason`.
std::string SummarizeDecision(const DecisionExplanation& e);

enum class ActionStatus { kPlanned, kApplied, kFailed, kSkipped };
const char* ActionStatusName(ActionStatus status);
std::optional<ActionStatus> ParseActionStatus(std::string_view text);

struct AllocationAction {
    std::int64_t id = 0;
    ResourceId resource_id = 0;
    UnixSeconds ts = 0;
    int from_capacity = 0;
    int to_capacity = 0;
    std::string reason;
    ActionStatus status = ActionStatus::kPlanned;
    std::string error;  // the provider's error when status is failed
    double hourly_cost_before = 0.0;
    double hourly_cost_after = 0.0;
    std::string summary;  // SummarizeDecision of `explanation`; empty for actions before v0.10
    DecisionExplanation explanation;
    // The lease it was made under, when replicas share the database (cluster/ownership.hpp): the store records it
    // only while that lease is still this epoch's, in the same transaction. Empty and 0 with one process.
    std::string lease_holder;
    std::int64_t lease_epoch = 0;
};

// A change of a resource's desired capacity, for counting how often a policy changes its mind.
struct CapacityChange {
    UnixSeconds ts = 0;
    int from = 0;
    int to = 0;
};

// A flap: a change that returns a resource to the capacity it had before the previous change, within `window`
// seconds of that change (3 -> 4 -> 3 within 30 minutes). A scale-in undone that soon saved almost nothing and
// cost a boot; an autoscaler that flaps is one a platform engineer switches off.
inline constexpr UnixSeconds kFlapWindowSeconds = 1800;
inline bool IsFlap(const CapacityChange& previous, const CapacityChange& change,
                   UnixSeconds window = kFlapWindowSeconds) {
    return change.from == previous.to && change.to == previous.from && change.ts - previous.ts <= window;
}

// What recommend mode proposes instead of acting. "open" until applied, dismissed or superseded by a newer one.
struct Recommendation {
    std::int64_t id = 0;
    ResourceId resource_id = 0;
    UnixSeconds created_at = 0;
    int from_capacity = 0;
    int to_capacity = 0;
    std::string reason;
    double hourly_cost_before = 0.0;
    double hourly_cost_after = 0.0;
    std::string summary;  // SummarizeDecision of `explanation`
    DecisionExplanation explanation;
    // open, then one of: applied, dismissed, superseded (a newer plan differs), expired (the capacity already
    // matches, or it grew too old to act on), closed (the resource left recommend mode).
    std::string status = "open";
    std::string status_reason;     // why it left "open", in a sentence
    UnixSeconds closed_at = 0;     // when it left "open"
    UnixSeconds snooze_until = 0;  // dismissed with a snooze: the same proposal may come back after this
};

}  // namespace cloudopt
