#pragma once
// The tables of replicas sharing the database (store/coordination.hpp, docs/DEPLOYMENT.md "Replicas"), one migration
// of store/postgres/schema.hpp. Times of leases and heartbeats are the database's (timestamptz, now()), so replicas
// with different clocks agree on expiry.

namespace cloudopt::pg {

inline constexpr const char* kClusterTablesSql = R"sql(
CREATE TABLE cluster_members (
  member_id TEXT PRIMARY KEY,
  address TEXT NOT NULL DEFAULT '',
  started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  heartbeat_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);
-- One row per resource once leased; never deleted while the resource exists, so its epoch only grows.
CREATE TABLE resource_leases (
  resource_id BIGINT PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
  holder TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX resource_leases_by_holder ON resource_leases (holder);
-- Each planning pass of a resource, written under the lease it was made with (fenced).
CREATE TABLE plan_log (
  id BIGSERIAL PRIMARY KEY,
  resource_id BIGINT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  tick BIGINT NOT NULL,
  ts BIGINT NOT NULL,
  holder TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX plan_log_by_resource ON plan_log (resource_id, tick);
CREATE INDEX plan_log_by_time ON plan_log (recorded_at);
ALTER TABLE actions ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
ALTER TABLE actions ADD COLUMN lease_epoch BIGINT NOT NULL DEFAULT 0;
CREATE TABLE job_queue (
  id BIGSERIAL PRIMARY KEY,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  params TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL CHECK (state IN ('queued','running','succeeded','failed','cancelled')),
  claimed_by TEXT NOT NULL DEFAULT '',
  attempts BIGINT NOT NULL DEFAULT 0,
  progress DOUBLE PRECISION NOT NULL DEFAULT 0,
  result TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  cancel_requested BOOLEAN NOT NULL DEFAULT false,
  created_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX job_queue_one_active ON job_queue (kind, subject) WHERE state IN ('queued','running');
CREATE INDEX job_queue_claimable ON job_queue (state, id);
-- The id (a hash, not the key) of each key the replicas must share: a replica with another master key could not
-- open the sealed credentials, one with another JWT key would refuse the others' logins.
CREATE TABLE cluster_keys (
  name TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
)sql";

// The risk settings adopted for every replica (store/coordination.hpp SharedAdoption, POST /api/settings/adopt): one
// row per adoption, the highest id in force. Rows are few (one a person's decision), so none is ever deleted: they
// are the history of the setting.
inline constexpr const char* kAdoptedSettingsSql = R"sql(
CREATE TABLE adopted_settings (
  id BIGSERIAL PRIMARY KEY,
  quantile TEXT NOT NULL CHECK (quantile IN ('p50','p90','p95','p99','p99.9')),
  unmet_budget DOUBLE PRECISION NOT NULL CHECK (unmet_budget >= 0 AND unmet_budget <= 0.5),
  reason TEXT NOT NULL,
  evidence TEXT NOT NULL DEFAULT '',
  evidence_summary TEXT NOT NULL DEFAULT '',
  member TEXT NOT NULL,
  adopted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
)sql";

}  // namespace cloudopt::pg
