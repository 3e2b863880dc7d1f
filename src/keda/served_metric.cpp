#include "keda/served_metric.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cloudopt::keda {

std::int64_t KedaMilli(double value) {
    const double milli = value * 1000.0;
    if (!(milli < 9.0e18)) return std::numeric_limits<std::int64_t>::max();  // also NaN
    if (milli <= -9.0e18) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(milli);  // truncates toward zero, as Go's int64(x) does
}

double TargetPerReplica(const Resource& r) { return r.capacity_per_instance * r.target_utilization(); }

double ValueLandingOn(int replicas, double target, double load) {
    if (replicas <= 0) return 0.0;
    const std::int64_t per = std::max<std::int64_t>(1, KedaMilli(target));
    const std::int64_t low = (replicas - 1) * per + 1;  // the smallest milli value whose ceil is `replicas`
    const std::int64_t high = replicas * per;
    const std::int64_t wanted = std::clamp(std::isfinite(load) ? KedaMilli(load) : high, low, high);
    // wanted / 1000 may land a hair below `wanted` milli-units after KEDA's multiplication: step up to it.
    double value = static_cast<double>(wanted) / 1000.0;
    while (KedaMilli(value) < wanted) value = std::nextafter(value, std::numeric_limits<double>::infinity());
    while (KedaMilli(value) > wanted) value = std::nextafter(value, 0.0);
    return value;
}

namespace {

// The peak of a forecast band over the steps that overlap [from, end].
std::optional<double> BandPeak(const Forecast& f, UnixSeconds from, UnixSeconds end, QuantileLevel q) {
    std::optional<double> peak;
    for (const ForecastPoint& p : f.points) {
        if (p.ts + f.step <= from) continue;
        if (p.ts > end) break;
        const double v = PointQuantile(p, q);
        if (!peak || v > *peak) peak = v;
    }
    return peak;
}

}  // namespace

Result<ServedMetric> ServeMetric(const BoardEntry& entry, std::optional<QuantileLevel> quantile, UnixSeconds now,
                                 UnixSeconds max_plan_age) {
    const Resource& r = entry.resource;
    const std::string name = "resource '" + r.name + "'";
    if (r.mode != Mode::kAuto)
        return MakeError(ErrorCode::kUnprocessable,
                         name + " is in " + ModeName(r.mode) +
                             " mode, so no plan of it is served: set its mode to auto (PUT /api/resources/" +
                             std::to_string(r.id) + "/mode) for KEDA to scale it on cloudopt's forecast");
    ServedMetric out;
    out.target = TargetPerReplica(r);
    if (KedaMilli(out.target) < 1)
        return MakeError(ErrorCode::kUnprocessable,
                         name + ": the load per replica at the target utilization (" + std::to_string(out.target) +
                             ") is below KEDA's resolution of 0.001; measure the load in a smaller unit");
    if (!entry.plan)
        return MakeError(ErrorCode::kUnavailable, name +
                                                      " has not been planned since cloudopt started; the control "
                                                      "loop plans it within one loop.tick_seconds");
    const PassPlan& plan = *entry.plan;
    if (now - plan.at > max_plan_age)
        return MakeError(ErrorCode::kUnavailable,
                         name + ": its last plan is " + std::to_string(now - plan.at) + " s old (more than " +
                             std::to_string(max_plan_age) +
                             " s): the control loop is not planning it; see the cloudopt log and GET /api/resources/" +
                             std::to_string(r.id));
    if (!plan.forecast)
        return MakeError(ErrorCode::kUnavailable,
                         name + " has no forecast, so there is no forecast load to serve: " +
                             (plan.forecast_error.empty() ? std::string("no forecast yet") : plan.forecast_error));
    if (!plan.current_load)
        return MakeError(ErrorCode::kUnavailable,
                         name + ": no fresh sample of '" + r.load_metric +
                             "' (stale metrics), so the plan cannot be checked against the load; push it (POST "
                             "/api/metrics) or fix its load_query");
    const PlanDecision& d = plan.decision;
    const std::optional<QuantileLevel> planned = ParseQuantileLevel(d.explanation.quantile);
    if (!quantile || quantile == planned) {
        out.replicas = entry.count;
        out.load = d.required_load;
        out.quantile = d.explanation.quantile;
    } else {
        // Another band than the loop's: its peak over the plan's lead time, with the reactive floor and min/max.
        const auto peak = BandPeak(*plan.forecast, plan.at, plan.at + d.explanation.lead_seconds, *quantile);
        if (!peak)
            return MakeError(ErrorCode::kUnavailable, name + ": the forecast does not reach the next " +
                                                          std::to_string(d.explanation.lead_seconds) + " s");
        const double floor_load = *plan.current_load * r.target_utilization() / r.target_high;
        out.load = std::max(*peak, floor_load);
        const double exact = out.load / out.target;
        const int needed = exact > 0 ? static_cast<int>(std::min(1e9, std::ceil(exact - 1e-9))) : 0;
        out.replicas = std::clamp(needed, r.min_capacity, r.max_capacity);
        out.quantile = QuantileLevelName(*quantile);
    }
    out.value = ValueLandingOn(out.replicas, out.target, out.load);
    out.active = out.replicas > 0;
    return out;
}

}  // namespace cloudopt::keda
