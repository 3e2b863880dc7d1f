#pragma once
// Auto-remediation of anomaly alerts (docs/ANOMALY.md, "Remediation"): per resource, off by default, a few safe
// steps cloudopt may take while an alert is open, each undone when the alert closes (or recorded as not undoable).
// Value types only; control/remediation.hpp decides and acts.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/resource.hpp"
#include "core/time.hpp"

namespace cloudopt {

// off: nothing. recommend: each step is recorded as a recommendation (the action log, status planned), nothing is
// done. auto: the steps are taken.
enum class RemediationMode { kOff, kRecommend, kAuto };
inline const char* RemediationModeName(RemediationMode mode) {
    return mode == RemediationMode::kAuto ? "auto" : mode == RemediationMode::kRecommend ? "recommend" : "off";
}
inline std::optional<RemediationMode> ParseRemediationMode(std::string_view text) {
    if (text == "off") return RemediationMode::kOff;
    if (text == "recommend") return RemediationMode::kRecommend;
    if (text == "auto") return RemediationMode::kAuto;
    return std::nullopt;
}

// The steps, by name: hold_scale_in, raise_floor, retrain, webhook_runbook, rollout_restart.
inline constexpr std::string_view kRemediationActions[] = {"hold_scale_in", "raise_floor", "retrain", "webhook_runbook",
                                                           "rollout_restart"};
inline bool IsRemediationAction(std::string_view name) {
    for (std::string_view a : kRemediationActions)
        if (a == name) return true;
    return false;
}

struct RemediationSettings {
    RemediationMode mode = RemediationMode::kOff;
    std::vector<std::string> actions = {"hold_scale_in"};  // the steps allowed, in the order they are taken
    double floor_share = 0.25;                             // raise_floor: the floor is desired capacity * (1 + this)
    UnixSeconds floor_seconds = 3600;         // raise_floor, hold_scale_in: lifted after this even if the alert stays
    UnixSeconds min_interval_seconds = 1800;  // rate limit: one start of the same step per resource per interval
    std::string runbook_url;                  // webhook_runbook: POSTed a JSON on start and on undo
};

// What one resource marks for anomaly scoring and remediation; the service's config gives the defaults.
struct AnomalySettings {
    std::vector<std::string> metrics;  // pushed metrics scored beside the load metric (beside the config's list)
    RemediationSettings remediation;
};

// Checks the fields a user can set; the message names the field and what to do.
inline Status ValidateAnomalySettings(const AnomalySettings& s) {
    for (const std::string& m : s.metrics)
        if (!IsValidMetricName(m))
            return MakeError(ErrorCode::kInvalidArgument,
                             "anomaly_metrics: '" + m + "' is not a metric name ([a-zA-Z_:][a-zA-Z0-9_:.]*)");
    if (s.metrics.size() > 20)
        return MakeError(ErrorCode::kInvalidArgument, "anomaly_metrics: at most 20 metrics per resource");
    const RemediationSettings& r = s.remediation;
    for (const std::string& a : r.actions)
        if (!IsRemediationAction(a))
            return MakeError(ErrorCode::kInvalidArgument,
                             "remediation.actions: unknown action '" + a +
                                 "'; use hold_scale_in, raise_floor, retrain, webhook_runbook or rollout_restart");
    if (!(r.floor_share > 0.0 && r.floor_share <= 4.0))
        return MakeError(ErrorCode::kInvalidArgument, "remediation.floor_share: must be more than 0 and at most 4");
    if (r.floor_seconds < 60 || r.floor_seconds > 7 * 86400)
        return MakeError(ErrorCode::kInvalidArgument, "remediation.floor_seconds: must be 60 to 604800");
    if (r.min_interval_seconds < 0 || r.min_interval_seconds > 7 * 86400)
        return MakeError(ErrorCode::kInvalidArgument, "remediation.min_interval_seconds: must be 0 to 604800");
    bool wants_runbook = false;
    for (const std::string& a : r.actions) wants_runbook = wants_runbook || a == "webhook_runbook";
    if (wants_runbook && r.runbook_url.rfind("http://", 0) != 0 && r.runbook_url.rfind("https://", 0) != 0)
        return MakeError(ErrorCode::kInvalidArgument,
                         "remediation.runbook_url: webhook_runbook needs an http:// or https:// URL");
    return Status::Ok();
}

// One remediation step taken (or recommended) for one alert. "active" while in force; then "reverted" (undone
// when the alert closed or the floor expired), or "done" (a step that cannot be undone, undo_note says why), or
// "recommended" (recommend mode: shown, not taken), "failed" (error says why), "skipped" (rate-limited).
struct Remediation {
    std::int64_t id = 0;
    ResourceId resource_id = 0;
    std::int64_t alert_id = 0;
    std::string action;  // one of kRemediationActions
    std::string state = "active";
    UnixSeconds started_at = 0;
    UnixSeconds ended_at = 0;  // 0 while active
    UnixSeconds until = 0;     // raise_floor: when the floor lapses
    int floor = 0;             // hold_scale_in / raise_floor: the capacity it keeps at least
    std::string reason;        // names the alert
    std::string undo_note;     // how it was undone, or why it cannot be
    std::string error;
};

struct RemediationQuery {
    std::optional<ResourceId> resource_id;
    std::optional<std::string> state;
    int limit = 100;
};

}  // namespace cloudopt
