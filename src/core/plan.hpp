#pragma once
// What the planner is told and what it answers: one desired capacity with the arithmetic behind it.

#include <optional>
#include <string>

#include "core/forecast.hpp"
#include "core/resource.hpp"

namespace cloudopt {

struct PlanInput {
    Resource resource;
    std::optional<Forecast> forecast;        // none when the model could not forecast yet
    std::optional<double> current_load;      // latest measured load; none when the metric source is silent
    int current_capacity = 0;                // desired capacity at the provider now
    UnixSeconds now = 0;
    UnixSeconds tick_seconds = 60;           // how soon the planner runs again
    QuantileLevel quantile = QuantileLevel::kP95;
    // Highest capacity recommended within the scale-in stabilization window (HPA-style); scale-in never
    // goes below it, which stops flapping when load wobbles around a boundary.
    int stabilization_floor = 0;
};

struct PlanDecision {
    int desired = 0;
    // The recommendation before stabilization and limits: what the control loop remembers for the window, so
    // a held scale-in does not keep itself held.
    int recommended = 0;
    double required_load = 0.0;  // load the desired capacity must carry at the target utilization
    // "forecast", "reactive_floor", "stale_metrics", "stabilization", "min_capacity", "max_capacity", "hold"
    std::string bound_by;
    std::string reason;          // a sentence a person can read: the numbers and the rule that bound it
};

class Planner {
public:
    virtual ~Planner() = default;
    virtual PlanDecision Plan(const PlanInput& input) const = 0;
};

}  // namespace cloudopt
