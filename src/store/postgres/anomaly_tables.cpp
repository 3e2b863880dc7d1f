#include "store/postgres/anomaly_tables.hpp"

#include <string>

#include "store/anomaly_columns.hpp"

namespace cloudopt::pg {

namespace {

constexpr const char* kPgAlertColumns =
    "id, resource_id, metric, state, severity, opened_at, closed_at, value, score, peak_score, range_low, "
    "range_high, forecast_p50, forecast_p99, window_from, window_to, message";

Alert PgReadAlertRow(const pqxx::row& row) {
    Alert a;
    a.id = row[0].as<std::int64_t>();
    a.resource_id = row[1].as<std::int64_t>();
    a.metric = row[2].as<std::string>();
    a.state = row[3].as<std::string>();
    a.severity = row[4].as<std::string>();
    a.opened_at = row[5].as<std::int64_t>();
    a.closed_at = row[6].as<std::int64_t>();
    a.value = row[7].as<double>();
    a.score = row[8].as<double>();
    a.peak_score = row[9].as<double>();
    a.range_low = row[10].as<double>();
    a.range_high = row[11].as<double>();
    if (!row[12].is_null()) a.forecast_p50 = row[12].as<double>();
    if (!row[13].is_null()) a.forecast_p99 = row[13].as<double>();
    a.window_from = row[14].as<std::int64_t>();
    a.window_to = row[15].as<std::int64_t>();
    a.message = row[16].as<std::string>();
    return a;
}

constexpr const char* kPgRemediationColumns =
    "id, resource_id, alert_id, action, state, started_at, ended_at, until, floor, reason, undo_note, error";

Remediation PgReadRemediationRow(const pqxx::row& row) {
    Remediation r;
    r.id = row[0].as<std::int64_t>();
    r.resource_id = row[1].as<std::int64_t>();
    r.alert_id = row[2].as<std::int64_t>();
    r.action = row[3].as<std::string>();
    r.state = row[4].as<std::string>();
    r.started_at = row[5].as<std::int64_t>();
    r.ended_at = row[6].as<std::int64_t>();
    r.until = row[7].as<std::int64_t>();
    r.floor = static_cast<int>(row[8].as<std::int64_t>());
    r.reason = row[9].as<std::string>();
    r.undo_note = row[10].as<std::string>();
    r.error = row[11].as<std::string>();
    return r;
}

}  // namespace

Result<Alert> WriteAlert(Pool& pool, const Alert& a) {
    auto stored = pool.Transact("saving an alert", [&](pqxx::work& tx) -> Result<Alert> {
        Alert out = a;
        if (a.id == 0) {
            out.id = tx.exec_params1(
                           "INSERT INTO alerts (resource_id, metric, state, severity, opened_at, closed_at, value, "
                           "score, peak_score, range_low, range_high, forecast_p50, forecast_p99, window_from, "
                           "window_to, message) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16) "
                           "RETURNING id",
                           a.resource_id, a.metric, a.state, a.severity, a.opened_at, a.closed_at, a.value, a.score,
                           a.peak_score, a.range_low, a.range_high, a.forecast_p50, a.forecast_p99, a.window_from,
                           a.window_to, a.message)[0]
                         .as<std::int64_t>();
            return out;
        }
        const pqxx::result rows = tx.exec_params(
            "UPDATE alerts SET resource_id = $1, metric = $2, state = $3, severity = $4, opened_at = $5, closed_at = "
            "$6, value = $7, score = $8, peak_score = $9, range_low = $10, range_high = $11, forecast_p50 = $12, "
            "forecast_p99 = $13, window_from = $14, window_to = $15, message = $16 WHERE id = $17 RETURNING id",
            a.resource_id, a.metric, a.state, a.severity, a.opened_at, a.closed_at, a.value, a.score, a.peak_score,
            a.range_low, a.range_high, a.forecast_p50, a.forecast_p99, a.window_from, a.window_to, a.message, a.id);
        if (rows.empty()) return MakeError(ErrorCode::kNotFound, "alert " + std::to_string(a.id) + " does not exist");
        return out;
    });
    if (!stored && stored.error().code == ErrorCode::kNotFound && stored.error().message.rfind("alert ", 0) != 0)
        return MakeError(ErrorCode::kNotFound, "resource " + std::to_string(a.resource_id) + " does not exist");
    return stored;
}

Result<std::vector<Alert>> ReadAlerts(Pool& pool, const AlertQuery& q) {
    return pool.Transact("listing alerts", [&](pqxx::work& tx) -> Result<std::vector<Alert>> {
        const pqxx::result rows = tx.exec_params(
            std::string("SELECT ") + kPgAlertColumns +
                " FROM alerts WHERE ($1::bigint IS NULL OR resource_id = $1) AND ($2::text IS NULL OR state = $2) "
                "ORDER BY opened_at DESC, id DESC LIMIT $3",
            q.resource_id, q.state, q.limit);
        std::vector<Alert> out;
        for (const auto& row : rows) out.push_back(PgReadAlertRow(row));
        return out;
    });
}

Result<Remediation> WriteRemediation(Pool& pool, const Remediation& r) {
    auto stored = pool.Transact("saving a remediation", [&](pqxx::work& tx) -> Result<Remediation> {
        Remediation out = r;
        if (r.id == 0) {
            out.id = tx.exec_params1(
                           "INSERT INTO remediations (resource_id, alert_id, action, state, started_at, ended_at, "
                           "until, floor, reason, undo_note, error) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) "
                           "RETURNING id",
                           r.resource_id, r.alert_id, r.action, r.state, r.started_at, r.ended_at, r.until, r.floor,
                           r.reason, r.undo_note, r.error)[0]
                         .as<std::int64_t>();
            return out;
        }
        const pqxx::result rows = tx.exec_params(
            "UPDATE remediations SET resource_id = $1, alert_id = $2, action = $3, state = $4, started_at = $5, "
            "ended_at = $6, until = $7, floor = $8, reason = $9, undo_note = $10, error = $11 WHERE id = $12 "
            "RETURNING id",
            r.resource_id, r.alert_id, r.action, r.state, r.started_at, r.ended_at, r.until, r.floor, r.reason,
            r.undo_note, r.error, r.id);
        if (rows.empty())
            return MakeError(ErrorCode::kNotFound, "remediation " + std::to_string(r.id) + " does not exist");
        return out;
    });
    if (!stored && stored.error().code == ErrorCode::kNotFound && stored.error().message.rfind("remediation ", 0) != 0)
        return MakeError(ErrorCode::kNotFound, "resource " + std::to_string(r.resource_id) + " or alert " +
                                                   std::to_string(r.alert_id) + " does not exist");
    return stored;
}

Result<std::vector<Remediation>> ReadRemediations(Pool& pool, const RemediationQuery& q) {
    return pool.Transact("listing remediations", [&](pqxx::work& tx) -> Result<std::vector<Remediation>> {
        const pqxx::result rows = tx.exec_params(
            std::string("SELECT ") + kPgRemediationColumns +
                " FROM remediations WHERE ($1::bigint IS NULL OR resource_id = $1) AND ($2::text IS NULL OR state = "
                "$2) ORDER BY started_at DESC, id DESC LIMIT $3",
            q.resource_id, q.state, q.limit);
        std::vector<Remediation> out;
        for (const auto& row : rows) out.push_back(PgReadRemediationRow(row));
        return out;
    });
}

Status WriteAnomalySettings(Pool& pool, ResourceId id, const AnomalySettings& a) {
    const RemediationSettings& r = a.remediation;
    Status st = pool.Transact("saving anomaly settings", [&](pqxx::work& tx) -> Status {
        tx.exec_params(
            "INSERT INTO anomaly_settings (resource_id, metrics, mode, actions, floor_share, floor_seconds, "
            "min_interval_seconds, runbook_url) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (resource_id) DO UPDATE "
            "SET metrics = excluded.metrics, mode = excluded.mode, actions = excluded.actions, floor_share = "
            "excluded.floor_share, floor_seconds = excluded.floor_seconds, min_interval_seconds = "
            "excluded.min_interval_seconds, runbook_url = excluded.runbook_url",
            id, JoinNameList(a.metrics), std::string(RemediationModeName(r.mode)), JoinNameList(r.actions),
            r.floor_share, r.floor_seconds, r.min_interval_seconds, r.runbook_url);
        return Status::Ok();
    });
    if (!st && st.error().code == ErrorCode::kNotFound)
        return MakeError(ErrorCode::kNotFound, "resource " + std::to_string(id) + " does not exist");
    return st;
}

Result<std::optional<AnomalySettings>> ReadAnomalySettings(Pool& pool, ResourceId id) {
    return pool.Transact("reading anomaly settings", [&](pqxx::work& tx) -> Result<std::optional<AnomalySettings>> {
        const pqxx::result rows = tx.exec_params(
            "SELECT metrics, mode, actions, floor_share, floor_seconds, min_interval_seconds, runbook_url FROM "
            "anomaly_settings WHERE resource_id = $1",
            id);
        if (rows.empty()) return std::optional<AnomalySettings>();
        const pqxx::row row = rows[0];
        AnomalySettings a;
        a.metrics = SplitNameList(row[0].as<std::string>());
        a.remediation.mode = ParseRemediationMode(row[1].as<std::string>()).value_or(RemediationMode::kOff);
        a.remediation.actions = SplitNameList(row[2].as<std::string>());
        a.remediation.floor_share = row[3].as<double>();
        a.remediation.floor_seconds = row[4].as<std::int64_t>();
        a.remediation.min_interval_seconds = row[5].as<std::int64_t>();
        a.remediation.runbook_url = row[6].as<std::string>();
        return std::optional<AnomalySettings>(std::move(a));
    });
}

}  // namespace cloudopt::pg
