#include "control/remediation.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace cloudopt {
namespace {

// Checked right before a step reaches the outside world (a restart, a runbook call), as the loop does before a
// capacity change: a replica whose lease ran out leaves the resource to the next holder. No lease: one replica.
bool LeaseStillHeld(const RemediationLease* lease) { return !lease || !lease->still_held || lease->still_held(); }

constexpr const char* kLeaseRanOut =
    "not done: this replica's lease of the resource ran out; the replica holding it now reviews the alert";

}  // namespace

namespace {

std::string AlertWords(const Alert& a) { return "alert " + std::to_string(a.id) + " (" + a.message + ")"; }

// Steps whose effect lasts while they are active (undone later); the others act once.
bool Lasting(const std::string& action) {
    return action == "hold_scale_in" || action == "raise_floor" || action == "webhook_runbook";
}

}  // namespace

Remediator::Remediator(Store& store, MetricsRegistry& metrics, RemediationSettings defaults, RemediationHooks hooks)
    : store_(store), metrics_(metrics), defaults_(std::move(defaults)), hooks_(std::move(hooks)) {}

RemediationSettings Remediator::SettingsFor(const Resource& resource) {
    auto own = store_.LoadAnomalySettings(resource.id);
    if (own && *own) return (*own)->remediation;
    return defaults_;
}

Result<std::optional<RemediationFloor>> Remediator::Review(const Resource& r, UnixSeconds now, int desired,
                                                           Provider* provider, const RemediationLease* lease) {
    const RemediationSettings settings = SettingsFor(r);
    RemediationQuery mine;
    mine.resource_id = r.id;
    mine.limit = 500;
    auto history = store_.ListRemediations(mine);
    if (!history) return history.error();
    AlertQuery open_query;
    open_query.resource_id = r.id;
    open_query.state = "open";
    auto open = store_.ListAlerts(open_query);
    if (!open) return open.error();
    std::set<std::int64_t> open_ids;
    for (const Alert& a : *open) open_ids.insert(a.id);

    // Undo first: what closed, lapsed, or was turned off.
    Status first = Status::Ok();
    for (Remediation& step : *history) {
        if (step.state != "active") continue;
        std::string why;
        if (!open_ids.count(step.alert_id))
            why = "alert " + std::to_string(step.alert_id) + " closed";
        else if (settings.mode != RemediationMode::kAuto)
            why = std::string("remediation is now ") + RemediationModeName(settings.mode) + " for this resource";
        else if (step.until > 0 && now >= step.until)  // an alert that never closes must not hold capacity forever
            why = "its time (" + std::to_string(settings.floor_seconds / 60) + " min) ran out; alert " +
                  std::to_string(step.alert_id) + " is still open";
        if (why.empty()) continue;
        if (Status s = Undo(r, step, why, now, desired, settings, lease); !s && first) first = s;
    }

    // Start the configured steps for each open alert that has none yet (one set of steps per alert).
    if (settings.mode != RemediationMode::kOff) {
        std::set<std::int64_t> handled;
        for (const Remediation& step : *history) handled.insert(step.alert_id);
        // Oldest alert first, so the action log reads in order.
        std::vector<Alert> fresh;
        for (const Alert& a : *open)
            if (!handled.count(a.id)) fresh.push_back(a);
        std::reverse(fresh.begin(), fresh.end());
        for (const Alert& a : fresh) {
            for (const std::string& action : settings.actions) {
                Remediation step = Start(r, settings, a, action, now, desired, provider, *history, lease);
                auto saved = store_.SaveRemediation(step);
                if (!saved) {
                    if (first) first = saved.error();
                    continue;
                }
                history->insert(history->begin(), *saved);
                if (Status s = Record(r, *saved, now, desired, false, lease); !s && first) first = s;
                metrics_
                    .GetCounter("cloudopt_remediations_total", "Remediation steps, by resource, action and outcome",
                                {{"resource", r.name}, {"action", action}, {"state", saved->state}})
                    .Inc();
            }
        }
    }
    if (!first) return first.error();

    // The floor the active steps keep.
    std::optional<RemediationFloor> floor;
    for (const Remediation& step : *history) {
        if (step.state != "active") continue;
        int capacity = 0;
        std::string why;
        if (step.action == "hold_scale_in") {
            capacity = std::max(step.floor, desired);  // scale-out goes on; scale-in waits
            why = "scale-in held while alert " + std::to_string(step.alert_id) + " is open (remediation " +
                  std::to_string(step.id) + ")";
        } else if (step.action == "raise_floor") {
            capacity = step.floor;
            why = "capacity floor " + std::to_string(step.floor) + " while alert " + std::to_string(step.alert_id) +
                  " is open (remediation " + std::to_string(step.id) + ")";
        } else {
            continue;
        }
        capacity = std::min(capacity, r.max_capacity);
        if (!floor || capacity > floor->capacity) floor = RemediationFloor{capacity, why};
    }
    return floor;
}

Remediation Remediator::Start(const Resource& r, const RemediationSettings& settings, const Alert& alert,
                              const std::string& action, UnixSeconds now, int desired, Provider* provider,
                              const std::vector<Remediation>& history, const RemediationLease* lease) {
    Remediation step;
    step.resource_id = r.id;
    step.alert_id = alert.id;
    step.action = action;
    step.started_at = now;
    const int raised = std::min(r.max_capacity, static_cast<int>(std::ceil(desired * (1.0 + settings.floor_share))));
    std::string what;
    if (action == "hold_scale_in") {
        step.floor = desired;
        step.until = now + settings.floor_seconds;
        what = "hold scale-in at " + std::to_string(desired) + " or more for up to " +
               std::to_string(settings.floor_seconds / 60) + " min";
    } else if (action == "raise_floor") {
        step.floor = std::max(raised, desired);
        step.until = now + settings.floor_seconds;
        what = "raise the capacity floor to " + std::to_string(step.floor) + " for " +
               std::to_string(settings.floor_seconds / 60) + " min";
    } else if (action == "retrain") {
        what = "retrain the model now, without the anomalous steps";
    } else if (action == "webhook_runbook") {
        what = "call the runbook " + settings.runbook_url;
    } else {
        what = "restart the workload (rollout restart)";
    }
    step.reason = what + " because of " + AlertWords(alert);

    if (settings.mode == RemediationMode::kRecommend) {
        step.state = "recommended";
        step.reason = "would " + step.reason + " (remediation mode recommend: set it to auto to act)";
        return step;
    }
    // Rate limit: one start of the same step per resource per interval.
    for (const Remediation& before : history) {
        if (before.action != action || before.state == "recommended" || before.state == "skipped") continue;
        if (now - before.started_at < settings.min_interval_seconds) {
            step.state = "skipped";
            step.reason = "not done: " + step.reason + "; the same step ran " +
                          std::to_string((now - before.started_at) / 60) + " min ago (at most one per " +
                          std::to_string(settings.min_interval_seconds / 60) + " min)";
            return step;
        }
    }
    step.state = Lasting(action) ? "active" : "done";
    if (action == "retrain") {
        if (!hooks_.retrain) {
            step.state = "failed";
            step.error = "no job runner to retrain with";
        } else {
            hooks_.retrain(r, "remediation of alert " + std::to_string(alert.id));
            step.undo_note = "not undone: the retrained model left the alert's steps out and stays";
        }
    } else if (action == "webhook_runbook") {
        // A runbook acts on the outside world: like a restart, it is sent only while this replica holds the lease.
        Status sent = !LeaseStillHeld(lease) ? Status(MakeError(ErrorCode::kConflict, kLeaseRanOut))
                      : hooks_.post          ? hooks_.post(settings.runbook_url, "remediate", r, step)
                                             : Status(MakeError(ErrorCode::kUnavailable, "no webhook sender"));
        if (!sent) {
            step.state = "failed";
            step.error = sent.error().message;
        }
    } else if (action == "rollout_restart") {
        // Checked right before the call, as the loop does before a capacity change: a replica whose lease ran out
        // leaves the workload to the next holder.
        Status restarted = !LeaseStillHeld(lease) ? Status(MakeError(ErrorCode::kConflict, kLeaseRanOut))
                           : provider             ? provider->RestartWorkload(r)
                                      : Status(MakeError(ErrorCode::kUnprocessable, "the provider is not configured"));
        if (!restarted) {
            step.state = "failed";
            step.error = restarted.error().message;
        } else {
            step.undo_note = "cannot be undone: a restart is done once it is done";
        }
    }
    return step;
}

Status Remediator::Undo(const Resource& r, Remediation& step, const std::string& why, UnixSeconds now, int desired,
                        const RemediationSettings& settings, const RemediationLease* lease) {
    step.state = "reverted";
    step.ended_at = now;
    if (step.action == "hold_scale_in")
        step.undo_note = "scale-in allowed again: " + why;
    else if (step.action == "raise_floor")
        step.undo_note = "floor " + std::to_string(step.floor) + " lifted: " + why;
    else
        step.undo_note = "runbook told to revert: " + why;
    if (step.action == "webhook_runbook") {
        const std::string url = settings.runbook_url.empty() ? defaults_.runbook_url : settings.runbook_url;
        Status sent = !LeaseStillHeld(lease) ? Status(MakeError(ErrorCode::kConflict, kLeaseRanOut))
                      : hooks_.post          ? hooks_.post(url, "revert", r, step)
                                             : Status(MakeError(ErrorCode::kUnavailable, "no webhook sender"));
        if (!sent) step.error = "revert not delivered: " + sent.error().message;
    }
    auto saved = store_.SaveRemediation(step);
    if (!saved) return saved.error();
    return Record(r, step, now, desired, true, lease);
}

Status Remediator::Record(const Resource& r, const Remediation& step, UnixSeconds now, int desired, bool undo,
                          const RemediationLease* lease) {
    AllocationAction a;
    a.resource_id = r.id;
    a.ts = now;
    a.from_capacity = a.to_capacity = desired;  // a remediation changes no capacity itself; the engine does
    a.status = step.state == "recommended" ? ActionStatus::kPlanned
               : step.state == "failed"    ? ActionStatus::kFailed
               : step.state == "skipped"   ? ActionStatus::kSkipped
                                           : ActionStatus::kApplied;
    a.error = step.error;
    const std::string id = "remediation " + std::to_string(step.id) + " (" + step.action + ")";
    a.reason = undo ? id + " for alert " + std::to_string(step.alert_id) + " undone: " + step.undo_note
                    : id + ": " + step.reason;
    if (!undo && !step.undo_note.empty()) a.reason += "; " + step.undo_note;
    a.summary = undo ? step.action + " undone (alert " + std::to_string(step.alert_id) + ")"
                     : step.action + " " + step.state + " (alert " + std::to_string(step.alert_id) + ")";
    a.explanation.rule = "remediation";
    a.explanation.from = a.explanation.to = desired;
    if (lease) {  // fenced: refused by the store once another replica holds the resource
        a.lease_holder = lease->holder;
        a.lease_epoch = lease->epoch;
    }
    auto recorded = store_.RecordAction(a);
    if (!recorded) return recorded.error();
    return Status::Ok();
}

}  // namespace cloudopt
