#pragma once
// Versioned schema migrations. Each entry moves the schema from version i to i+1 and runs in one transaction;
// never edit a released entry, append a new one.

#include <array>

namespace cloudopt::sqlite {

inline constexpr std::array<const char*, 14> kMigrations = {
    // v1: the foundation entities.
    R"sql(
CREATE TABLE resources (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  provider TEXT NOT NULL,
  provider_ref TEXT NOT NULL,
  instance_type TEXT NOT NULL,
  min_capacity INTEGER NOT NULL,
  max_capacity INTEGER NOT NULL,
  target_low REAL NOT NULL,
  target_high REAL NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('off','recommend','auto')),
  boot_delay_s INTEGER NOT NULL,
  load_metric TEXT NOT NULL,
  capacity_per_instance REAL NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  metric TEXT NOT NULL,
  UNIQUE (resource_id, metric)
);
-- One row per series and hour; `data` holds the hour's samples (format: store/sample_chunk.hpp).
CREATE TABLE sample_chunks (
  series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
  chunk_start INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (series_id, chunk_start)
) WITHOUT ROWID;
CREATE TABLE predictions (
  id INTEGER PRIMARY KEY,
  resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  metric TEXT NOT NULL,
  generated_at INTEGER NOT NULL,
  model TEXT NOT NULL,
  step_s INTEGER NOT NULL,
  accuracy REAL,
  points TEXT NOT NULL
);
CREATE INDEX predictions_by_series ON predictions (resource_id, metric, generated_at);
CREATE TABLE actions (
  id INTEGER PRIMARY KEY,
  resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  ts INTEGER NOT NULL,
  from_capacity INTEGER NOT NULL,
  to_capacity INTEGER NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('planned','applied','failed','skipped')),
  error TEXT NOT NULL DEFAULT '',
  hourly_cost_before REAL NOT NULL DEFAULT 0,
  hourly_cost_after REAL NOT NULL DEFAULT 0
);
CREATE INDEX actions_by_time ON actions (ts);
CREATE INDEX actions_by_resource ON actions (resource_id, ts);
CREATE TABLE recommendations (
  id INTEGER PRIMARY KEY,
  resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  from_capacity INTEGER NOT NULL,
  to_capacity INTEGER NOT NULL,
  reason TEXT NOT NULL,
  hourly_cost_before REAL NOT NULL,
  hourly_cost_after REAL NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open','applied','dismissed','superseded'))
);
CREATE INDEX recommendations_by_status ON recommendations (status, resource_id);
)sql",
    // v2: trained models, one per resource and metric (bytes: forecast/model_file.hpp).
    R"sql(
CREATE TABLE models (
  resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  metric TEXT NOT NULL,
  trained_at INTEGER NOT NULL,
  model TEXT NOT NULL,
  accuracy REAL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (resource_id, metric)
);
)sql",
    // v3: identity: users, refresh and API tokens (hashes only), sealed credentials, the audit log.
    R"sql(
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('viewer','operator','admin')),
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE refresh_tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  family TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family);
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  scope TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE TABLE credentials (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  sealed BLOB NOT NULL,
  key_id TEXT NOT NULL,
  hint TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  status INTEGER NOT NULL,
  remote_address TEXT NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (ts);
)sql",
    // v4: a resource's load can come from a PromQL expression.
    R"sql(
ALTER TABLE resources ADD COLUMN load_query TEXT NOT NULL DEFAULT '';
)sql",
    // v5: the optimizer's per-resource choices (risk quantile, allowed instance types, spot share, step limit).
    R"sql(
ALTER TABLE resources ADD COLUMN risk_quantile TEXT NOT NULL DEFAULT '';
ALTER TABLE resources ADD COLUMN allowed_types TEXT NOT NULL DEFAULT '';
ALTER TABLE resources ADD COLUMN spot_share_max REAL NOT NULL DEFAULT 0;
ALTER TABLE resources ADD COLUMN max_step INTEGER NOT NULL DEFAULT 0;
)sql",
    // v6: the network shared across resources (bytes: forecast/fleet_file.hpp), one row.
    R"sql(
CREATE TABLE shared_network (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  trained_at INTEGER NOT NULL,
  members INTEGER NOT NULL,
  bytes BLOB NOT NULL
);
)sql",
    // v7: the audit log aggregates refused requests (count) and says what a login tried (detail).
    R"sql(
ALTER TABLE audit_log ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN detail TEXT NOT NULL DEFAULT '';
)sql",
    // v8: resource ids are never reused. SQLite gives a new row the largest id + 1, so deleting the newest resource
    // freed its id for the next one, and whatever still named the old id (a cached model, a plan history, a chart)
    // described the new one. The highest id ever given is kept here, and new resources are numbered above it.
    R"sql(
CREATE TABLE resource_id_high (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
);
INSERT INTO resource_id_high SELECT 1, COALESCE(MAX(id), 0) FROM resources;
CREATE TRIGGER resources_keep_id_high AFTER INSERT ON resources BEGIN
  UPDATE resource_id_high SET value = MAX(value, NEW.id) WHERE id = 1;
END;
)sql",
    // v9: a recommendation's lifecycle: it also expires or closes, says why and when it left "open", and a dismissal
    // may snooze it. A CHECK cannot be altered in SQLite, so the table is rebuilt (nothing references it).
    R"sql(
CREATE TABLE recommendations_v9 (
  id INTEGER PRIMARY KEY,
  resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  from_capacity INTEGER NOT NULL,
  to_capacity INTEGER NOT NULL,
  reason TEXT NOT NULL,
  hourly_cost_before REAL NOT NULL,
  hourly_cost_after REAL NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open','applied','dismissed','superseded','expired','closed')),
  status_reason TEXT NOT NULL DEFAULT '',
  closed_at INTEGER NOT NULL DEFAULT 0,
  snooze_until INTEGER NOT NULL DEFAULT 0
);
INSERT INTO recommendations_v9 (id, resource_id, created_at, from_capacity, to_capacity, reason, hourly_cost_before,
                                hourly_cost_after, status)
  SELECT id, resource_id, created_at, from_capacity, to_capacity, reason, hourly_cost_before, hourly_cost_after, status
  FROM recommendations;
DROP TABLE recommendations;
ALTER TABLE recommendations_v9 RENAME TO recommendations;
CREATE INDEX recommendations_by_status ON recommendations (status, resource_id);
)sql",
    // v10: a decision's short sentence and its numbers in fields (core/action.hpp DecisionExplanation, as JSON).
    R"sql(
ALTER TABLE actions ADD COLUMN summary TEXT NOT NULL DEFAULT '';
ALTER TABLE actions ADD COLUMN explanation TEXT NOT NULL DEFAULT '';
ALTER TABLE recommendations ADD COLUMN summary TEXT NOT NULL DEFAULT '';
ALTER TABLE recommendations ADD COLUMN explanation TEXT NOT NULL DEFAULT '';
)sql",
    // v11: anomaly alerts (core/alert.hpp, docs/ANOMALY.md "In the service").
    R"sql(
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  metric TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open','closed')),
  severity TEXT NOT NULL CHECK (severity IN ('warning','critical')),
  opened_at INTEGER NOT NULL,
  closed_at INTEGER NOT NULL DEFAULT 0,
  value REAL NOT NULL,
  score REAL NOT NULL,
  peak_score REAL NOT NULL,
  range_low REAL NOT NULL,
  range_high REAL NOT NULL,
  forecast_p50 REAL,
  forecast_p99 REAL,
  window_from INTEGER NOT NULL,
  window_to INTEGER NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX alerts_by_state ON alerts (state, resource_id, opened_at);
CREATE INDEX alerts_by_resource ON alerts (resource_id, opened_at);
)sql",
    // v12: remediation steps of anomaly alerts and each resource's anomaly settings (core/remediation.hpp,
    // docs/ANOMALY.md "Remediation").
    R"sql(
CREATE TABLE remediations (
  id INTEGER PRIMARY KEY,
  resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
  action TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active','reverted','done','recommended','failed','skipped')),
  started_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL DEFAULT 0,
  until INTEGER NOT NULL DEFAULT 0,
  floor INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL,
  undo_note TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX remediations_by_resource ON remediations (resource_id, state, started_at);
CREATE TABLE anomaly_settings (
  resource_id INTEGER PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
  metrics TEXT NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('off','recommend','auto')),
  actions TEXT NOT NULL,
  floor_share REAL NOT NULL,
  floor_seconds INTEGER NOT NULL,
  min_interval_seconds INTEGER NOT NULL,
  runbook_url TEXT NOT NULL
);
)sql",
    // v13: resource labels ("team=payments,env=prod", core/labels.hpp) and monthly budgets (core/budget.hpp,
    // docs/COSTS.md "Budgets").
    R"sql(
ALTER TABLE resources ADD COLUMN labels TEXT NOT NULL DEFAULT '';
CREATE TABLE budgets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  scope TEXT NOT NULL CHECK (scope IN ('total','provider','resource','label')),
  target TEXT NOT NULL,
  monthly_usd REAL NOT NULL,
  cap_mode TEXT NOT NULL CHECK (cap_mode IN ('off','soft','hard')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
)sql",
    // v14: the state each budget last sent to the alert webhook (core/budget.hpp Budget::alerted), so a restart
    // sends only changes (docs/COSTS.md "Budgets").
    R"sql(
ALTER TABLE budgets ADD COLUMN alerted TEXT NOT NULL DEFAULT 'ok';
)sql",
};

}  // namespace cloudopt::sqlite
