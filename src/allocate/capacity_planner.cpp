#include "allocate/capacity_planner.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "allocate/instance_mix.hpp"
#include "core/text.hpp"

namespace cloudopt {

namespace {

std::string Fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

// A span of time for a person: "45 s", "5 min".
std::string Span(UnixSeconds seconds) {
    return seconds < 60 ? std::to_string(seconds) + " s" : std::to_string((seconds + 30) / 60) + " min";
}

// The peak of the forecast quantile over the steps that overlap [from, end] by at least `min_overlap` seconds
// (1: any overlap); a step starting exactly at `end` counts, since its demand arrives the moment the window closes.
struct Peak {
    bool found = false;
    double value = 0.0;
    UnixSeconds at = 0;
};

Peak ForecastPeak(const Forecast& f, UnixSeconds from, UnixSeconds end, QuantileLevel q, UnixSeconds min_overlap = 1) {
    Peak peak;
    for (const ForecastPoint& p : f.points) {
        if (p.ts + f.step - from < min_overlap) continue;
        if (p.ts > end) break;
        const double v = PointQuantile(p, q);
        if (!peak.found || v > peak.value) peak = {true, v, p.ts};
    }
    return peak;
}

// The allowed types as catalog rows: "name" looks in the own type's cloud first, "provider/name" names one.
std::vector<InstanceType> AllowedTypes(const Catalog& catalog, const Resource& r, const InstanceType& own) {
    std::vector<InstanceType> out = {own};
    for (const std::string& entry : r.allowed_types) {
        auto t = catalog.FindEntry(own.provider, entry);
        if (!t) continue;  // the API refuses unknown names; a catalog edited since then just narrows the choice
        const bool seen = std::any_of(out.begin(), out.end(), [&](const InstanceType& o) {
            return o.provider == t->provider && o.name == t->name;
        });
        if (!seen) out.push_back(*t);
    }
    return out;
}

// Prices the change in the resource's own type and finds the cheapest mix that carries `instances` of it.
void PriceDecision(const PlanInput& in, double instances, PlanDecision& d, std::string& why) {
    const Resource& r = in.resource;
    if (!in.catalog) return;
    auto own = in.catalog->Find(r.provider, r.instance_type);
    if (!own) return;
    d.cost_before_per_hour = in.current_capacity * own->price_per_hour;
    d.cost_after_per_hour = d.desired * own->price_per_hour;
    if (instances <= 0.0) return;
    MixRequirement need{instances * own->vcpu, instances * own->memory_gib, r.spot_share_max};
    const std::vector<InstanceType> allowed = AllowedTypes(*in.catalog, r, *own);
    const std::vector<MixCandidate> candidates = MixCandidates(allowed, r.spot_share_max > 0.0);
    const InstanceMix mix = CheapestMix(candidates, need);
    if (!mix.feasible) return;
    d.mix = mix.lines;
    d.mix_cost_per_hour = mix.cost_per_hour;
    why += "; cheapest mix for " + Fmt(need.vcpu) + " vCPU / " + Fmt(need.memory_gib) + " GiB among " +
           std::to_string(allowed.size()) + " allowed type(s)" +
           (r.spot_share_max > 0 ? " with up to " + Fmt(100 * r.spot_share_max) + "% spot" : std::string()) + ": " +
           DescribeMix(mix.lines) + " = " + MoneyPerHour(mix.cost_per_hour);
    if (mix.cost_per_hour < d.cost_after_per_hour - 1e-9)
        why += " (saves " + MoneyPerHour(d.cost_after_per_hour - mix.cost_per_hour) + " against " +
               std::to_string(d.desired) + " x " + own->name + " through a mixed-instances group)";
    // What losing every spot instance at once would cost (issue 32 item 4): the on-demand part's capacity against
    // the load this plan is sized for, until replacements boot.
    double spot_vcpu = 0.0;
    int spot_count = 0;
    for (const MixLine& line : mix.lines) {
        if (!line.spot) continue;
        auto type = in.catalog->Find(line.provider, line.name);
        spot_vcpu += line.count * (type ? type->vcpu : 0.0);
        spot_count += line.count;
    }
    if (spot_count > 0 && own->vcpu > 0) {
        const double sized_load = instances * r.capacity_per_instance * r.target_utilization();
        const double left = (mix.vcpu - spot_vcpu) / own->vcpu * r.capacity_per_instance;
        const double unmet = std::max(0.0, sized_load - left);
        why += "; a spot interruption (all " + std::to_string(spot_count) + " spot instance(s) at once) leaves " +
               Fmt(left) + " " + r.load_metric + " on demand: of the " + Fmt(sized_load) + " sized for, " + Fmt(unmet) +
               " (" + Fmt(sized_load > 0 ? 100.0 * unmet / sized_load : 0.0) +
               "%) would go unmet until replacements boot (" + std::to_string(r.boot_delay_s) + " s)";
    }
}

// The decision's numbers in fields, and its sentence (core/action.hpp SummarizeDecision).
void Explain(const PlanInput& in, QuantileLevel q, const Peak& lead, int reactive, const std::string& held,
             PlanDecision& d) {
    const Resource& r = in.resource;
    DecisionExplanation& e = d.explanation;
    e.rule = d.bound_by;
    e.quantile = QuantileLevelName(q);
    e.metric = r.load_metric;
    e.has_forecast = lead.found;
    e.forecast_peak = lead.value;
    e.forecast_peak_in = lead.found ? std::max<UnixSeconds>(0, lead.at - in.now) : 0;
    e.lead_seconds = r.boot_delay_s + in.tick_seconds;
    e.has_load = in.current_load.has_value();
    e.current_load = in.current_load.value_or(0.0);
    e.reactive_floor = reactive;
    e.target_utilization = r.target_utilization();
    e.capacity_per_instance = r.capacity_per_instance;
    e.band_correction = in.band_correction;
    e.held_by = held;
    e.from = in.current_capacity;
    e.to = d.desired;
    e.cost_before_per_hour = d.cost_before_per_hour;
    e.cost_after_per_hour = d.cost_after_per_hour;
    e.mix = d.mix.empty() ? "" : DescribeMix(d.mix);
    e.mix_cost_per_hour = d.mix_cost_per_hour;
}

}  // namespace

int InstancesFor(double load, double capacity_per_instance, double utilization) {
    constexpr double kEpsilon = 1e-9;
    if (!(load > 0.0)) return 0;  // also NaN
    const double exact = load / (capacity_per_instance * utilization);
    // Saturates: a load of 1e300 (or a capacity of 0) needs "more than any group has", never a negative count.
    if (!(exact < static_cast<double>(kMaxInstanceCount))) return kMaxInstanceCount;
    return static_cast<int>(std::ceil(exact - kEpsilon));
}

QuantileLevel RiskQuantile(const Resource& r, QuantileLevel fallback) {
    if (r.risk_quantile == "p50") return QuantileLevel::kP50;
    if (r.risk_quantile == "p90") return QuantileLevel::kP90;
    if (r.risk_quantile == "p95") return QuantileLevel::kP95;
    if (r.risk_quantile == "p99") return QuantileLevel::kP99;
    return fallback;
}

PlanDecision CapacityPlanner::Plan(const PlanInput& input) const {
    // The service-level correction widens or narrows the band above the median before any rule reads it.
    PlanInput corrected;
    const bool correct = input.forecast && input.band_correction != 0.0;
    if (correct) {
        corrected = input;
        const double c = input.band_correction;
        std::vector<ForecastPoint>& points = corrected.forecast->points;
        for (std::size_t k = 0; k < points.size(); ++k) {
            ForecastPoint& p = points[k];
            const double unit90 = k < input.band_unit90.size() ? input.band_unit90[k] : p.p90 - p.p50;
            const double unit95 = k < input.band_unit95.size() ? input.band_unit95[k] : p.p95 - p.p50;
            const double unit99 = k < input.band_unit99.size() ? input.band_unit99[k] : p.p99 - p.p50;
            p.p90 = std::max(p.p50, p.p90 + c * unit90);
            p.p95 = std::max(p.p90, p.p95 + c * unit95);
            p.p99 = std::max(p.p95, p.p99 + c * unit99);
        }
    }
    const PlanInput& in = correct ? corrected : input;
    const Resource& r = in.resource;
    const double per = r.capacity_per_instance;
    const double target = r.target_utilization();
    const QuantileLevel q = RiskQuantile(r, in.quantile);
    PlanDecision d;
    std::string why;
    std::string held;               // the words of the rule that held or sized a change, for the explanation
    double instances_needed = 0.0;  // fractional instances the requirement needs (for the mix)

    // Predictive: capacity launched now serves from now + boot delay, and the next decision comes one tick later,
    // so cover the peak of the forecast up to boot delay + tick ahead.
    int predictive = 0;
    Peak lead;
    Peak sized;  // the peak that set the predictive size: the lead's, or the one a launch can serve
    if (in.forecast && !in.forecast->points.empty()) {
        lead = ForecastPeak(*in.forecast, in.now, in.now + r.boot_delay_s + in.tick_seconds, q);
        sized = lead;
        if (lead.found) {
            predictive = InstancesFor(lead.value, per, target);
            d.required_load = lead.value;
            instances_needed = lead.value / (per * target);
            if (correct)
                why += "band above the median " + std::string(in.band_correction > 0 ? "+ " : "- ") +
                       Fmt(std::abs(in.band_correction)) + " x its usual width (service-level correction: " +
                       (in.band_correction > 0 ? "widened after starved steps" : "narrowed while none came") + "); ";
            why += "forecast " + std::string(QuantileLevelName(q)) + " peak " + Fmt(lead.value) + " " + r.load_metric +
                   " at +" + std::to_string(std::max<UnixSeconds>(0, lead.at - in.now)) + "s (lead time: boot delay " +
                   std::to_string(r.boot_delay_s) + "s + tick " + std::to_string(in.tick_seconds) + "s) / (" +
                   Fmt(per) + " per instance x " + Fmt(target) + " target) = " + std::to_string(predictive);
        } else {
            why += "forecast does not reach the next " + std::to_string(r.boot_delay_s + in.tick_seconds) + "s";
        }
    } else {
        why += "no forecast yet";
    }
    // Instances launched now do not help a step they are ready for less than half of: such a step is held by the
    // instances already running, so scaling out is sized by the steps the launch can serve.
    if (lead.found && predictive > in.current_capacity) {
        const UnixSeconds step = in.forecast->step;
        const Peak reachable = ForecastPeak(*in.forecast, in.now + r.boot_delay_s,
                                            in.now + r.boot_delay_s + in.tick_seconds, q, step - step / 2);
        if (reachable.found) {
            const int served = std::max(in.current_capacity, InstancesFor(reachable.value, per, target));
            if (served < predictive) {
                sized = reachable;
                why += "; launches are ready from +" + std::to_string(r.boot_delay_s) +
                       "s, so the earlier peak is held by the " + std::to_string(in.current_capacity) +
                       " running and scale-out covers " + Fmt(reachable.value) + " at +" +
                       std::to_string(std::max<UnixSeconds>(0, reachable.at - in.now)) + "s: " + std::to_string(served);
                predictive = served;
                d.required_load = std::max(reachable.value, std::min(lead.value, in.current_capacity * per * target));
                instances_needed = std::max<double>(in.current_capacity, reachable.value / (per * target));
            }
        }
    }

    // The scale-out tolerance: what runs may carry up to `tolerated` of its capacity before either reason scales out.
    // Never above 90% (where "hot" starts) unless the band's top is itself higher: a resource whose band reaches 0.95
    // gets no tolerance on top of it, so no setting lets load ride above 100%.
    const double tolerance = in.flap_guard.scale_out_tolerance;
    const double tolerated = std::min(r.target_high + tolerance, std::max(r.target_high, 0.90));
    // The forecast's scale-out waits while what runs would carry the peak it sized for within the tolerance: a slow
    // rise is followed in fewer, larger steps (each sizes back to the target), and the launch still comes a lead time
    // before the forecast says what runs would pass it.
    if (tolerance > 0 && lead.found && predictive > in.current_capacity && in.current_capacity > 0 &&
        sized.value <= in.current_capacity * per * tolerated) {
        why += "; the " + std::to_string(in.current_capacity) + " running would carry that peak at " +
               std::to_string(std::lround(100.0 * sized.value / (in.current_capacity * per))) +
               "%, within the scale-out tolerance up to " + std::to_string(std::lround(100.0 * tolerated)) +
               "%: they hold it";
        predictive = in.current_capacity;
    }

    // Reactive floor: what the measured load needs right now to stay under the top of the band.
    int reactive = 0;
    if (in.current_load) {
        reactive = InstancesFor(*in.current_load, per, r.target_high);
        if (tolerance > 0 && reactive > in.current_capacity && in.current_capacity > 0 &&
            *in.current_load <= in.current_capacity * per * tolerated) {
            why += "; reactive floor: load " + Fmt(*in.current_load) + " is " +
                   std::to_string(std::lround(100.0 * *in.current_load / (in.current_capacity * per))) + "% of the " +
                   std::to_string(in.current_capacity) + " running, within the scale-out tolerance up to " +
                   std::to_string(std::lround(100.0 * tolerated)) + "%: they hold it";
            reactive = in.current_capacity;
        } else {
            why += "; reactive floor: load " + Fmt(*in.current_load) + " / (" + Fmt(per) + " x " + Fmt(r.target_high) +
                   ") = " + std::to_string(reactive);
        }
    }

    if (!lead.found && !in.current_load) {
        // Blind: hold what runs, never scale in on missing data.
        d.desired = std::clamp(in.current_capacity, r.min_capacity, r.max_capacity);
        d.recommended = d.desired;
        d.bound_by = "hold";
        d.reason = "no forecast and no current load: holding " + std::to_string(d.desired) + " instances";
        PriceDecision(in, d.desired, d, d.reason);
        Explain(in, q, sized, 0, held, d);
        return d;
    }

    int desired = std::max(predictive, reactive);
    d.recommended = desired;
    d.bound_by = lead.found && predictive >= reactive ? "forecast" : "reactive_floor";
    if (reactive > predictive) {
        // What the floor holds, in load at the target: the measured load's need, or what runs when the tolerance
        // lets them carry it.
        d.required_load = std::max(d.required_load, std::min(*in.current_load * target / r.target_high,
                                                             static_cast<double>(reactive) * per * target));
        instances_needed = std::min(*in.current_load / (per * r.target_high), static_cast<double>(reactive));
    }

    if (desired < in.current_capacity) {
        // Without a fresh measurement the forecast cannot be checked against reality: scale out if it says so,
        // but never scale in blind (a silent metric source must not starve the service).
        if (!in.current_load) {
            desired = in.current_capacity;
            d.bound_by = "stale_metrics";
            why += "; no fresh load measurement: holding " + std::to_string(desired) + " instead of scaling in";
        }
        if (desired < in.current_capacity && in.stabilization_floor > desired) {
            desired = std::min(in.current_capacity, in.stabilization_floor);
            d.bound_by = "stabilization";
            held =
                "scale-in stops at the highest plan of the last " + Span(in.stabilization_seconds) + " (stabilization)";
            why += "; scale-in held at " + std::to_string(desired) + " by the highest recommendation in the last " +
                   std::to_string(in.stabilization_seconds) + "s";
        }
        if (desired < in.current_capacity && in.forecast) {
            const Peak window = ForecastPeak(*in.forecast, in.now, in.now + in.stabilization_seconds, q);
            const int window_need = window.found ? InstancesFor(window.value, per, target) : 0;
            if (window_need > desired) {
                desired = std::min(in.current_capacity, window_need);
                d.bound_by = "stabilization";
                held = "the forecast needs " + std::to_string(desired) + " within the next " +
                       Span(in.stabilization_seconds) + " (stabilization)";
                why += "; scale-in held at " + std::to_string(desired) + ": the forecast needs that within the next " +
                       std::to_string(in.stabilization_seconds) + "s";
            }
        }
        // Hysteresis: a scale-in is sized for a slightly lower utilization, so a load hovering at a rounding
        // boundary (13.9 / 14.1 cores on instances of 2 at 75%) does not move one instance back and forth.
        const FlapGuard& guard = in.flap_guard;
        if (desired < in.current_capacity && guard.hysteresis > 0 && lead.found && target - guard.hysteresis > 0.05) {
            const double lower = target - guard.hysteresis;
            const double lower_high = std::max(lower, r.target_high - guard.hysteresis);
            const int need = std::max(InstancesFor(lead.value, per, lower),
                                      in.current_load ? InstancesFor(*in.current_load, per, lower_high) : 0);
            if (need > desired) {
                desired = std::min(in.current_capacity, need);
                d.bound_by = "hysteresis";
                held = "scale-in sized at " + std::to_string(static_cast<int>(std::lround(100 * lower))) +
                       "% utilization, not " + std::to_string(static_cast<int>(std::lround(100 * target))) +
                       "% (hysteresis: no one-instance back and forth)";
                why += "; scale-in sized at " + Fmt(lower) + " utilization, not " + Fmt(target) + " (hysteresis " +
                       Fmt(guard.hysteresis) + "): " + std::to_string(desired);
            }
        }
        // A dip the forecast expects to end soon is ridden out: scale-in only to what the band needs over the
        // lookahead.
        if (desired < in.current_capacity && guard.lookahead_seconds > 0 && in.forecast) {
            const Peak ahead = ForecastPeak(*in.forecast, in.now, in.now + guard.lookahead_seconds, q);
            const int need = ahead.found ? InstancesFor(ahead.value, per, target) : 0;
            if (need > desired) {
                desired = std::min(in.current_capacity, need);
                d.bound_by = "lookahead";
                held = "the " + std::string(QuantileLevelName(q)) + " forecast needs " + std::to_string(desired) +
                       " within the next " + Span(guard.lookahead_seconds) + " (scale-in lookahead)";
                why += "; scale-in held at " + std::to_string(desired) + ": the forecast peak " + Fmt(ahead.value) +
                       " within the next " + std::to_string(guard.lookahead_seconds) + "s needs it";
            }
        }
        // The flap budget: a resource that already flapped as often today as it may holds its scale-ins until every
        // plan of the hold (30 minutes, longer after further flaps) allows them, so it cannot flap again on the
        // plan's own movement.
        if (desired < in.current_capacity && in.flap_hold_seconds > 0 && in.flap_hold_floor > desired) {
            desired = std::min(in.current_capacity, in.flap_hold_floor);
            d.bound_by = "flap_budget";
            held = "scale-in stops at the highest plan of the last " + Span(in.flap_hold_seconds) + ": " +
                   std::to_string(in.flaps_last_day) + (in.flaps_last_day == 1 ? " flap" : " flaps") +
                   " in 24 h, budget " + std::to_string(in.flap_guard.flap_budget_per_day) + " (flap budget)";
            why += "; scale-in held at " + std::to_string(desired) + " by the highest recommendation in the last " +
                   std::to_string(in.flap_hold_seconds) + "s: " + std::to_string(in.flaps_last_day) +
                   " flaps in the last 24 h reach the flap budget of " +
                   std::to_string(in.flap_guard.flap_budget_per_day);
        }
        // ... and it scales in only as far as the p99 band allows over the flap span ahead: the load that would
        // undo the scale-in within 30 minutes is what its p99 band says may come.
        if (desired < in.current_capacity && in.flap_hold_seconds > 0 && in.forecast) {
            const Peak ahead = ForecastPeak(*in.forecast, in.now, in.now + kFlapWindowSeconds, QuantileLevel::kP99);
            const int need = ahead.found ? InstancesFor(ahead.value, per, target) : 0;
            if (need > desired) {
                desired = std::min(in.current_capacity, need);
                d.bound_by = "flap_budget";
                held = "the p99 forecast needs " + std::to_string(desired) + " within the next " +
                       Span(kFlapWindowSeconds) + ": " + std::to_string(in.flaps_last_day) +
                       (in.flaps_last_day == 1 ? " flap" : " flaps") + " in 24 h, budget " +
                       std::to_string(in.flap_guard.flap_budget_per_day) + " (flap budget)";
                why += "; scale-in held at " + std::to_string(desired) + ": the p99 forecast peak " + Fmt(ahead.value) +
                       " within the next " + std::to_string(kFlapWindowSeconds) +
                       "s needs it, and the flap budget of " + std::to_string(in.flap_guard.flap_budget_per_day) +
                       " is spent";
            }
        }
        // A scale-in soon after a scale-out is how most flaps start: it waits out the flap window.
        if (desired < in.current_capacity && guard.window_seconds > 0 && in.last_change &&
            in.last_change->to > in.last_change->from && in.now - in.last_change->ts < guard.window_seconds) {
            desired = in.current_capacity;
            d.bound_by = "no_flapping";
            held = "scale-in waits: scaled out " + Span(in.now - in.last_change->ts) + " ago (flap window)";
            why += "; scale-in waits: the last change was a scale-out " +
                   std::to_string((in.now - in.last_change->ts) / 60) + " min ago (flap window " +
                   std::to_string(guard.window_seconds / 60) + " min, longer after recent flaps)";
        }
        // At most one change of direction per window: after out-after-in, a further scale-in waits.
        if (desired < in.current_capacity && !in.recent_directions.empty()) {
            int reversals = 0;
            for (std::size_t i = 1; i < in.recent_directions.size(); ++i)
                reversals += in.recent_directions[i] != in.recent_directions[i - 1];
            if (in.recent_directions.back() > 0 && reversals >= 1) {
                desired = in.current_capacity;
                d.bound_by = "no_flapping";
                held = "scale-in waits: capacity already changed direction within " + Span(in.stabilization_seconds);
                why += "; scale-in waits: capacity already changed direction within the last " +
                       std::to_string(in.stabilization_seconds) + "s";
            }
        }
        // A scale-in that saves only a sliver of a large fleet is not worth a change (Kubernetes' HPA skips any change
        // within 10%): it waits until the saving is worth it, so a smooth daily curve is followed in fewer steps.
        const int removed = in.current_capacity - desired;
        if (removed > 0 && guard.min_scale_in_share > 0 && removed < guard.min_scale_in_share * in.current_capacity) {
            desired = in.current_capacity;
            d.bound_by = "min_scale_in";
            held = "scale-in of " + std::to_string(removed) + " of " + std::to_string(in.current_capacity) +
                   " saves under " + std::to_string(static_cast<int>(std::lround(100 * guard.min_scale_in_share))) +
                   "% (minimum scale-in)";
            why += "; scale-in of " + std::to_string(removed) + " waits: under " + Fmt(guard.min_scale_in_share) +
                   " of the " + std::to_string(in.current_capacity) + " running (minimum scale-in)";
        }
    }
    if (r.max_step > 0 && std::abs(desired - in.current_capacity) > r.max_step) {
        desired = in.current_capacity + (desired > in.current_capacity ? r.max_step : -r.max_step);
        d.bound_by = "max_step";
        held = "limited to " + std::to_string(r.max_step) + " instances per change (max_step)";
        why += "; limited to " + std::to_string(r.max_step) + " instances per change (max_step)";
    }
    if (desired < r.min_capacity) {
        desired = r.min_capacity;
        d.bound_by = "min_capacity";
        held = "the resource's min_capacity";
        why += "; raised to min_capacity " + std::to_string(r.min_capacity);
    }
    if (desired > r.max_capacity) {
        desired = r.max_capacity;
        d.bound_by = "max_capacity";
        held = "capped at the resource's max_capacity";
        why += "; capped at max_capacity " + std::to_string(r.max_capacity);
    }
    d.desired = desired;
    // The mix carries what the rules settled on; when only the forecast or floor bound it, the exact (fractional)
    // requirement, which smaller types can cover more tightly than whole instances of the own type.
    const bool rule_bound = d.bound_by != "forecast" && d.bound_by != "reactive_floor";
    PriceDecision(in, rule_bound ? desired : std::min<double>(desired, instances_needed), d, why);
    d.reason = why + "; desired " + std::to_string(desired) + " (bound by " + d.bound_by + ")";
    Explain(in, q, sized, reactive, held, d);
    return d;
}

}  // namespace cloudopt
