#pragma once
// Versioned schema migrations of the PostgreSQL store. Each entry moves the schema from version i to i+1 and runs
// in one transaction, under an advisory lock (postgres_store.cpp), so replicas that start together migrate once.
// Never edit a released entry; append a new one. These versions are the PostgreSQL store's own: v1 holds what the
// SQLite store reached at its v10 (store/sqlite/schema.hpp), in PostgreSQL's types.

#include <array>

#include "store/postgres/cluster_schema.hpp"

namespace cloudopt::pg {

inline constexpr std::array<const char*, 6> kMigrations = {
    // v1: everything the SQLite store holds at its v10. Differences: samples are one row per sample in a table
    // partitioned by week (store/postgres/partitions.hpp), not hourly chunks; resource ids come from a sequence,
    // which never gives an id twice (SQLite needed resource_id_high for that); one resource per cloud group is a
    // constraint.
    R"sql(
CREATE TABLE resources (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  provider TEXT NOT NULL,
  provider_ref TEXT NOT NULL,
  instance_type TEXT NOT NULL,
  min_capacity BIGINT NOT NULL,
  max_capacity BIGINT NOT NULL,
  target_low DOUBLE PRECISION NOT NULL,
  target_high DOUBLE PRECISION NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('off','recommend','auto')),
  boot_delay_s BIGINT NOT NULL,
  load_metric TEXT NOT NULL,
  capacity_per_instance DOUBLE PRECISION NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  load_query TEXT NOT NULL DEFAULT '',
  risk_quantile TEXT NOT NULL DEFAULT '',
  allowed_types TEXT NOT NULL DEFAULT '',
  spot_share_max DOUBLE PRECISION NOT NULL DEFAULT 0,
  max_step BIGINT NOT NULL DEFAULT 0,
  CONSTRAINT resources_one_per_group UNIQUE (provider, provider_ref)
);
CREATE TABLE series (
  id BIGSERIAL PRIMARY KEY,
  resource_id BIGINT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  metric TEXT NOT NULL,
  UNIQUE (resource_id, metric)
);
-- One row per sample, in weekly partitions named samples_w<N> for ts in [N * 604800, (N + 1) * 604800), created
-- ahead of the first sample that needs one. Retention drops whole partitions.
CREATE TABLE samples (
  series_id BIGINT NOT NULL REFERENCES series(id) ON DELETE CASCADE,
  ts BIGINT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (series_id, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE predictions (
  id BIGSERIAL PRIMARY KEY,
  resource_id BIGINT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  metric TEXT NOT NULL,
  generated_at BIGINT NOT NULL,
  model TEXT NOT NULL,
  step_s BIGINT NOT NULL,
  accuracy DOUBLE PRECISION,
  points TEXT NOT NULL
);
CREATE INDEX predictions_by_series ON predictions (resource_id, metric, generated_at);
CREATE TABLE actions (
  id BIGSERIAL PRIMARY KEY,
  resource_id BIGINT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  ts BIGINT NOT NULL,
  from_capacity BIGINT NOT NULL,
  to_capacity BIGINT NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('planned','applied','failed','skipped')),
  error TEXT NOT NULL DEFAULT '',
  hourly_cost_before DOUBLE PRECISION NOT NULL DEFAULT 0,
  hourly_cost_after DOUBLE PRECISION NOT NULL DEFAULT 0,
  summary TEXT NOT NULL DEFAULT '',
  explanation TEXT NOT NULL DEFAULT ''
);
CREATE INDEX actions_by_time ON actions (ts);
CREATE INDEX actions_by_resource ON actions (resource_id, ts);
CREATE TABLE recommendations (
  id BIGSERIAL PRIMARY KEY,
  resource_id BIGINT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  from_capacity BIGINT NOT NULL,
  to_capacity BIGINT NOT NULL,
  reason TEXT NOT NULL,
  hourly_cost_before DOUBLE PRECISION NOT NULL,
  hourly_cost_after DOUBLE PRECISION NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open','applied','dismissed','superseded','expired','closed')),
  status_reason TEXT NOT NULL DEFAULT '',
  closed_at BIGINT NOT NULL DEFAULT 0,
  snooze_until BIGINT NOT NULL DEFAULT 0,
  summary TEXT NOT NULL DEFAULT '',
  explanation TEXT NOT NULL DEFAULT ''
);
CREATE INDEX recommendations_by_status ON recommendations (status, resource_id);
CREATE TABLE models (
  resource_id BIGINT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  metric TEXT NOT NULL,
  trained_at BIGINT NOT NULL,
  model TEXT NOT NULL,
  accuracy DOUBLE PRECISION,
  bytes BYTEA NOT NULL,
  PRIMARY KEY (resource_id, metric)
);
CREATE TABLE shared_network (
  id BIGINT PRIMARY KEY CHECK (id = 1),
  trained_at BIGINT NOT NULL,
  members BIGINT NOT NULL,
  bytes BYTEA NOT NULL
);
CREATE TABLE users (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('viewer','operator','admin')),
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  disabled BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE refresh_tokens (
  id BIGSERIAL PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  family TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);
CREATE TABLE api_tokens (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  scope TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE TABLE credentials (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  sealed BYTEA NOT NULL,
  key_id TEXT NOT NULL,
  hint TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE audit_log (
  id BIGSERIAL PRIMARY KEY,
  ts BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  status BIGINT NOT NULL,
  remote_address TEXT NOT NULL,
  count BIGINT NOT NULL DEFAULT 1,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_time ON audit_log (ts);
)sql",
    // v2: anomaly alerts (as SQLite's v11), their remediation steps and each resource's anomaly settings (as
    // SQLite's v12; core/alert.hpp, core/remediation.hpp, docs/ANOMALY.md).
    R"sql(
CREATE TABLE alerts (
  id BIGSERIAL PRIMARY KEY,
  resource_id BIGINT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  metric TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open','closed')),
  severity TEXT NOT NULL CHECK (severity IN ('warning','critical')),
  opened_at BIGINT NOT NULL,
  closed_at BIGINT NOT NULL DEFAULT 0,
  value DOUBLE PRECISION NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  peak_score DOUBLE PRECISION NOT NULL,
  range_low DOUBLE PRECISION NOT NULL,
  range_high DOUBLE PRECISION NOT NULL,
  forecast_p50 DOUBLE PRECISION,
  forecast_p99 DOUBLE PRECISION,
  window_from BIGINT NOT NULL,
  window_to BIGINT NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX alerts_by_state ON alerts (state, resource_id, opened_at);
CREATE INDEX alerts_by_resource ON alerts (resource_id, opened_at);
CREATE TABLE remediations (
  id BIGSERIAL PRIMARY KEY,
  resource_id BIGINT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  alert_id BIGINT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
  action TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active','reverted','done','recommended','failed','skipped')),
  started_at BIGINT NOT NULL,
  ended_at BIGINT NOT NULL DEFAULT 0,
  until BIGINT NOT NULL DEFAULT 0,
  floor BIGINT NOT NULL DEFAULT 0,
  reason TEXT NOT NULL,
  undo_note TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX remediations_by_resource ON remediations (resource_id, state, started_at);
CREATE TABLE anomaly_settings (
  resource_id BIGINT PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
  metrics TEXT NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('off','recommend','auto')),
  actions TEXT NOT NULL,
  floor_share DOUBLE PRECISION NOT NULL,
  floor_seconds BIGINT NOT NULL,
  min_interval_seconds BIGINT NOT NULL,
  runbook_url TEXT NOT NULL
);
)sql",
    // v3: resource labels and monthly budgets (as SQLite's v13; core/labels.hpp,
    // core/budget.hpp, docs/COSTS.md "Budgets").
    R"sql(
ALTER TABLE resources ADD COLUMN labels TEXT NOT NULL DEFAULT '';
CREATE TABLE budgets (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  scope TEXT NOT NULL CHECK (scope IN ('total','provider','resource','label')),
  target TEXT NOT NULL,
  monthly_usd DOUBLE PRECISION NOT NULL,
  cap_mode TEXT NOT NULL CHECK (cap_mode IN ('off','soft','hard')),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
)sql",
    // v4: replicas sharing the database: members, resource leases with fencing epochs, the fenced plan log, the
    // lease of each action, the shared job queue and the ids of the keys they must share (cluster_schema.hpp).
    kClusterTablesSql,
    // v5: the state each budget last sent to the alert webhook (core/budget.hpp Budget::alerted), so a restart
    // sends only changes (docs/COSTS.md "Budgets").
    R"sql(
ALTER TABLE budgets ADD COLUMN alerted TEXT NOT NULL DEFAULT 'ok';
)sql",
    // v6: the risk settings adopted for every replica (POST /api/settings/adopt, docs/COSTS.md "Adopting the
    // setting"; cluster_schema.hpp).
    kAdoptedSettingsSql,
};

}  // namespace cloudopt::pg
