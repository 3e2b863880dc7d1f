#include "app/serve.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>

#include "allocate/capacity_planner.hpp"
#include "api/routes.hpp"
#include "api/server.hpp"
#include "api/training_work.hpp"
#include "app/adopted_settings.hpp"
#include "app/alert_webhook.hpp"
#include "app/budget_watch.hpp"
#include "app/cloud_adapters.hpp"
#include "app/cluster_setup.hpp"
#include "app/data_dir.hpp"
#include "app/demo.hpp"
#include "app/files.hpp"
#include "app/loop_settings.hpp"
#include "app/security_setup.hpp"
#include "app/simulated_fleet.hpp"
#include "control/control_loop.hpp"
#include "control/job_runner.hpp"
#include "control/remediation.hpp"
#include "forecast/auto_forecaster.hpp"
#include "keda/keda_provider.hpp"
#include "keda/scaler_server.hpp"
#include "monitor/prometheus_source.hpp"
#include "simulate/simulated_cloud.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/store.hpp"

#ifndef CLOUDOPT_SOURCE_DATA_DIR
#define CLOUDOPT_SOURCE_DATA_DIR "data"
#endif
#ifndef CLOUDOPT_VERSION
#define CLOUDOPT_VERSION "0.0.0"
#endif

namespace cloudopt {

namespace {

namespace fs = std::filesystem;

// Forwards to a clock chosen after start-up (the demo clock depends on what the store holds).
class ClockHandle final : public Clock {
  public:
    explicit ClockHandle(const Clock& initial) : target_(&initial) {}
    void Point(const Clock& target) { target_ = &target; }
    UnixSeconds Now() const override { return target_->Now(); }

  private:
    const Clock* target_;
};

// Drops samples older than storage.sample_retention_days, at start and then hourly, until the service stops.
std::jthread StartSampleRetention(Store& store, const Clock& clock, int days) {
    if (days <= 0) return {};
    return std::jthread([&store, &clock, days](std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any wake;
        while (!stop.stop_requested()) {
            auto pruned = store.PruneSamples(clock.Now() - static_cast<UnixSeconds>(days) * 86400);
            if (!pruned)
                spdlog::warn("sample retention: {}", pruned.error().message);
            else if (*pruned > 0)
                spdlog::info("sample retention: dropped {} unit(s) of samples older than {} days", *pruned, days);
            std::unique_lock lock(mutex);
            wake.wait_for(lock, stop, std::chrono::hours(1), [] { return false; });
        }
    });
}

std::string JoinNames(const std::set<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

Result<Catalog> LoadCatalog(const std::string& path) {
    auto text = ReadWholeFile(path, "catalog file (catalog.file)");
    if (!text) return text.error();
    auto catalog = ParseCatalogCsv(*text);
    if (!catalog) return MakeError(ErrorCode::kInvalidArgument, path + ": " + catalog.error().message);
    return catalog;
}

}  // namespace

std::string BundledDataPath(const std::string& relative) {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    std::vector<fs::path> candidates;
    if (!ec) {
        candidates.push_back(exe.parent_path() / "../../data" / relative);         // build/<preset>/cloudopt
        candidates.push_back(exe.parent_path() / "../share/cloudopt" / relative);  // installed
    }
    candidates.push_back(fs::path(CLOUDOPT_SOURCE_DATA_DIR) / relative);
    candidates.push_back(fs::path("data") / relative);
    for (const fs::path& p : candidates) {
        if (fs::exists(p, ec)) return fs::weakly_canonical(p, ec).string();
    }
    return (fs::path("data") / relative).string();
}

std::string BundledDashboardPath() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    std::vector<fs::path> candidates;
    if (!ec) {
        candidates.push_back(exe.parent_path() / "../../dashboard/dist");         // build/<preset>/cloudopt
        candidates.push_back(exe.parent_path() / "../share/cloudopt/dashboard");  // installed
    }
    candidates.push_back(fs::path(CLOUDOPT_SOURCE_DATA_DIR) / "../dashboard/dist");
    for (const fs::path& p : candidates) {
        if (fs::exists(p / "index.html", ec)) return fs::weakly_canonical(p, ec).string();
    }
    return "";
}

int RunServe(const Config& config, const ServeOptions& serve_options) {
    // Before any file is created: the data directory 0700, the database, its -wal and -shm, and the keys 0600.
    UseOwnerOnlyFileModes();
    // Block the shutdown signals before any thread starts, so only sigwait below receives them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    spdlog::set_level(spdlog::level::from_str(config.log_level));
    const std::string catalog_path =
        config.catalog_file.empty() ? BundledDataPath("catalog/instances.csv") : config.catalog_file;
    auto catalog = LoadCatalog(catalog_path);
    if (!catalog) {
        spdlog::error("{}", catalog.error().message);
        return 1;
    }

    std::error_code ec;
    SystemClock system_clock;
    ClockHandle clock(system_clock);
    DataDirOptions dir_options;
    dir_options.data_dir = config.data_dir;
    dir_options.command = "serve";
    dir_options.durability = config.durability == "power" ? Durability::kPowerLoss : Durability::kProcessCrash;
    dir_options.integrity_check = true;
    dir_options.accept_damaged_store = serve_options.accept_damaged_store;
    UseConfiguredStore(config, dir_options);
    auto owned = OpenDataDir(dir_options, clock);
    if (!owned) {
        spdlog::error("{}", owned.error().message);
        return 1;
    }
    // The store lives as long as the process serves; the lock in `owned` until after it closes.
    std::unique_ptr<Store>* store = &owned->store;
    for (const std::string& warning : LoosePermissionWarnings(config.data_dir)) {
        // The -wal and -shm files exist now; SQLite gives them the database's mode.
        if (warning.find("-wal") != std::string::npos || warning.find("-shm") != std::string::npos)
            spdlog::warn("{}", warning);
    }

    // The demo replays time faster than real time, continuing where a previous demo run stopped.
    std::optional<ScaledClock> demo_clock;
    if (config.demo) {
        const UnixSeconds origin =
            std::max(system_clock.Now(), LatestDemoTime(**store, system_clock.Now(), config.speed) + 1);
        demo_clock.emplace(origin, config.speed);
        clock.Point(*demo_clock);
    }

    SimulatedCloud cloud(clock);
    cloud.SetGroupSource(FleetGroupSource(
        **store, *catalog, config.demo_data_dir.empty() ? BundledDataPath("demo") : config.demo_data_dir));
    if (config.demo) {
        const std::string demo_dir = config.demo_data_dir.empty() ? BundledDataPath("demo") : config.demo_data_dir;
        spdlog::info("demo: preparing resources and 7 days of history from {}", demo_dir);
        if (Status s = SetupDemo(**store, cloud, *catalog, demo_dir, clock.Now()); !s) {
            spdlog::error("demo setup failed: {}", s.error().message);
            return 1;
        }
    }

    // The master keyring opens stored cloud credentials, which the providers below may name.
    auto keyring = LoadKeyring(config);
    if (!keyring) {
        spdlog::error("{}", keyring.error().message);
        return 1;
    }
    Adapters adapters;
    std::vector<CloudAdapter> cloud_adapters;
    // Resources on a `keda` provider are planned by the loop and served to KEDA (docs/KEDA.md); after a restart
    // the count served resumes from the last one recorded, not from min_capacity.
    keda::PlanBoard keda_board;
    keda::KedaProvider keda_provider(keda_board, [&store](const Resource& r) -> std::optional<int> {
        auto last = (*store)->LatestSample({r.id, "desired_capacity"});
        if (!last || !*last) return std::nullopt;
        return static_cast<int>(std::lround((*last)->value));
    });
    std::set<std::string> keda_providers;
    for (const auto& [name, driver] : config.providers) {
        if (driver == "keda") {
            adapters.providers[name] = &keda_provider;  // push or load_query: KEDA's workloads report no load here
            keda_providers.insert(name);
            continue;
        }
        if (driver == "simulated") {
            adapters.providers[name] = &cloud;
            adapters.sources[name] = &cloud;
            continue;
        }
        auto adapter = MakeCloudAdapter(config, name, (*store)->Identity(), *keyring, ProcessEnvironment());
        if (!adapter) {
            spdlog::error("providers.{}: {}", name, adapter.error().message);
            return 1;
        }
        adapters.providers[name] = adapter->provider.get();
        if (adapter->source) adapters.sources[name] = adapter->source.get();
        cloud_adapters.push_back(std::move(*adapter));
    }

    std::unique_ptr<monitor::PrometheusSource> prometheus;
    if (!config.prometheus_url.empty()) {
        monitor::PrometheusOptions options;
        options.url = config.prometheus_url;
        options.step_seconds = config.prometheus_step_seconds;
        options.http.timeout = std::chrono::seconds(config.prometheus_timeout_seconds);
        prometheus = std::make_unique<monitor::PrometheusSource>(options);
        adapters.query_source = prometheus.get();
        spdlog::info("prometheus: resources with a load_query are read from {}", config.prometheus_url);
    }

    const ControlLoopOptions loop_options = LoopOptionsFrom(config);

    MetricsRegistry metrics;
    AutoForecaster forecaster;
    CapacityPlanner planner;
    // Anomaly alerts (docs/ANOMALY.md "In the service"): declared before the loop, which scores through them.
    AnomalyOptions anomaly_options;
    anomaly_options.enabled = config.anomaly_enabled;
    anomaly_options.threshold = config.anomaly_threshold;
    anomaly_options.close_after_points = config.anomaly_close_after_points;
    anomaly_options.step = loop_options.forecast_step;
    AnomalyMonitor anomaly(**store, metrics, anomaly_options);
    (void)anomaly.Load();
    std::unique_ptr<AlertWebhook> webhook;
    if (!config.anomaly_webhook_url.empty()) {
        webhook = std::make_unique<AlertWebhook>(
            AlertWebhookOptions{config.anomaly_webhook_url, config.anomaly_webhook_timeout_seconds}, metrics);
        anomaly.OnAlert([&webhook](AlertEvent event, const Alert& alert, const Resource& resource) {
            webhook->Enqueue(event, alert, resource);
        });
    }
    anomaly.OnAlert([](AlertEvent event, const Alert& alert, const Resource& resource) {
        spdlog::warn("alert {} {} on '{}': {}", alert.id, AlertEventName(event), resource.name, alert.message);
    });
    // Remediation of alerts (docs/ANOMALY.md "Remediation"), off unless configured or set per resource; declared
    // before the loop too. Retraining goes through the job queue, wired below once it exists; runbooks are queued.
    std::function<void(const Resource&, const std::string&)> retrain_now;
    AlertWebhook runbooks(AlertWebhookOptions{"", config.anomaly_webhook_timeout_seconds}, metrics);
    Remediator remediator(**store, metrics, *RemediationDefaultsFrom(config),
                          RemediationHooks{[&retrain_now](const Resource& r, const std::string& reason) {
                                               if (retrain_now) retrain_now(r, reason);
                                           },
                                           [&runbooks](const std::string& url, const char* event, const Resource& r,
                                                       const Remediation& step) {
                                               runbooks.EnqueueBody(url, RunbookPayload(event, r, step));
                                               return Status::Ok();
                                           }});
    ControlLoop loop(**store, clock, adapters, forecaster, planner, *catalog, metrics, loop_options);
    loop.SetAnomalyMonitor(&anomaly);
    loop.SetRemediator(&remediator);
    std::vector<std::string> model_problems;
    if (auto loaded = loop.LoadModels(model_problems); !loaded) {
        spdlog::error("loading trained models: {}", loaded.error().message);
        return 1;
    } else if (*loaded > 0) {
        spdlog::info("loaded {} trained model(s){} from the store", *loaded,
                     loop.has_fleet() ? " and the network shared across resources" : "");
    }
    for (const std::string& problem : model_problems)
        spdlog::warn("trained model skipped (retrain it with POST /api/predictions/train): {}", problem);
    // Security runs on real time even in the demo: token lifetimes and the audit log are not simulated.
    auto auth_options = MakeAuthOptions(config);
    if (!auth_options) {
        spdlog::error("{}", auth_options.error().message);
        return 1;
    }
    // Replicas on one PostgreSQL database share the work under leases; one with other keys refuses to start.
    SharedKeyIds shared_keys{keyring->current_key_id(), {}, security::Keyring::KeyId(auth_options->jwt_key), {}};
    for (const std::string& previous : auth_options->previous_jwt_keys)
        shared_keys.jwt_previous.push_back(security::Keyring::KeyId(previous));
    auto cluster =
        OpenCluster(config, dir_options.store_url, clock, metrics, shared_keys, [&loop] { return loop.passes(); });
    if (!cluster) {
        spdlog::error("{}", cluster.error().message);
        return 1;
    }
    if (cluster->leases) loop.SetOwnership(cluster->leases.get());
    ConnectApplies(*cluster, loop, clock);  // an apply on any replica is made by the resource's planner
    FollowAdoptions(*cluster, loop);        // every replica plans at the setting adopted on any of them
    if (cluster->events)  // this replica's sample writes reach the other replicas' caches (cluster/sample_changes.hpp)
        (*store)->OnSamplesChanged(
            [&cluster](const SeriesKey& key, UnixSeconds since) { cluster->events->SamplesChanged(key, since); });
    api::AuthService auth((*store)->Identity(), system_clock, std::move(*auth_options));
    if (Status s = EnsureFirstAdmin(auth, ProcessEnvironment()); !s) {
        spdlog::error("{}", s.error().message);
        return 1;
    }

    JobRunner jobs(clock);
    // GCC 12 at -O2 warns that the cleanup of this aggregate's maps, if a member's construction threw, could read an
    // uninitialized map header (a false positive: the members before it are constructed first).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
    api::ApiContext context{
        **store, loop, jobs, metrics, clock, CLOUDOPT_VERSION, auth, *keyring, MakeAccessOptions(config)};
#pragma GCC diagnostic pop
    context.providers = config.providers;
    // POST /api/settings/adopt (app/adopted_settings.hpp): with replicas, kept in the shared store for all of them.
    context.adoption = SettingsAdoptionFor(config, cluster->coordination.get(),
                                           cluster->leases ? cluster->leases->member() : std::string());
    if (cluster->events)  // and theirs reach this one's
        context.on_remote_samples_changed = [&cluster](SamplesChangedListener heard) {
            cluster->events->OnRemoteSamples(std::move(heard));
        };
    // Budgets (docs/COSTS.md "Budgets"): checked every minute against the spend forecast; their caps reach the
    // planner, their changes of state the alert webhook.
    BudgetCapBoard budget_caps;
    context.budget_monitor = std::make_shared<api::BudgetMonitor>(**store, loop, metrics, &budget_caps);
    loop.SetBudgetCaps(&budget_caps);
    std::function<void(std::string)> send_budget;
    if (webhook)
        send_budget = [&webhook, &config](std::string body) {
            webhook->EnqueueBody(config.anomaly_webhook_url, std::move(body));
        };
    BudgetWatch budget_watch(context.budget_monitor, clock, std::chrono::seconds(60), std::move(send_budget));
    context.query_cache_bytes = static_cast<std::size_t>(config.query_cache_mb) << 20;
    context.ingest.max_future_skew_s = config.ingest_max_future_skew_seconds;
    context.ingest.values = {config.ingest_min_value, config.ingest_max_value};
    if (auto ranges = ParseMetricRanges(config.ingest_metric_ranges); ranges.ok()) {  // checked by ValidateConfig
        for (const auto& [metric, range] : *ranges) context.ingest.metric_ranges[metric] = {range.first, range.second};
    }
    context.ingest.max_series_per_resource = static_cast<std::size_t>(config.ingest_max_series_per_resource);
    context.ingest.max_series_total = static_cast<std::size_t>(config.ingest_max_series_total);
    context.max_event_streams_per_user = static_cast<std::size_t>(config.max_event_streams_per_user);
    context.max_queued_simulations = static_cast<std::size_t>(config.max_queued_simulations);
    context.dashboard_dir = config.dashboard_dir.empty() ? BundledDashboardPath() : config.dashboard_dir;
    // The bundled demo traces are the datasets the dashboard's Simulation page offers.
    for (const auto& entry : fs::directory_iterator(BundledDataPath("demo"), ec)) {
        if (entry.path().extension() == ".csv")
            context.simulation_datasets[entry.path().stem().string()] = entry.path().string();
    }
    if (context.dashboard_dir.empty())
        spdlog::warn("no built dashboard found (npm ci && npm run build in dashboard/); / shows a landing page");
    api::Router router = api::BuildRouter(context);

    api::ServerOptions server_options;
    server_options.bind_address = config.bind_address;
    server_options.port = static_cast<unsigned short>(config.port);
    server_options.threads = config.threads;
    server_options.max_body_bytes = static_cast<std::size_t>(config.max_body_bytes);
    server_options.request_timeout = std::chrono::seconds(config.request_timeout_seconds);
    server_options.max_connections = static_cast<std::size_t>(config.max_connections);
    server_options.max_connections_per_address = static_cast<std::size_t>(config.max_connections_per_address);
    server_options.max_anonymous_body_bytes = static_cast<std::size_t>(config.max_anonymous_body_bytes);
    server_options.max_buffered_body_bytes = static_cast<std::size_t>(config.max_buffered_body_mb) << 20;
    server_options.max_buffered_body_bytes_per_address =
        static_cast<std::size_t>(config.max_buffered_body_mb_per_address) << 20;
    server_options.tls_cert_file = config.tls_cert_file;
    server_options.tls_key_file = config.tls_key_file;
    if (config.tls_redirect_http_port >= 0)
        server_options.http_redirect_port = static_cast<unsigned short>(config.tls_redirect_http_port);
    server_options.hsts = config.tls_hsts;
    server_options.cors_origin = config.cors_origin;
    // Scheduled training goes through the same job queue as POST /api/predictions/train, one job at a time. Wired
    // before the server accepts a request: a request may run a pass, and a pass reads it.
    loop.SetTrainingRequester(
        [&context](const Resource& r, const std::string& reason) {
            const auto submitted = api::SubmitTraining(context, r, reason);
            if (submitted.created) spdlog::info("training '{}' (job {}): {}", r.name, submitted.job.id, reason);
        },
        [&context](const std::string& reason) {
            const auto submitted = api::SubmitTraining(context, std::nullopt, reason);
            if (submitted.created) spdlog::info("training all resources (job {}): {}", submitted.job.id, reason);
        });
    retrain_now = [&context](const Resource& r, const std::string& reason) {
        const auto submitted = api::SubmitTraining(context, r, reason);
        if (submitted.created) spdlog::info("training '{}' (job {}): {}", r.name, submitted.job.id, reason);
    };
    api::HttpServer server(router, metrics, server_options);
    auto port = server.Start();
    if (!port) {
        spdlog::error("{}", port.error().message);
        return 1;
    }
    // The KEDA external scaler on its own port, reading the board the loop's passes fill.
    std::unique_ptr<keda::ScalerServer> keda_server;
    if (config.keda_port >= 0) {
        keda::ScalerServerOptions keda_options;
        keda_options.bind_address = config.keda_bind_address.empty() ? config.bind_address : config.keda_bind_address;
        keda_options.port = config.keda_port;
        keda_options.tls_cert_file = config.keda_tls_cert_file;
        keda_options.tls_key_file = config.keda_tls_key_file;
        keda_options.client_ca_file = config.keda_tls_client_ca_file;
        keda_options.token = config.keda_token;
        keda_options.allow_plaintext = config.keda_allow_plaintext;
        keda_options.providers = keda_providers;
        keda_options.max_plan_age_seconds =
            config.keda_max_plan_age_seconds > 0 ? config.keda_max_plan_age_seconds : 3 * config.tick_seconds;
        keda_server = std::make_unique<keda::ScalerServer>(
            keda_board, clock, [&store](const std::string& name) { return (*store)->FindResourceByName(name); },
            metrics, keda_options);
        auto keda_port = keda_server->Start();
        if (!keda_port) {
            spdlog::error("{}", keda_port.error().message);
            return 1;
        }
        spdlog::info(
            "keda: external scaler (gRPC{}) listening on {}:{} for provider(s) {}",
            config.keda_tls_cert_file.empty() ? ", plaintext" : " over TLS", keda_options.bind_address, *keda_port,
            keda_providers.empty() ? std::string("none (add one with driver: keda)") : JoinNames(keda_providers));
    } else if (!keda_providers.empty()) {
        spdlog::warn("providers with driver keda are planned, but keda.port is not set: KEDA cannot read the plans");
    }
    if (cluster->leases) {
        if (Status s = cluster->leases->Start(); !s) {
            spdlog::error("joining the replicas on the database: {}", s.error().message);
            return 1;
        }
        // Training jobs go through the shared queue: any replica runs them, one of a dead replica is taken over,
        // and the others reload the models it stored.
        jobs.ShareThrough(*cluster->coordination, cluster->leases->member(),
                          {{"train", api::TrainingFactory(loop, **store, jobs)}});
        jobs.OnSharedJobDone([&cluster](const JobInfo&) { (void)cluster->events->Announce("models"); });
        cluster->events->OnRemote([&loop](const std::string& kind) {
            if (kind != "models") return;
            std::vector<std::string> problems;
            if (auto loaded = loop.LoadModels(problems); !loaded)
                spdlog::warn("reloading the models another replica trained: {}", loaded.error().message);
        });
        cluster->events->Start();
        context.remote_events = [&cluster] { return cluster->events->remote_events(); };
        const auto joined = cluster->leases->snapshot();
        spdlog::info("replica {} plans {} of {} live replica(s)' resources under {} s leases", joined.member,
                     joined.held, joined.members.size(), config.cluster_lease_seconds);
    }
    loop.Start();
    budget_watch.Start();
    std::jthread retention = StartSampleRetention(**store, clock, config.sample_retention_days);
    const std::string url = std::string(config.tls_cert_file.empty() ? "http" : "https") + "://" + config.bind_address +
                            ":" + std::to_string(*port);
    if (server.redirect_port() != 0) spdlog::info("redirecting http on port {} to https", server.redirect_port());
    spdlog::info("cloudopt {} listening on {} (store: {})", CLOUDOPT_VERSION, url,
                 dir_options.store_url.empty() ? "SQLite in " + config.data_dir
                                               : "PostgreSQL at " + RedactStoreUrl(dir_options.store_url));
    if (config.demo) spdlog::info("demo: time runs {}x faster; log in with POST {}/api/auth/login", config.speed, url);
    std::fflush(stdout);

    int received = 0;
    sigwait(&signals, &received);
    spdlog::info("received signal {}, shutting down", received);
    retention = {};  // stops and joins it
    budget_watch.Stop();
    loop.Stop();
    cluster->Stop();  // leaves: the other replicas take this one's resources at their next round
    if (keda_server) keda_server->Stop();
    server.Stop();
    return 0;
}

}  // namespace cloudopt
