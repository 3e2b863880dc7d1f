#include "store/sqlite/anomaly_tables.hpp"

#include "store/anomaly_columns.hpp"

namespace cloudopt::sqlite {

Result<Remediation> WriteRemediation(Connection& writer, const Remediation& r) {
    Statement s = writer.Prepare(
        r.id == 0 ? "INSERT INTO remediations (resource_id, alert_id, action, state, started_at, ended_at, until, "
                    "floor, reason, undo_note, error) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
                  : "UPDATE remediations SET resource_id = ?, alert_id = ?, action = ?, state = ?, started_at = ?, "
                    "ended_at = ?, until = ?, floor = ?, reason = ?, undo_note = ?, error = ? WHERE id = ?");
    s.Bind(1, r.resource_id).Bind(2, r.alert_id).Bind(3, r.action).Bind(4, r.state).Bind(5, r.started_at);
    s.Bind(6, r.ended_at).Bind(7, r.until).Bind(8, r.floor).Bind(9, r.reason).Bind(10, r.undo_note);
    s.Bind(11, r.error);
    if (r.id != 0) s.Bind(12, r.id);
    if (Status st = s.Run(); !st) {
        if (st.error().code == ErrorCode::kConflict)  // the foreign keys: no such resource or alert
            return MakeError(ErrorCode::kNotFound, "resource " + std::to_string(r.resource_id) + " or alert " +
                                                       std::to_string(r.alert_id) + " does not exist");
        return st.error();
    }
    Remediation stored = r;
    if (r.id == 0) {
        stored.id = writer.LastInsertId();
    } else if (writer.Changes() == 0) {
        return MakeError(ErrorCode::kNotFound, "remediation " + std::to_string(r.id) + " does not exist");
    }
    return stored;
}

Result<std::vector<Remediation>> ReadRemediations(Connection& reader, const RemediationQuery& q) {
    Statement s = reader.Prepare(
        "SELECT id, resource_id, alert_id, action, state, started_at, ended_at, until, floor, reason, undo_note, "
        "error FROM remediations WHERE (? IS NULL OR resource_id = ?) AND (? IS NULL OR state = ?) "
        "ORDER BY started_at DESC, id DESC LIMIT ?");
    if (q.resource_id)
        s.Bind(1, *q.resource_id).Bind(2, *q.resource_id);
    else
        s.BindNull(1).BindNull(2);
    if (q.state)
        s.Bind(3, *q.state).Bind(4, *q.state);
    else
        s.BindNull(3).BindNull(4);
    s.Bind(5, q.limit);
    std::vector<Remediation> out;
    while (s.Step()) {
        Remediation r;
        r.id = s.Int(0);
        r.resource_id = s.Int(1);
        r.alert_id = s.Int(2);
        r.action = s.Text(3);
        r.state = s.Text(4);
        r.started_at = s.Int(5);
        r.ended_at = s.Int(6);
        r.until = s.Int(7);
        r.floor = static_cast<int>(s.Int(8));
        r.reason = s.Text(9);
        r.undo_note = s.Text(10);
        r.error = s.Text(11);
        out.push_back(std::move(r));
    }
    if (!s.status()) return s.status().error();
    return out;
}

Status WriteAnomalySettings(Connection& writer, ResourceId id, const AnomalySettings& a) {
    const RemediationSettings& r = a.remediation;
    Statement s = writer.Prepare(
        "INSERT INTO anomaly_settings (resource_id, metrics, mode, actions, floor_share, floor_seconds, "
        "min_interval_seconds, runbook_url) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (resource_id) DO UPDATE SET "
        "metrics = excluded.metrics, mode = excluded.mode, actions = excluded.actions, floor_share = "
        "excluded.floor_share, floor_seconds = excluded.floor_seconds, min_interval_seconds = "
        "excluded.min_interval_seconds, runbook_url = excluded.runbook_url");
    s.Bind(1, id).Bind(2, JoinNameList(a.metrics)).Bind(3, std::string_view(RemediationModeName(r.mode)));
    s.Bind(4, JoinNameList(r.actions)).Bind(5, r.floor_share).Bind(6, r.floor_seconds);
    s.Bind(7, r.min_interval_seconds).Bind(8, r.runbook_url);
    if (Status st = s.Run(); !st) {
        if (st.error().code == ErrorCode::kConflict)
            return MakeError(ErrorCode::kNotFound, "resource " + std::to_string(id) + " does not exist");
        return st;
    }
    return Status::Ok();
}

Result<std::optional<AnomalySettings>> ReadAnomalySettings(Connection& reader, ResourceId id) {
    Statement s = reader.Prepare(
        "SELECT metrics, mode, actions, floor_share, floor_seconds, min_interval_seconds, runbook_url FROM "
        "anomaly_settings WHERE resource_id = ?");
    s.Bind(1, id);
    if (!s.Step()) {
        if (!s.status()) return s.status().error();
        return std::optional<AnomalySettings>();
    }
    AnomalySettings a;
    a.metrics = SplitNameList(s.Text(0));
    a.remediation.mode = ParseRemediationMode(s.Text(1)).value_or(RemediationMode::kOff);
    a.remediation.actions = SplitNameList(s.Text(2));
    a.remediation.floor_share = s.Double(3);
    a.remediation.floor_seconds = s.Int(4);
    a.remediation.min_interval_seconds = s.Int(5);
    a.remediation.runbook_url = s.Text(6);
    return std::optional<AnomalySettings>(std::move(a));
}

}  // namespace cloudopt::sqlite
