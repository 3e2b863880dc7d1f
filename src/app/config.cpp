#include "app/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "app/cloud_adapters.hpp"
#include "core/text.hpp"
#include "forecast/lstm_options.hpp"
#include "store/postgres/postgres_store.hpp"

extern char** environ;

namespace cloudopt {

namespace {

struct Key {
    std::string path;  // "server.port"
    std::function<Status(Config&, const std::string&)> set;
};

Error Bad(const std::string& key, const std::string& problem) {
    return MakeError(ErrorCode::kInvalidArgument, "config: " + key + ": " + problem);
}

Key Int(std::string path, int Config::*field, long long min, long long max) {
    return {path, [path, field, min, max](Config& c, const std::string& text) -> Status {
                auto v = ParseInt(text);
                if (!v || *v < min || *v > max)
                    return Bad(path, "must be an integer between " + std::to_string(min) + " and " +
                                         std::to_string(max) + " (got '" + text + "')");
                c.*field = static_cast<int>(*v);
                return Status::Ok();
            }};
}

Key Long(std::string path, long long Config::*field, long long min, long long max) {
    return {path, [path, field, min, max](Config& c, const std::string& text) -> Status {
                auto v = ParseInt(text);
                if (!v || *v < min || *v > max)
                    return Bad(path, "must be an integer between " + std::to_string(min) + " and " +
                                         std::to_string(max) + " (got '" + text + "')");
                c.*field = *v;
                return Status::Ok();
            }};
}

Key Double(std::string path, double Config::*field, double min, double max) {
    return {path, [path, field, min, max](Config& c, const std::string& text) -> Status {
                auto v = ParseDouble(text);
                if (!v || *v < min || *v > max)
                    return Bad(path, "must be a number between " + std::to_string(min) + " and " + std::to_string(max) +
                                         " (got '" + text + "')");
                c.*field = *v;
                return Status::Ok();
            }};
}

Key Text(std::string path, std::string Config::*field, std::vector<std::string> allowed = {}) {
    return {path, [path, field, allowed](Config& c, const std::string& text) -> Status {
                if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
                    std::string list;
                    for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
                    return Bad(path, "must be one of " + list + " (got '" + text + "')");
                }
                c.*field = text;
                return Status::Ok();
            }};
}

Key Bool(std::string path, bool Config::*field) {
    return {path, [path, field](Config& c, const std::string& text) -> Status {
                std::string t = text;
                std::transform(t.begin(), t.end(), t.begin(), [](unsigned char ch) { return std::tolower(ch); });
                if (t == "true" || t == "1" || t == "yes" || t == "on")
                    c.*field = true;
                else if (t == "false" || t == "0" || t == "no" || t == "off")
                    c.*field = false;
                else
                    return Bad(path, "must be true or false (got '" + text + "')");
                return Status::Ok();
            }};
}

const std::vector<Key>& Keys() {
    static const std::vector<Key> kKeys = {
        Text("server.bind_address", &Config::bind_address),
        Int("server.port", &Config::port, 0, 65535),
        Int("server.threads", &Config::threads, 0, 256),
        Long("server.max_body_bytes", &Config::max_body_bytes, 1024, 1LL << 30),
        Int("server.request_timeout_seconds", &Config::request_timeout_seconds, 1, 3600),
        Int("server.query_cache_mb", &Config::query_cache_mb, 0, 65536),
        Long("server.max_connections", &Config::max_connections, 0, 1000000),
        Int("server.max_connections_per_address", &Config::max_connections_per_address, 1, 1000000),
        Long("server.max_anonymous_body_bytes", &Config::max_anonymous_body_bytes, 1024, 1LL << 30),
        Int("server.max_buffered_body_mb", &Config::max_buffered_body_mb, 1, 1 << 20),
        Int("server.max_buffered_body_mb_per_address", &Config::max_buffered_body_mb_per_address, 1, 1 << 20),
        Int("server.max_event_streams_per_user", &Config::max_event_streams_per_user, 1, 10000),
        Int("ingest.max_future_skew_seconds", &Config::ingest_max_future_skew_seconds, 0, 86400),
        Double("ingest.min_value", &Config::ingest_min_value, -1e300, 1e300),
        Double("ingest.max_value", &Config::ingest_max_value, -1e300, 1e300),
        Text("ingest.metric_ranges", &Config::ingest_metric_ranges),
        Int("ingest.max_series_per_resource", &Config::ingest_max_series_per_resource, 1, 1000000),
        Long("ingest.max_series_total", &Config::ingest_max_series_total, 1, 100000000),
        Int("audit.retention_days", &Config::audit_retention_days, 1, 36500),
        Long("audit.max_rows", &Config::audit_max_rows, 1000, 1000000000),
        Int("simulations.max_queued", &Config::max_queued_simulations, 1, 1000),
        Text("storage.data_dir", &Config::data_dir),
        Text("storage.durability", &Config::durability, {"process", "power"}),
        Int("storage.sample_retention_days", &Config::sample_retention_days, 0, 36500),
        Text("store.driver", &Config::store_driver, {"sqlite", "postgres"}),
        Text("store.url", &Config::store_url),
        Text("store.password", &Config::store_password),
        Int("store.max_connections", &Config::store_max_connections, 1, 1000),
        Bool("cluster.enabled", &Config::cluster_enabled),
        Int("cluster.lease_seconds", &Config::cluster_lease_seconds, 2, 3600),
        Int("loop.tick_seconds", &Config::tick_seconds, 1, 86400),
        Int("loop.forecast_step_seconds", &Config::forecast_step_seconds, 10, 86400),
        Int("loop.horizon_steps", &Config::horizon_steps, 1, 2016),
        Int("loop.history_days", &Config::history_days, 1, 90),
        Int("loop.stabilization_seconds", &Config::stabilization_seconds, 0, 86400),
        Int("loop.flap_window_seconds", &Config::flap_window_seconds, 0, 86400),
        Double("loop.scale_in_hysteresis", &Config::scale_in_hysteresis, 0.0, 0.3),
        Int("loop.flap_backoff_max", &Config::flap_backoff_max, 1, 64),
        Int("loop.scale_in_lookahead_seconds", &Config::scale_in_lookahead_seconds, 0, 86400),
        Int("loop.flap_budget_per_day", &Config::flap_budget_per_day, 0, 1000),
        // Shorter than the 30-minute flap span, a spent budget could not stop a scale-out being undone inside it.
        Int("loop.flap_hold_seconds", &Config::flap_hold_seconds, 1800, 86400),
        Double("loop.min_scale_in_share", &Config::min_scale_in_share, 0.0, 0.5),
        Double("loop.scale_out_tolerance", &Config::scale_out_tolerance, 0.0, 0.19),
        // Its name before it held the forecast's scale-out too (session 27): a config that sets it keeps working.
        Double("loop.reactive_tolerance", &Config::scale_out_tolerance, 0.0, 0.19),
        // p99.9 is extrapolated from the band's tail (core/forecast.hpp QuantileLevel::kP999; docs/COSTS.md).
        Text("loop.quantile", &Config::quantile, {"p50", "p90", "p95", "p99", "p99.9"}),
        Int("loop.train_epochs", &Config::train_epochs, 0, 1000),
        Int("loop.lstm_hidden", &Config::lstm_hidden, 1, kMaxLstmHidden),
        Int("loop.lstm_layers", &Config::lstm_layers, 1, 2),
        Int("loop.lstm_window", &Config::lstm_window, 2, kMaxLstmWindow),
        Text("loop.lstm_scale", &Config::lstm_scale, {"linear", "log"}),
        Int("loop.retrain_hours", &Config::retrain_hours, 0, 24 * 365),
        Int("loop.band_tracking_hours", &Config::band_tracking_hours, 0, 24 * 90),
        Bool("loop.phase_bands", &Config::phase_bands),
        Bool("loop.reweigh", &Config::reweigh),
        Double("loop.drift_error_ratio", &Config::drift_error_ratio, 0.0, 100.0),
        Int("loop.drift_min_hours", &Config::drift_min_hours, 1, 24 * 90),
        Double("loop.unmet_budget", &Config::unmet_budget, 0.0, 0.5),
        Double("loop.service_correction_rate", &Config::service_correction_rate, 0.0, 10.0),
        Int("loop.max_actions_per_resource_per_hour", &Config::max_actions_per_resource_per_hour, 0, 3600),
        Int("loop.max_actions_per_minute", &Config::max_actions_per_minute, 0, 100000),
        Int("loop.max_retry_backoff_seconds", &Config::max_retry_backoff_seconds, 1, 86400),
        Int("loop.recommendation_max_age_minutes", &Config::recommendation_max_age_minutes, 1, 7 * 24 * 60),
        Int("loop.parallel_resources", &Config::parallel_resources, 0, 256),
        Bool("demo.enabled", &Config::demo),
        Double("demo.speed", &Config::speed, 0.1, 10000),
        Text("demo.data_dir", &Config::demo_data_dir),
        Text("catalog.file", &Config::catalog_file),
        Bool("anomaly.enabled", &Config::anomaly_enabled),
        Double("anomaly.threshold", &Config::anomaly_threshold, 0.0001, 0.9999),
        Int("anomaly.close_after_points", &Config::anomaly_close_after_points, 1, 1000),
        Text("anomaly.webhook_url", &Config::anomaly_webhook_url),
        Int("anomaly.webhook_timeout_seconds", &Config::anomaly_webhook_timeout_seconds, 1, 60),
        Text("anomaly.remediation.mode", &Config::remediation_mode, {"off", "recommend", "auto"}),
        Text("anomaly.remediation.actions", &Config::remediation_actions),
        Double("anomaly.remediation.floor_share", &Config::remediation_floor_share, 0.01, 4),
        Int("anomaly.remediation.floor_seconds", &Config::remediation_floor_seconds, 60, 7 * 86400),
        Int("anomaly.remediation.min_interval_seconds", &Config::remediation_min_interval_seconds, 0, 7 * 86400),
        Text("anomaly.remediation.runbook_url", &Config::remediation_runbook_url),
        Text("prometheus.url", &Config::prometheus_url),
        Int("prometheus.step_seconds", &Config::prometheus_step_seconds, 1, 3600),
        Int("prometheus.timeout_seconds", &Config::prometheus_timeout_seconds, 1, 300),
        Text("dashboard.dir", &Config::dashboard_dir),
        Text("security.master_key", &Config::master_key),
        Text("security.master_key_file", &Config::master_key_file),
        Text("security.previous_master_key_files", &Config::previous_master_key_files),
        Text("security.jwt_key_file", &Config::jwt_key_file),
        Text("security.previous_jwt_key_files", &Config::previous_jwt_key_files),
        Int("security.access_token_minutes", &Config::access_token_minutes, 1, 24 * 60),
        Int("security.refresh_token_days", &Config::refresh_token_days, 1, 365),
        Double("security.rate_limit_per_address", &Config::rate_limit_per_address, 0, 1e6),
        Double("security.rate_limit_per_caller", &Config::rate_limit_per_caller, 0, 1e6),
        Bool("security.protect_metrics", &Config::protect_metrics),
        Text("security.cors_origin", &Config::cors_origin),
        Text("tls.cert_file", &Config::tls_cert_file),
        Text("tls.key_file", &Config::tls_key_file),
        Int("tls.redirect_http_port", &Config::tls_redirect_http_port, -1, 65535),
        Bool("tls.hsts", &Config::tls_hsts),
        Int("keda.port", &Config::keda_port, -1, 65535),
        Text("keda.bind_address", &Config::keda_bind_address),
        Text("keda.tls_cert_file", &Config::keda_tls_cert_file),
        Text("keda.tls_key_file", &Config::keda_tls_key_file),
        Text("keda.tls_client_ca_file", &Config::keda_tls_client_ca_file),
        Text("keda.token", &Config::keda_token),
        Bool("keda.allow_plaintext", &Config::keda_allow_plaintext),
        Int("keda.max_plan_age_seconds", &Config::keda_max_plan_age_seconds, 0, 86400),
        Text("log.level", &Config::log_level, {"trace", "debug", "info", "warn", "error", "off"}),
    };
    return kKeys;
}

// "server.port" -> "CLOUDOPT_SERVER_PORT"
std::string EnvName(const std::string& path) {
    std::string out = "CLOUDOPT_";
    for (char c : path) out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

const Key* FindKey(const std::string& path) {
    for (const Key& k : Keys()) {
        if (k.path == path) return &k;
    }
    return nullptr;
}

Status SetProvider(Config& c, const std::string& name, const YAML::Node& spec) {
    const std::string driver = spec["driver"].as<std::string>();
    static const std::set<std::string> kDrivers = {
        "simulated", "kubernetes", "aws",           "azure",           "gcp",
        "host",      "aws_lambda", "gcp_cloud_run", "azure_functions", "keda"};
    if (!kDrivers.count(driver))
        return Bad("providers." + name + ".driver",
                   "must be simulated, kubernetes, aws, azure, gcp, host, aws_lambda, gcp_cloud_run, azure_functions "
                   "or keda "
                   "(got '" +
                       driver + "')");
    std::set<std::string> allowed = DriverSettings(driver);
    allowed.insert("driver");
    std::map<std::string, std::string> settings;
    for (const auto& field : spec) {
        const std::string key = field.first.as<std::string>();
        if (!allowed.count(key)) {
            std::string known;
            for (const std::string& k : allowed) known += (known.empty() ? "" : ", ") + k;
            return Bad("providers." + name + "." + key, "unknown key for driver '" + driver + "'; it takes " + known);
        }
        if (!field.second.IsScalar()) return Bad("providers." + name + "." + key, "must be a string");
        if (key == "metrics" && field.second.as<std::string>() != "cloud" && field.second.as<std::string>() != "none")
            return Bad("providers." + name + ".metrics",
                       "must be cloud (pull from the cloud's monitor) or none (push)");
        if (key != "driver") settings[key] = field.second.as<std::string>();
    }
    c.providers[name] = driver;
    c.provider_settings[name] = std::move(settings);
    return Status::Ok();
}

Status ApplyYaml(Config& config, const YAML::Node& node, const std::string& prefix) {
    if (!node.IsMap()) return Bad(prefix.empty() ? "(top level)" : prefix, "must be a mapping of keys");
    for (const auto& item : node) {
        const std::string name = item.first.as<std::string>();
        const std::string path = prefix.empty() ? name : prefix + "." + name;
        const YAML::Node& value = item.second;
        if (path == "providers") {
            if (!value.IsMap()) return Bad(path, "must map provider names to {driver: ...}");
            for (const auto& provider : value) {
                const std::string pname = provider.first.as<std::string>();
                const YAML::Node& spec = provider.second;
                if (!spec.IsMap() || !spec["driver"] || !spec["driver"].IsScalar())
                    return Bad("providers." + pname, "must be a mapping with a 'driver' key");
                if (Status s = SetProvider(config, pname, spec); !s) return s;
            }
            continue;
        }
        if (value.IsMap()) {
            // Both names of one setting would silently overwrite each other (whichever comes last wins).
            if (path == "loop" && value["reactive_tolerance"] && value["scale_out_tolerance"])
                return Bad("loop.reactive_tolerance",
                           "is the older name of loop.scale_out_tolerance: set only loop.scale_out_tolerance");
            if (Status s = ApplyYaml(config, value, path); !s) return s;
            continue;
        }
        const Key* key = FindKey(path);
        if (!key) {
            std::string known;
            for (const Key& k : Keys()) {
                if (k.path.rfind(prefix.empty() ? name : prefix + ".", 0) == 0)
                    known += (known.empty() ? "" : ", ") + k.path;
            }
            return Bad(path, "unknown key" + (known.empty() ? std::string() : "; known keys here: " + known));
        }
        if (!value.IsScalar()) return Bad(path, "must be a single value");
        if (Status s = key->set(config, value.Scalar()); !s) return s;
    }
    return Status::Ok();
}

}  // namespace

std::map<std::string, std::string> ProcessEnvironment() {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string entry(*e);
        const std::size_t eq = entry.find('=');
        if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    return env;
}

Result<Config> LoadConfig(const std::string& path, const std::map<std::string, std::string>& environment) {
    Config config;
    if (!path.empty()) {
        YAML::Node root;
        try {
            root = YAML::LoadFile(path);
        } catch (const YAML::BadFile&) {
            return MakeError(ErrorCode::kInvalidArgument, "config: cannot read '" + path + "'");
        } catch (const YAML::Exception& e) {
            return MakeError(ErrorCode::kInvalidArgument, "config: '" + path + "' is not valid YAML: " + e.what());
        }
        if (!root.IsNull()) {
            try {
                if (Status s = ApplyYaml(config, root, ""); !s) return s.error();
            } catch (const YAML::Exception& e) {
                return MakeError(ErrorCode::kInvalidArgument, std::string("config: ") + e.what());
            }
        }
    }
    for (const Key& key : Keys()) {
        auto it = environment.find(EnvName(key.path));
        if (it == environment.end()) continue;
        if (Status s = key.set(config, it->second); !s)
            return MakeError(ErrorCode::kInvalidArgument, s.error().message + " (from " + it->first + ")");
    }
    return config;
}

Status SetConfigKey(Config& config, const std::string& path, const std::string& value) {
    const Key* key = FindKey(path);
    if (!key) return Bad(path, "unknown key");
    return key->set(config, value);
}

Status ValidateConfig(const Config& c) {
    // Daily seasonality needs a whole number of steps per day.
    if (86400 % c.forecast_step_seconds != 0)
        return Bad("loop.forecast_step_seconds", "must divide a day evenly (e.g. 60, 300, 900, 3600)");
    if (c.data_dir.empty()) return Bad("storage.data_dir", "must not be empty");
    if (c.store_driver == "postgres") {
        if (c.store_url.empty())
            return Bad("store.url",
                       "must be set with store.driver postgres: postgres://USER@HOST:PORT/DATABASE (the "
                       "password in CLOUDOPT_STORE_PASSWORD), or pass --store URL");
        if (c.store_url.rfind("postgres://", 0) != 0 && c.store_url.rfind("postgresql://", 0) != 0)
            return Bad("store.url",
                       "must start with postgres:// or postgresql:// (got '" + RedactStoreUrl(c.store_url) + "')");
    } else if (!c.store_url.empty()) {
        return Bad("store.url",
                   "is only read with store.driver postgres: set store.driver: postgres "
                   "(CLOUDOPT_STORE_DRIVER=postgres, or pass --store URL), or remove store.url");
    }
    // A model's live accuracy is measured over the band tracking window (a day when tracking is off).
    const int live_hours = c.band_tracking_hours > 0 ? c.band_tracking_hours : 24;
    if (c.drift_error_ratio > 0 && c.drift_min_hours > live_hours)
        return Bad("loop.drift_min_hours", "must be at most the window a model's live accuracy is measured over, " +
                                               std::to_string(live_hours) + " h here (loop.band_tracking_hours)");
    // The scale-in lookahead reads the forecast: it cannot look further than the forecast reaches.
    if (static_cast<long long>(c.scale_in_lookahead_seconds) >
        static_cast<long long>(c.horizon_steps) * c.forecast_step_seconds)
        return Bad("loop.scale_in_lookahead_seconds",
                   "must be at most the forecast's reach, loop.horizon_steps x loop.forecast_step_seconds (" +
                       std::to_string(static_cast<long long>(c.horizon_steps) * c.forecast_step_seconds) + " s here)");
    if (c.tls_cert_file.empty() != c.tls_key_file.empty())
        return Bad(c.tls_cert_file.empty() ? "tls.cert_file" : "tls.key_file",
                   "set both tls.cert_file and tls.key_file, or neither");
    if (c.tls_redirect_http_port >= 0 && c.tls_cert_file.empty())
        return Bad("tls.redirect_http_port", "redirects to https need TLS (tls.cert_file and tls.key_file)");
    if (!c.cors_origin.empty() && c.cors_origin.rfind("http://", 0) != 0 && c.cors_origin.rfind("https://", 0) != 0)
        return Bad("security.cors_origin", "must be an origin such as https://dashboard.example.com");
    // A body that can never fit the buffer budget would be told to retry for ever.
    if (c.max_body_bytes > static_cast<long long>(c.max_buffered_body_mb_per_address) << 20)
        return Bad("server.max_body_bytes", "must be at most server.max_buffered_body_mb_per_address (" +
                                                std::to_string(c.max_buffered_body_mb_per_address) + " MiB)");
    if (c.max_buffered_body_mb_per_address > c.max_buffered_body_mb)
        return Bad("server.max_buffered_body_mb_per_address", "must be at most server.max_buffered_body_mb");
    if (c.ingest_min_value >= c.ingest_max_value) return Bad("ingest.min_value", "must be below ingest.max_value");
    if (auto ranges = ParseMetricRanges(c.ingest_metric_ranges); !ranges) return ranges.error();
    if (auto remediation = RemediationDefaultsFrom(c); !remediation) return remediation.error();
    return Status::Ok();
}

Result<RemediationSettings> RemediationDefaultsFrom(const Config& c) {
    RemediationSettings r;
    r.mode = ParseRemediationMode(c.remediation_mode).value_or(RemediationMode::kOff);
    r.actions.clear();
    for (std::string_view item : Split(c.remediation_actions, ','))
        if (!Trim(item).empty()) r.actions.emplace_back(Trim(item));
    r.floor_share = c.remediation_floor_share;
    r.floor_seconds = c.remediation_floor_seconds;
    r.min_interval_seconds = c.remediation_min_interval_seconds;
    r.runbook_url = c.remediation_runbook_url;
    AnomalySettings check;
    check.remediation = r;
    if (Status s = ValidateAnomalySettings(check); !s)  // its message names the field after "remediation."
        return Bad("anomaly." + s.error().message.substr(0, s.error().message.find(':')),
                   s.error().message.substr(s.error().message.find(':') + 2));
    return r;
}

Result<std::map<std::string, std::pair<double, double>>> ParseMetricRanges(const std::string& text) {
    std::map<std::string, std::pair<double, double>> out;
    for (std::string_view item : Split(text, ',')) {
        item = Trim(item);
        if (item.empty()) continue;
        const std::size_t eq = item.find('=');
        const std::size_t colon = item.find(':', eq == std::string_view::npos ? 0 : eq);
        std::optional<double> low, high;
        if (eq != std::string_view::npos && colon != std::string_view::npos) {
            low = ParseDouble(Trim(item.substr(eq + 1, colon - eq - 1)));
            high = ParseDouble(Trim(item.substr(colon + 1)));
        }
        if (!low || !high || *low >= *high || eq == 0)
            return Bad("ingest.metric_ranges",
                       "each item is metric=min:max with min < max, comma-separated (got '" + std::string(item) + "')");
        out[std::string(Trim(item.substr(0, eq)))] = {*low, *high};
    }
    return out;
}

}  // namespace cloudopt
