#include "allocate/target_utilization_planner.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace cloudopt {

namespace {

std::string Fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

}  // namespace

int InstancesFor(double load, double capacity_per_instance, double utilization) {
    constexpr double kEpsilon = 1e-9;
    if (!(load > 0.0)) return 0;
    const double exact = load / (capacity_per_instance * utilization);
    return static_cast<int>(std::ceil(exact - kEpsilon));
}

PlanDecision TargetUtilizationPlanner::Plan(const PlanInput& in) const {
    const Resource& r = in.resource;
    const double per = r.capacity_per_instance;
    const double target = r.target_utilization();
    PlanDecision d;
    std::string why;

    // Predictive: capacity launched now serves from now + boot delay, and the next decision comes one tick
    // later, so cover the peak of the forecast up to boot delay + tick ahead.
    int predictive = 0;
    bool have_forecast = false;
    if (in.forecast && !in.forecast->points.empty()) {
        // Steps that overlap [now, now + boot delay + tick]; a step starting exactly at the end still counts,
        // since its demand arrives the moment the window closes.
        const UnixSeconds horizon_end = in.now + r.boot_delay_s + in.tick_seconds;
        double peak = 0.0;
        UnixSeconds peak_ts = 0;
        for (const ForecastPoint& p : in.forecast->points) {
            if (p.ts + in.forecast->step <= in.now) continue;
            if (p.ts > horizon_end) break;
            const double q = PointQuantile(p, in.quantile);
            if (!have_forecast || q > peak) {
                peak = q;
                peak_ts = p.ts;
            }
            have_forecast = true;
        }
        if (have_forecast) {
            predictive = InstancesFor(peak, per, target);
            d.required_load = peak;
            why += "forecast " + std::string(QuantileLevelName(in.quantile)) + " peak " + Fmt(peak) + " " +
                   r.load_metric + " at +" + std::to_string(std::max<UnixSeconds>(0, peak_ts - in.now)) +
                   "s (looking " + std::to_string(r.boot_delay_s + in.tick_seconds) + "s ahead: boot delay " +
                   std::to_string(r.boot_delay_s) + "s + tick " + std::to_string(in.tick_seconds) + "s) / (" +
                   Fmt(per) + " per instance x " + Fmt(target) + " target) = " + std::to_string(predictive);
        } else {
            why += "forecast does not reach the next " + std::to_string(r.boot_delay_s + in.tick_seconds) + "s";
        }
    } else {
        why += "no forecast yet";
    }

    // Reactive floor: what the measured load needs right now to stay under the top of the band.
    int reactive = 0;
    if (in.current_load) {
        reactive = InstancesFor(*in.current_load, per, r.target_high);
        why += "; reactive floor: load " + Fmt(*in.current_load) + " / (" + Fmt(per) + " x " + Fmt(r.target_high) +
               ") = " + std::to_string(reactive);
    }

    if (!have_forecast && !in.current_load) {
        // Blind: hold what runs, never scale in on missing data.
        d.desired = std::clamp(in.current_capacity, r.min_capacity, r.max_capacity);
        d.recommended = d.desired;
        d.bound_by = "hold";
        d.reason = "no forecast and no current load: holding " + std::to_string(d.desired) + " instances";
        return d;
    }

    int desired = std::max(predictive, reactive);
    d.recommended = desired;
    d.bound_by = have_forecast && predictive >= reactive ? "forecast" : "reactive_floor";
    if (reactive > predictive) d.required_load = std::max(d.required_load, *in.current_load * target / r.target_high);

    // Without a fresh measurement the forecast cannot be checked against reality: scale out if it says so, but
    // never scale in blind (a silent metric source must not starve the service).
    if (!in.current_load && desired < in.current_capacity) {
        desired = in.current_capacity;
        d.bound_by = "stale_metrics";
        why += "; no fresh load measurement: holding " + std::to_string(desired) + " instead of scaling in";
    }
    if (desired < in.current_capacity && in.stabilization_floor > desired) {
        desired = std::min(in.current_capacity, in.stabilization_floor);
        d.bound_by = "stabilization";
        why += "; scale-in held at " + std::to_string(desired) + " by the highest recommendation in the stabilization window";
    }
    if (desired < r.min_capacity) {
        desired = r.min_capacity;
        d.bound_by = "min_capacity";
        why += "; raised to min_capacity " + std::to_string(r.min_capacity);
    }
    if (desired > r.max_capacity) {
        desired = r.max_capacity;
        d.bound_by = "max_capacity";
        why += "; capped at max_capacity " + std::to_string(r.max_capacity);
    }
    d.desired = desired;
    d.reason = why + "; desired " + std::to_string(desired) + " (bound by " + d.bound_by + ")";
    return d;
}

}  // namespace cloudopt
