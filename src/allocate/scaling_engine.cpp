#include "allocate/scaling_engine.hpp"

#include <algorithm>
#include <cmath>

#include "allocate/budget_cap.hpp"

namespace cloudopt {

ScalingEngine::ScalingEngine(const Planner& planner, EngineOptions options)
    : planner_(planner),
      options_(options),
      history_(options.stabilization_seconds, options.service_level, options.flap_guard) {}

EngineDecision ScalingEngine::Decide(const EngineInput& in) {
    const Resource& r = in.resource;
    PlanInput plan;
    plan.resource = r;
    plan.now = in.now;
    plan.tick_seconds = options_.tick_seconds;
    plan.quantile = options_.quantile;
    plan.current_capacity = in.state.desired;
    plan.catalog = in.catalog;
    plan.forecast = in.forecast;
    plan.current_load = in.current_load;
    // Only capacity cloudopt set says anything about its sizing: in off and recommend modes someone else's choice
    // is running, and learning from it would drift the recommendations.
    if (r.mode == Mode::kAuto && in.current_load && in.observe_service)
        history_.ObserveService(*in.current_load > in.state.ready * r.capacity_per_instance + 1e-9);
    // The window remembers raw recommendations, so it is updated with this tick's one afterwards.
    history_.Fill(in.now, plan);
    EngineDecision out;
    PlanDecision& d = out.plan;
    d = planner_.Plan(plan);
    history_.RecordRecommendation(in.now, d.recommended);
    if (in.budget_cap) ApplyBudgetCap(*in.budget_cap, r, in.current_load, in.state.desired, d);
    // The cloud's own group limits (an ASG's MinSize/MaxSize) bind too: asking beyond them only fails.
    if (in.state.max_size && d.desired > *in.state.max_size) {
        d.desired = *in.state.max_size;
        d.bound_by = "group_max_size";
        d.reason += "; capped at the cloud group's own maximum " + std::to_string(*in.state.max_size) +
                    " (raise it in the cloud to allow more)";
        d.explanation.held_by = "capped at the cloud group's own maximum";
    }
    if (in.state.min_size && d.desired < *in.state.min_size) {
        d.desired = *in.state.min_size;
        d.bound_by = "group_min_size";
        d.reason += "; raised to the cloud group's own minimum " + std::to_string(*in.state.min_size);
        d.explanation.held_by = "raised to the cloud group's own minimum";
    }
    if (d.explanation.to != d.desired && d.explanation.from > 0) {  // a group limit moved it: the own type's price
        d.explanation.cost_after_per_hour = d.explanation.cost_before_per_hour / d.explanation.from * d.desired;
        d.cost_after_per_hour = d.explanation.cost_after_per_hour;
    }
    d.explanation.rule = d.bound_by;
    d.explanation.to = d.desired;
    if (d.desired == in.state.desired || r.mode == Mode::kOff) return out;
    if (r.mode == Mode::kRecommend) {
        out.verdict = Verdict::kRecommend;
        return out;
    }
    if (failures_ > 0 && in.now < retry_at_) {
        out.verdict = Verdict::kBackingOff;
        out.held_because = "waiting " + std::to_string(retry_at_ - in.now) + " s before retrying after " +
                           std::to_string(failures_) + " failed attempt(s)";
        return out;
    }
    if (std::string limited = RateLimitedBy(in.now); !limited.empty()) {
        out.verdict = Verdict::kRateLimited;
        out.held_because = std::move(limited);
        return out;
    }
    out.verdict = Verdict::kApply;
    return out;
}

std::string ScalingEngine::RateLimitedBy(UnixSeconds now) const {
    const int limit = options_.max_actions_per_resource_per_hour;
    if (limit > 0 &&
        std::count_if(attempts_.begin(), attempts_.end(), [&](UnixSeconds t) { return t > now - 3600; }) >= limit)
        return "rate limit of " + std::to_string(limit) +
               " changes per resource per hour reached (loop.max_actions_per_resource_per_hour)";
    return "";
}

void ScalingEngine::RecordAttempt(UnixSeconds now) {
    attempts_.push_back(now);
    while (!attempts_.empty() && attempts_.front() <= now - 3600) attempts_.pop_front();
}

void ScalingEngine::Applied(UnixSeconds now, int from, int to) {
    RecordAttempt(now);
    failures_ = 0;
    Changed(now, from, to);
}

void ScalingEngine::Changed(UnixSeconds now, int from, int to) {
    counts_.last_was_flap = false;
    if (to == from) return;
    history_.RecordChange(now, from, to);
    const CapacityChange change{now, from, to};
    counts_.last_was_flap = !changes_.empty() && IsFlap(changes_.back(), change);
    changes_.push_back(change);
    while (!changes_.empty() && changes_.front().ts <= now - 86400) changes_.pop_front();
    counts_.changes = static_cast<int>(changes_.size());
    counts_.flaps = 0;
    for (std::size_t i = 1; i < changes_.size(); ++i) counts_.flaps += IsFlap(changes_[i - 1], changes_[i]);
}

void ScalingEngine::ApplyFailed(UnixSeconds now) {
    RecordAttempt(now);
    ++failures_;
    const double wait = static_cast<double>(options_.tick_seconds) * std::pow(2.0, std::min(failures_ - 1, 20));
    retry_at_ = now + static_cast<UnixSeconds>(std::min(wait, static_cast<double>(options_.max_retry_backoff_seconds)));
}

std::string FleetRateLimit::LimitedBy(UnixSeconds now) const {
    if (max_per_minute_ > 0 &&
        std::count_if(applied_.begin(), applied_.end(), [&](UnixSeconds t) { return t > now - 60; }) >= max_per_minute_)
        return "rate limit of " + std::to_string(max_per_minute_) +
               " changes per minute over all resources reached (loop.max_actions_per_minute)";
    return "";
}

void FleetRateLimit::Record(UnixSeconds now) {
    applied_.push_back(now);
    while (!applied_.empty() && applied_.front() <= now - 60) applied_.pop_front();
}

}  // namespace cloudopt
