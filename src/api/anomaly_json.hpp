#pragma once
// JSON of a resource's anomaly settings (the pushed metrics it marks for scoring, its remediation) and of
// remediation steps, for PUT/GET /api/resources/{id}/anomaly and GET /api/remediations (docs/ANOMALY.md). Header
// only: small, and used by routes_resources.cpp alone.

#include <nlohmann/json.hpp>
#include <string>

#include "core/error.hpp"
#include "core/remediation.hpp"

namespace cloudopt::api {

inline nlohmann::json AnomalySettingsToJson(const AnomalySettings& s) {
    const RemediationSettings& r = s.remediation;
    return {{"metrics", s.metrics},
            {"remediation",
             {{"mode", RemediationModeName(r.mode)},
              {"actions", r.actions},
              {"floor_share", r.floor_share},
              {"floor_seconds", r.floor_seconds},
              {"min_interval_seconds", r.min_interval_seconds},
              {"runbook_url", r.runbook_url}}}};
}

inline nlohmann::json RemediationToJson(const Remediation& r) {
    return {{"id", r.id},
            {"resource_id", r.resource_id},
            {"alert_id", r.alert_id},
            {"action", r.action},
            {"state", r.state},
            {"started_at", r.started_at},
            {"ended_at", r.ended_at == 0 ? nlohmann::json(nullptr) : nlohmann::json(r.ended_at)},
            {"until", r.until == 0 ? nlohmann::json(nullptr) : nlohmann::json(r.until)},
            {"floor", r.floor},
            {"reason", r.reason},
            {"undo_note", r.undo_note},
            {"error", r.error}};
}

namespace anomaly_json_detail {

inline Status BadField(const std::string& field, const std::string& problem) {
    return MakeError(ErrorCode::kInvalidArgument, field + ": " + problem);
}

inline Status NameList(const nlohmann::json& value, const std::string& field, std::vector<std::string>& out) {
    if (!value.is_array()) return BadField(field, "must be an array of names");
    out.clear();
    for (const nlohmann::json& item : value) {
        if (!item.is_string()) return BadField(field, "must be an array of names");
        out.push_back(item.get<std::string>());
    }
    return Status::Ok();
}

}  // namespace anomaly_json_detail

// Applies the fields `body` has over `base` (a partial update); unknown fields, wrong types and values that break a
// rule are kInvalidArgument naming the field.
inline Result<AnomalySettings> AnomalySettingsFromJson(const nlohmann::json& body, AnomalySettings base) {
    using anomaly_json_detail::BadField;
    if (!body.is_object()) return MakeError(ErrorCode::kInvalidArgument, "the body must be a JSON object");
    for (const auto& [key, value] : body.items())
        if (key != "metrics" && key != "remediation")
            return MakeError(ErrorCode::kInvalidArgument, "unknown field '" + key + "' (known: metrics, remediation)");
    if (body.contains("metrics"))
        if (Status s = anomaly_json_detail::NameList(body["metrics"], "metrics", base.metrics); !s) return s.error();
    if (body.contains("remediation")) {
        const nlohmann::json& r = body["remediation"];
        if (!r.is_object()) return BadField("remediation", "must be an object").error();
        RemediationSettings& out = base.remediation;
        for (const auto& [key, value] : r.items()) {
            const std::string field = "remediation." + key;
            if (key == "mode") {
                auto mode = value.is_string() ? ParseRemediationMode(value.get<std::string>()) : std::nullopt;
                if (!mode) return BadField(field, "must be off, recommend or auto").error();
                out.mode = *mode;
            } else if (key == "actions") {
                if (Status s = anomaly_json_detail::NameList(value, field, out.actions); !s) return s.error();
            } else if (key == "floor_share") {
                if (!value.is_number()) return BadField(field, "must be a number").error();
                out.floor_share = value.get<double>();
            } else if (key == "floor_seconds" || key == "min_interval_seconds") {
                if (!value.is_number_integer()) return BadField(field, "must be an integer").error();
                (key == "floor_seconds" ? out.floor_seconds : out.min_interval_seconds) = value.get<std::int64_t>();
            } else if (key == "runbook_url") {
                if (!value.is_string()) return BadField(field, "must be a string").error();
                out.runbook_url = value.get<std::string>();
            } else {
                return BadField(field,
                                "unknown field (known: mode, actions, floor_share, floor_seconds, "
                                "min_interval_seconds, runbook_url)")
                    .error();
            }
        }
    }
    // The message names the field as the body does ("metrics", not "anomaly_metrics").
    if (Status s = ValidateAnomalySettings(base); !s) {
        std::string message = s.error().message;
        if (message.rfind("anomaly_metrics", 0) == 0) message = message.substr(8);
        return MakeError(ErrorCode::kInvalidArgument, message);
    }
    return base;
}

}  // namespace cloudopt::api
