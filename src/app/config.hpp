#pragma once
// The service configuration: defaults, then the YAML file, then CLOUDOPT_* environment variables, then flags.
// Every key is declared once in config.cpp (name, type, rule, help), which drives parsing, the environment
// names and the error messages; cloudopt.example.yaml documents the same keys.

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "core/plan.hpp"
#include "core/remediation.hpp"

namespace cloudopt {

struct Config {
    // server
    std::string bind_address = "127.0.0.1";
    int port = 8080;
    int threads = 0;
    long long max_body_bytes = 8LL * 1024 * 1024;
    int request_timeout_seconds = 30;
    int query_cache_mb = 16;
    // What a client may hold (docs/SECURITY.md "Limits"): 0 connections means derived from the descriptor limit.
    long long max_connections = 0;
    int max_connections_per_address = 512;
    long long max_anonymous_body_bytes = 64 * 1024;
    int max_buffered_body_mb = 256;
    int max_buffered_body_mb_per_address = 64;
    int max_event_streams_per_user = 8;
    // ingest: what POST /api/metrics and /api/v1/write accept
    int ingest_max_future_skew_seconds = 300;
    double ingest_min_value = -1e12;
    double ingest_max_value = 1e12;
    std::string ingest_metric_ranges;  // "metric=min:max,..." overrides the range for those metrics
    int ingest_max_series_per_resource = 1000;
    long long ingest_max_series_total = 100000;
    // audit log retention
    int audit_retention_days = 90;
    long long audit_max_rows = 1000000;
    // simulations: how many may wait or run at once
    int max_queued_simulations = 4;
    // storage
    std::string data_dir = "./cloudopt-data";
    std::string durability = "process";  // process | power (see Durability in store/store.hpp)
    int sample_retention_days = 0;       // samples older than this are dropped (0: kept for ever)
    // store: sqlite (the database in data_dir) or postgres (at store_url; docs/DEPLOYMENT.md)
    std::string store_driver = "sqlite";
    std::string store_url;       // postgres://USER@HOST:PORT/DATABASE
    std::string store_password;  // prefer CLOUDOPT_STORE_PASSWORD to writing it in the file
    int store_max_connections = 8;
    // cluster: replicas sharing a PostgreSQL store plan each resource under a lease (docs/DEPLOYMENT.md "Replicas")
    bool cluster_enabled = true;     // with store.driver postgres; off: this replica plans every resource
    int cluster_lease_seconds = 15;  // a dead replica's resources move after at most this (plus a tick)
    // loop
    int tick_seconds = 60;
    int forecast_step_seconds = 300;
    int horizon_steps = 12;
    int history_days = 8;
    int stabilization_seconds = 300;
    int flap_window_seconds = static_cast<int>(kDefaultFlapGuard.window_seconds);
    double scale_in_hysteresis = kDefaultFlapGuard.hysteresis;
    int flap_backoff_max = kDefaultFlapGuard.max_backoff;
    int scale_in_lookahead_seconds = static_cast<int>(kDefaultFlapGuard.lookahead_seconds);
    int flap_budget_per_day = kDefaultFlapGuard.flap_budget_per_day;
    int flap_hold_seconds = static_cast<int>(kDefaultFlapGuard.flap_hold_seconds);
    double min_scale_in_share = kDefaultFlapGuard.min_scale_in_share;
    double scale_out_tolerance = kDefaultFlapGuard.scale_out_tolerance;
    std::string quantile = "p95";
    int train_epochs = 30;
    int lstm_hidden = 64;
    int lstm_layers = 1;
    int lstm_window = 48;               // steps of the forecast grid
    std::string lstm_scale = "linear";  // or log (forecast/lstm_options.hpp)
    bool phase_bands = true;
    bool reweigh = true;  // loop.reweigh: auto's weights follow its models' errors since training
    int retrain_hours = 24;
    int band_tracking_hours = 24;
    double drift_error_ratio = 1.5;
    int drift_min_hours = 6;
    double unmet_budget = 0.005;
    double service_correction_rate = 0.2;
    int max_actions_per_resource_per_hour = 12;
    int max_actions_per_minute = 30;
    int max_retry_backoff_seconds = 1800;
    int recommendation_max_age_minutes = 60;
    // Resources of a lane planned at once; 0: sized for the store (PostgreSQL: its connections less two, SQLite: 1).
    int parallel_resources = 0;
    // demo
    bool demo = false;
    double speed = 60.0;
    std::string demo_data_dir;  // empty: the bundled data/demo
    // dashboard
    std::string dashboard_dir;  // empty: the built dashboard/dist beside the binary or the sources
    // catalog
    std::string catalog_file;  // empty: the bundled data/catalog/instances.csv
    // anomaly: alerts on each resource's load and utilization (docs/ANOMALY.md, "In the service")
    bool anomaly_enabled = true;
    double anomaly_threshold = 0.1235;  // the NAB profiles' threshold on the dev half (docs/ANOMALY.md)
    int anomaly_close_after_points = 3;
    std::string anomaly_webhook_url;  // Slack-compatible incoming webhook; empty: none
    int anomaly_webhook_timeout_seconds = 5;
    // anomaly.remediation: the default of every resource without its own (docs/ANOMALY.md "Remediation"); off
    std::string remediation_mode = "off";
    std::string remediation_actions = "hold_scale_in";  // comma-separated
    double remediation_floor_share = 0.25;
    int remediation_floor_seconds = 3600;
    int remediation_min_interval_seconds = 1800;
    std::string remediation_runbook_url;
    // prometheus: where resources with a load_query are read (empty: none)
    std::string prometheus_url;
    int prometheus_step_seconds = 60;
    int prometheus_timeout_seconds = 10;
    // providers: name -> driver: simulated | kubernetes | aws | azure | gcp
    std::map<std::string, std::string> providers = {{"aws", "simulated"},
                                                    {"azure", "simulated"},
                                                    {"gcp", "simulated"},
                                                    {"kubernetes", "simulated"},
                                                    {"simulated", "simulated"}};
    // Driver settings by provider name (app/cloud_adapters.hpp lists what each driver takes).
    std::map<std::string, std::map<std::string, std::string>> provider_settings;
    // security (docs/SECURITY.md)
    std::string master_key;                 // the key text; prefer CLOUDOPT_SECURITY_MASTER_KEY or a file
    std::string master_key_file;            // empty: <data_dir>/master.key, created on first start
    std::string previous_master_key_files;  // comma-separated: old keys that still open credentials (rotation)
    std::string jwt_key_file;               // empty: <data_dir>/jwt.key, created on first start
    std::string previous_jwt_key_files;     // comma-separated: old signing keys still accepted until tokens expire
    int access_token_minutes = 15;
    int refresh_token_days = 7;
    double rate_limit_per_address = 200;  // requests per second per client address (burst 2x); 0: off
    double rate_limit_per_caller = 100;   // per user or API token; 0: off
    bool protect_metrics = false;         // /metrics needs a read token
    std::string cors_origin;              // the one browser origin allowed cross-origin (dashboard dev server)
    // tls
    std::string tls_cert_file;
    std::string tls_key_file;
    int tls_redirect_http_port = -1;  // with TLS: redirect plain HTTP on this port to https; -1: off
    bool tls_hsts = true;
    // keda: the KEDA external scaler (docs/KEDA.md), a gRPC port of its own; -1: off
    int keda_port = -1;
    std::string keda_bind_address;  // empty: server.bind_address
    std::string keda_tls_cert_file;
    std::string keda_tls_key_file;
    std::string keda_tls_client_ca_file;  // clients (KEDA) must present a certificate this CA signed
    std::string keda_token;               // prefer CLOUDOPT_KEDA_TOKEN to writing it in the file
    bool keda_allow_plaintext = false;
    int keda_max_plan_age_seconds = 0;  // a plan older than this is stale; 0: 3 x loop.tick_seconds
    // log
    std::string log_level = "info";
};

// Reads the YAML file (if path is non-empty) and the environment over the defaults. Errors name the key and the
// problem: "config: server.port: must be an integer between 0 and 65535 (got 'abc')".
Result<Config> LoadConfig(const std::string& path, const std::map<std::string, std::string>& environment);

// Checks cross-key rules after flags were applied.
Status ValidateConfig(const Config& config);

// Sets one key by its path ("loop.quantile") from text, checked as the YAML file's and the environment's values are
// (app/adopted_settings.hpp sets what a sweep adopted this way).
Status SetConfigKey(Config& config, const std::string& path, const std::string& value);

// ingest.metric_ranges ("cpu_cores=0:1e6,queue_depth=0:1e9") as metric -> (min, max).
Result<std::map<std::string, std::pair<double, double>>> ParseMetricRanges(const std::string& text);
// The anomaly.remediation keys as the defaults of every resource; kInvalidArgument naming the key that is wrong.
Result<RemediationSettings> RemediationDefaultsFrom(const Config& config);

// The environment as a map (for LoadConfig); tests pass their own.
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace cloudopt
