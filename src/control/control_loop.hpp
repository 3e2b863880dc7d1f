#pragma once
// The Monitor -> Predict -> Optimize -> Allocate loop. Each tick, for each resource: collect new metrics from
// its source and store them, forecast its load, plan the desired capacity, and act according to its mode
// (off: nothing; recommend: record a recommendation; auto: apply through the provider), recording every
// decision with its reason.
//
// Time comes from the injected Clock, so tests drive it by hand and the demo replays it faster than real time.
// Each provider's resources are planned on their own lane (thread), so a cloud that hangs delays only its own
// resources. Thread-safe: a resource is worked on by one pass, apply or delete at a time (its own lock), so an
// API-triggered pass never interleaves with a tick on the same resource.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "allocate/plan_history.hpp"
#include "allocate/scaling_engine.hpp"
#include "cluster/ownership.hpp"
#include "control/anomaly_monitor.hpp"
#include "control/lease_fence.hpp"
#include "control/model_health.hpp"
#include "control/recommendation_lifecycle.hpp"
#include "control/remediation.hpp"
#include "control/trained_models.hpp"
#include "core/action.hpp"
#include "core/budget.hpp"
#include "core/catalog.hpp"
#include "core/forecast.hpp"
#include "core/plan.hpp"
#include "core/provider.hpp"
#include "core/telemetry.hpp"
#include "forecast/load_forecaster.hpp"
#include "forecast/trained_model.hpp"
#include "store/store.hpp"

namespace cloudopt {

struct ControlLoopOptions {
    // The decision engine's settings (allocate/scaling_engine.hpp): tick, quantile, stabilization, flap guard,
    // service level, per-resource rate limit, retry backoff. `cloudopt simulate` and the dashboard's simulation run
    // the same engine with the same settings.
    EngineOptions engine;
    UnixSeconds forecast_step = 300;          // models see the load on this grid
    int horizon_steps = 12;                   // one hour at 5-minute steps
    UnixSeconds history_seconds = 8 * 86400;  // history given to the model (8 days: a week plus a day)
    UnixSeconds stale_after_seconds = 600;    // a load sample older than this is not "current"
    int train_epochs = 30;                    // LSTM epochs when a resource is trained (0: statistical only)
    LstmShapeSettings lstm_shape;             // of the resources' networks and the fleet's
    bool phase_bands = true;                  // bands by the phase of the hour or day where they fit better
    bool reweigh = true;  // auto's weights follow its models' errors since training (combination_weights.hpp)
    // Each resource's model is retrained when it is older than this (and trained first when it has none);
    // 0: only on request (POST /api/predictions/train).
    UnixSeconds retrain_seconds = 0;
    // A trained model's bands are tracked over its forecasts of this much recent history (band_tracker.hpp), so
    // they keep their coverage as the load drifts after training; 0: the bands as calibrated.
    UnixSeconds band_tracking_seconds = 86400;
    // A trained model whose forecasts since training are much worse than at training is retrained then, not on
    // its schedule (model_health.hpp). Its live accuracy is measured over the band tracking window, or the last
    // day when tracking is off. error_ratio 0 turns it off.
    DriftRule drift;
    // Over all resources (the per-resource limit is the engine's): a bad forecast cannot storm the cloud. Over it,
    // the change is recorded as skipped with the reason, and the next pass asks again. 0 turns it off.
    int max_actions_per_minute = 30;
    // An open recommendation older than this expires instead of being applied (loop.recommendation_max_age_minutes).
    UnixSeconds recommendation_max_age_seconds = 3600;
    // Resources of one lane planned at once (loop.parallel_resources; control/in_flight.hpp): a pass mostly waits on
    // the store's round trips and the cloud's API, so on PostgreSQL several in flight shorten it. Each resource is
    // still planned by one thread at a time under its own lock, in its own order. 1: one after another.
    int parallel_resources = 1;
};

// What training a resource produced.
struct TrainReport {
    std::string model;                 // e.g. "combination(naive=0.25,lstm=0.75)"
    std::vector<std::string> weighed;  // the candidates auto chose among
    std::string bands_by = "none";     // what its band offsets depend on: "minute of the hour", "hour of the day"
    double accuracy = 0.0;             // 1 - WAPE on the validation window, out of sample
    std::size_t points = 0;            // history steps it was trained on
    double seconds = 0.0;
};

// What training one network across resources produced.
struct FleetReport {
    std::size_t resources = 0;  // whose history it trained on
    double seconds = 0.0;
};

// What training a set of resources produced (ControlLoop::TrainFleetAndResources).
struct FleetAndResourcesReport {
    std::optional<Result<FleetReport>> fleet;  // set when two or more resources were given
    // In the order given. One resource's failure (no history yet, say) does not stop the others.
    std::vector<std::pair<Resource, Result<TrainReport>>> trained;
};

// Which adapter drives each provider name ("aws", "kubernetes", ...). Not owning.
struct Adapters {
    std::map<std::string, Provider*> providers;
    std::map<std::string, MetricSource*> sources;
    // Reads resources that name a PromQL load_query (Prometheus); null when none is configured.
    MetricSource* query_source = nullptr;
};

struct PassOutcome {
    ResourceId resource_id = 0;
    std::string resource_name;
    int current_capacity = 0;
    std::optional<PlanDecision> decision;
    std::optional<AllocationAction> action;        // recorded when the decision changes capacity
    std::optional<Recommendation> recommendation;  // recorded in recommend mode
    std::string error;                             // why this resource was skipped, if it was
    std::string forecast_error;  // why no forecast could be made (the pass then sized from the measured load alone)
};

class ControlLoop {
  public:
    ControlLoop(Store& store, const Clock& clock, Adapters adapters, const Forecaster& forecaster,
                const Planner& planner, const Catalog& catalog, MetricsRegistry& metrics, ControlLoopOptions options);
    ~ControlLoop();

    // Loads the trained models and the shared network the store keeps (call before Start); unreadable ones are
    // listed in `problems`. Returns how many models it loaded.
    Result<int> LoadModels(std::vector<std::string>& problems);
    // Trains `auto` (with the LSTM) on the resource's history, keeps the model in the store, and saves a new
    // forecast made with it. Slow (seconds to minutes): run it as a background job. `progress` gets 0..1.
    // `cancelled` is asked between model fits and before every batch of the network's training: when it turns true,
    // nothing is saved and kUnavailable is returned.
    Result<TrainReport> TrainResource(const Resource& resource, const std::function<void(double)>& progress = {},
                                      const std::function<bool()>& cancelled = {});
    // Trains one LSTM across the load histories of `resources` (lstm_fleet, docs/FORECASTING.md). From then on
    // TrainResource weighs it in `auto` beside the resource's own network: bursty resources of a fleet share shapes
    // that one resource's history is too short to teach. It trains on history that every later
    // calibration window starts after, so the bands stay out of sample. kUnprocessable when fewer than two
    // resources have history or the LSTM is off (train_epochs 0); kUnavailable when cancelled. The network is kept
    // in the store and loaded with the models (LoadModels). A failure keeps the network trained before, if any.
    Result<FleetReport> TrainFleet(const std::vector<Resource>& resources,
                                   const std::function<void(double)>& progress = {},
                                   const std::function<bool()>& cancelled = {});
    // Trains one network across `resources` (when two or more: TrainFleet), then each resource in turn
    // (TrainResource), which then weighs it. `progress` gets 0..1: the network is the first half. When `cancelled`
    // turns true, what is trained stays saved, the rest waits: kUnavailable, saying after how many resources.
    Result<FleetAndResourcesReport> TrainFleetAndResources(const std::vector<Resource>& resources,
                                                           const std::function<void(double)>& progress = {},
                                                           const std::function<bool()>& cancelled = {});
    bool has_fleet() const;
    // The resource's trained model as a model file (forecast/model_file.hpp), to keep, inspect with `cloudopt
    // forecast --model-file`, or move to another cloudopt. kNotFound when it has none yet.
    Result<StoredModel> ExportModel(const Resource& resource);
    // Installs a model file's model as the resource's trained model (model_transfer.cpp): one trained elsewhere
    // (`cloudopt train --out`, or another cloudopt's export) on the same grid. `series` picks one of several models;
    // empty: the file must hold one. The model must have the loop's step and at least its horizon. It is stored,
    // used from the next forecast on (one is made now if the resource has load), and scored since now like a model
    // trained here.
    Result<TrainReport> ImportModel(const Resource& resource, std::string_view bytes, const std::string& series = {});
    // Who runs scheduled training (a background job queue); without one, options.retrain_seconds and
    // options.drift have no effect. Called from the loop's training-schedule thread (and RunPass over all resources),
    // so they must only queue work; `reason` says why, for the job and the log. `all` trains every resource, the shared
    // network first (TrainFleet): with two resources or more it is asked for instead of `one` whenever some resource's
    // model is due and the shared network is missing or older than retrain_seconds. Without `all`, resources are
    // trained one by one. A model that drifted is retrained alone.
    using TrainOne = std::function<void(const Resource&, const std::string& reason)>;
    using TrainAll = std::function<void(const std::string& reason)>;
    void SetTrainingRequester(TrainOne one, TrainAll all = {});
    // Who scores the resources' series for anomalies (control/anomaly_monitor.hpp): each pass, right after its
    // metrics are collected, under the resource's lock. Not owning; set before Start, or never (no alerts).
    void SetAnomalyMonitor(AnomalyMonitor* monitor) { anomaly_ = monitor; }
    // The budget caps in force (core/budget.hpp), read each pass; the planner respects them (allocate/budget_cap.hpp).
    // Not owning; set before Start, or never (no caps).
    void SetBudgetCaps(const BudgetCapBoard* caps) { budget_caps_ = caps; }
    // Who remediates open alerts (control/remediation.hpp): each pass, after scoring, under the resource's lock; its
    // floor (scale-in held, a raised floor) bounds the plan. Not owning; set before Start, or never (no remediation).
    void SetRemediator(Remediator* remediator) { remediator_ = remediator; }
    // With replicas sharing the database (cluster/lease_manager.hpp): a pass plans only the resources whose lease
    // this replica holds, records each pass under the lease (fenced) and writes the epoch with every action. Not
    // owning; set before Start, or never (one process plans everything).
    void SetOwnership(cluster::Ownership* ownership) { ownership_ = ownership; }
    // How the resource's trained model has forecast since training, as of its latest forecast; nothing when it
    // has no trained model or was not forecast with it yet.
    std::optional<ModelHealth> Health(ResourceId id) const;
    // Why the resource's last forecast failed, or nothing when it succeeded (or none was tried yet). A pass without a
    // forecast sizes from the measured load alone: the dashboard shows this as an alert, /metrics as
    // cloudopt_forecast_failing.
    std::optional<std::string> ForecastProblem(ResourceId id) const;

    // One pass now, over every resource (each provider's on its own thread, joined before it returns) or just one
    // (kNotFound for an unknown id).
    Result<std::vector<PassOutcome>> RunPass(std::optional<ResourceId> only = std::nullopt);

    // Forecasts a resource's load from stored history (horizon defaults to the configured one) and saves it.
    // With reuse_fresh, a stored forecast made within the current forecast step is returned instead: its input
    // (complete steps only) has not changed since, so refitting would give the same answer.
    Result<Forecast> ForecastResource(const Resource& resource, std::optional<int> horizon_steps = std::nullopt,
                                      bool reuse_fresh = false);

    // Deletes the resource from the store and forgets everything the loop keeps about it (its trained model, plan
    // history, model health, retry backoff, rate-limit history, training requests), never while a pass works on it, so
    // nothing carries over to a resource created later (ids are never reused either). kNotFound for an unknown id.
    Status DeleteResource(ResourceId id);

    // Closes the resource's open recommendations, saying why (its mode changed away from recommend).
    Status CloseRecommendations(ResourceId id, const std::string& why);

    // Applies an open recommendation through the provider now, starting from the capacity the cloud reports and
    // within the resource's and the cloud group's limits. kConflict, and the recommendation leaves "open" saying
    // why, when it is no longer open, its resource is not in recommend mode, it grew too old, or the capacity
    // already matches.
    // With replicas (SetOwnership), the replica holding the resource's lease applies it under the lease; another
    // forwards it there (SetApplyForwarder; `may_forward` false: the holder's relay calling) or refuses it (409).
    Result<AllocationAction> ApplyRecommendation(std::int64_t recommendation_id, bool may_forward = true);
    // How an apply reaches the resource's lease holder (cluster/apply_relay.hpp). Set before Start, or never.
    void SetApplyForwarder(ApplyForwarder forward) { apply_forwarder_ = std::move(forward); }

    // Checks that the resource's provider knows the reference (used before saving a resource).
    Status CheckProviderReference(const Resource& resource);
    Result<CapacityState> Describe(const Resource& resource);
    Result<std::vector<OfferedInstanceType>> ListInstanceTypes(const Resource& resource);
    const Catalog& catalog() const { return catalog_; }
    double HourlyCost(const Resource& resource, int instances) const;

    // Runs passes every tick_seconds of the clock until Stop(): one thread per configured provider (and one for
    // resources whose provider is not configured), and one for the training schedule. passes() counts lane passes.
    // Stop() ends each lane's pass at the next resource (those in flight finish), so a stop at thousands of
    // resources does not wait for whole passes; a pass run by RunPass goes on to its end.
    void Start();
    void Stop();
    // Whether Stop() was called (and Start() not since).
    bool stopping() const { return stop_requested_.load(); }
    std::int64_t passes() const { return passes_.load(); }
    // The start's options. Their engine's quantile and unmet budget are those of the start: engine_options() has
    // the ones in force.
    const ControlLoopOptions& options() const { return options_; }
    // Adopts a sweep's risk setting while the loop runs (POST /api/settings/adopt): loop.quantile and
    // loop.unmet_budget. Each resource's engine takes them in place at its next pass (ScalingEngine::SetRisk), so the
    // stabilization window, the flap hold, the rate limit and a backoff it remembers still hold. Thread-safe;
    // persisting it is the caller's.
    void AdoptRisk(QuantileLevel quantile, double unmet_budget);
    // The engine settings in force: options().engine with what AdoptRisk set since. Thread-safe.
    EngineOptions engine_options() const;
    // How the loop forecasts (forecast/load_forecaster.hpp): its grid, band tracking and re-weighing.
    LoadForecastOptions ForecastOptions() const {
        return {options_.forecast_step, options_.band_tracking_seconds, options_.reweigh};
    }
    const TrainedModels& models() const { return models_; }

  private:
    PassOutcome RunResource(const Resource& resource, UnixSeconds now, ScalingEngine& engine,
                            const cluster::LeaseGrant* lease);
    // One pass over `resources` (of one provider), options.parallel_resources at a time in the listed order, each as
    // the store has it when its turn comes (deleted ones skipped). With an ownership, resources another replica
    // plans are skipped, or with `report_others` given an outcome that says so. When `stop` turns true, no further
    // resource starts. Outcomes in the listed order.
    std::vector<PassOutcome> RunResources(const std::vector<Resource>& resources, bool report_others = false,
                                          const std::function<bool()>& stop = {}) noexcept;
    // One listed resource's turn in a pass; nothing when it was skipped (deleted, or planned elsewhere unreported).
    std::optional<PassOutcome> RunListed(const Resource& listed, UnixSeconds pass_started, bool report_others);
    PassOutcome PlannedElsewhere(const Resource& resource) const;
    // Calls `work` every tick of the clock until Stop().
    void Tick(const std::function<void(UnixSeconds)>& work);
    void MaybeRequestTraining(const std::vector<Resource>& resources, UnixSeconds now);
    void RecordHealth(const Resource& resource, const ModelHealth& health);
    void RequestScheduledTraining(const std::vector<Resource>& resources, UnixSeconds now);
    void RequestRetrainingOfDrifted(const std::vector<Resource>& resources, UnixSeconds now);
    // Whether a training request for `id` at `now` is not a repeat of one made within the retry interval (and then
    // records it as made).
    bool NotRequestedRecently(ResourceId id, UnixSeconds now);
    UnixSeconds RetrySeconds() const;
    bool FleetFresh(UnixSeconds now) const;
    // The last history_seconds of the load on the forecast grid; kUnprocessable names `purpose` when empty.
    Result<RegularSeries> LoadHistory(const Resource& resource, UnixSeconds now, const char* purpose);
    void CollectMetrics(const Resource& resource, UnixSeconds now, PassOutcome& outcome);
    Provider* ProviderFor(const Resource& resource) const;
    MetricSource* SourceFor(const Resource& resource) const;

    Store& store_;
    const Clock& clock_;
    Adapters adapters_;
    const Forecaster& forecaster_;
    const Planner& planner_;
    const Catalog& catalog_;
    ControlLoopOptions options_;
    mutable std::mutex engine_options_mutex_;
    EngineOptions engine_options_;  // guarded by engine_options_mutex_: options_.engine with AdoptRisk's changes
    TrainedModels models_;
    RecommendationLifecycle recommendations_;               // stateless: one resource at a time each
    TrainOne request_training_;                             // set before Start
    TrainAll request_all_training_;                         // set before Start
    AnomalyMonitor* anomaly_ = nullptr;                     // set before Start
    const BudgetCapBoard* budget_caps_ = nullptr;           // set before Start
    Remediator* remediator_ = nullptr;                      // set before Start
    cluster::Ownership* ownership_ = nullptr;               // set before Start
    ApplyForwarder apply_forwarder_;                        // set before Start
    LeaseEpochs lease_epochs_;                              // the epoch each resource's state was built under
    std::optional<UnixSeconds> last_all_training_request_;  // guarded by housekeeping_mutex_
    mutable std::mutex fleet_mutex_;
    FleetNetworks fleet_;                                      // guarded by fleet_mutex_
    UnixSeconds fleet_trained_at_ = 0;                         // guarded by fleet_mutex_
    std::map<ResourceId, UnixSeconds> last_training_request_;  // guarded by housekeeping_mutex_
    mutable std::mutex health_mutex_;
    std::map<ResourceId, ModelHealth> health_;             // guarded by health_mutex_
    std::map<ResourceId, std::string> forecast_problems_;  // guarded by health_mutex_
    void RecordForecastOutcome(const Resource& resource, const std::string& problem);

    // What the loop keeps per resource: its decision engine (window rules, rate limit, backoff, change counts), and
    // a lock held while a pass, an apply or a delete works on the resource.
    struct ResourceState {
        std::mutex busy;
        std::unique_ptr<ScalingEngine> engine;  // guarded by busy
        bool deleted = false;                   // guarded by busy
    };
    std::shared_ptr<ResourceState> StateFor(ResourceId id);
    std::mutex states_mutex_;
    std::map<ResourceId, std::shared_ptr<ResourceState>> states_;  // guarded by states_mutex_
    std::mutex fleet_limit_mutex_;
    FleetRateLimit fleet_limit_;  // guarded by fleet_limit_mutex_
    // The training schedule over all resources, each tick (MaybeRequestTraining).
    void HouseKeeping(UnixSeconds now);
    std::mutex housekeeping_mutex_;
    // The actions and flaps per day on /metrics.
    void CountChange(const Resource& resource, const ChangeCounts& counts);

    MetricsRegistry& metrics_;  // per-resource series are registered as resources appear
    Histogram& pass_seconds_;
    Counter& samples_collected_;
    Counter& actions_recorded_;
    Counter& pass_errors_;
    std::atomic<std::int64_t> passes_{0};

    std::mutex run_mutex_;
    std::condition_variable run_cv_;
    bool stopping_ = false;                    // guarded by run_mutex_
    std::atomic<bool> stop_requested_{false};  // stopping_, read by the lanes between resources without the lock
    std::vector<std::thread> threads_;         // the provider lanes and the housekeeping, while started
};

}  // namespace cloudopt
