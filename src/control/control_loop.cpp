#include "control/control_loop.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "control/anomaly_mask.hpp"
#include "control/fresh_sample.hpp"
#include "control/in_flight.hpp"
#include "core/text.hpp"
#include "forecast/band_tracker.hpp"
#include "forecast/fleet_file.hpp"
#include "forecast/load_forecaster.hpp"
#include "forecast/model_file.hpp"

namespace cloudopt {

ControlLoop::ControlLoop(Store& store, const Clock& clock, Adapters adapters, const Forecaster& forecaster,
                         const Planner& planner, const Catalog& catalog, MetricsRegistry& metrics,
                         ControlLoopOptions options)
    : store_(store),
      clock_(clock),
      adapters_(std::move(adapters)),
      forecaster_(forecaster),
      planner_(planner),
      catalog_(catalog),
      options_(options),
      engine_options_(options.engine),
      recommendations_(store, {options.recommendation_max_age_seconds}),
      fleet_limit_(options.max_actions_per_minute),
      metrics_(metrics),
      pass_seconds_(metrics.GetHistogram("cloudopt_loop_pass_seconds", "Wall time of one control-loop pass", {},
                                         MetricsRegistry::LatencyBuckets())),
      samples_collected_(metrics.GetCounter("cloudopt_loop_samples_collected_total",
                                            "Samples the control loop pulled from metric sources")),
      actions_recorded_(
          metrics.GetCounter("cloudopt_loop_actions_total", "Scaling actions and recommendations recorded")),
      pass_errors_(metrics.GetCounter("cloudopt_loop_resource_errors_total",
                                      "Resources skipped in a pass because of an error")) {}

ControlLoop::~ControlLoop() { Stop(); }

Provider* ControlLoop::ProviderFor(const Resource& resource) const {
    auto it = adapters_.providers.find(resource.provider);
    return it == adapters_.providers.end() ? nullptr : it->second;
}

double ControlLoop::HourlyCost(const Resource& resource, int instances) const {
    auto type = catalog_.Find(resource.provider, resource.instance_type);
    return type ? type->price_per_hour * instances : 0.0;
}

Result<CapacityState> ControlLoop::Describe(const Resource& resource) {
    Provider* provider = ProviderFor(resource);
    if (!provider)
        return MakeError(ErrorCode::kUnprocessable, "provider '" + resource.provider +
                                                        "' is not configured; add it under 'providers' in the config");
    return provider->Describe(resource);
}

Result<std::vector<OfferedInstanceType>> ControlLoop::ListInstanceTypes(const Resource& resource) {
    Provider* provider = ProviderFor(resource);
    if (!provider)
        return MakeError(ErrorCode::kUnprocessable, "provider '" + resource.provider + "' is not configured");
    return provider->ListInstanceTypes(resource);
}

Status ControlLoop::CheckProviderReference(const Resource& resource) {
    if (!resource.load_query.empty()) {
        if (!adapters_.query_source)
            return MakeError(ErrorCode::kUnprocessable, "load_query: no Prometheus is configured; set prometheus.url");
        if (Status s = adapters_.query_source->Check(resource); !s) return s;
    }
    auto state = Describe(resource);
    if (state) return Status::Ok();
    if (state.error().code == ErrorCode::kNotFound)
        return MakeError(ErrorCode::kUnprocessable, "provider_ref: " + state.error().message);
    return state.error();
}

Result<std::vector<PassOutcome>> ControlLoop::RunPass(std::optional<ResourceId> only) {
    std::vector<Resource> resources;
    if (only) {
        auto r = store_.GetResource(*only);
        if (!r) return r.error();
        resources.push_back(std::move(*r));
    } else {
        auto all = store_.ListResources();
        if (!all) return all.error();
        resources = std::move(*all);
    }
    // Each provider's resources on their own thread: a slow cloud delays only its own resources.
    std::map<std::string, std::vector<Resource>> lanes;
    for (Resource& r : resources) lanes[r.provider].push_back(std::move(r));
    std::map<std::string, std::vector<PassOutcome>> by_lane;
    if (lanes.size() == 1) {
        by_lane[""] = RunResources(lanes.begin()->second, /*report_others=*/true);
    } else if (lanes.size() > 1) {
        std::vector<std::thread> threads;
        threads.reserve(lanes.size());
        for (const auto& [provider, group] : lanes) {
            auto& out = by_lane[provider];
            threads.emplace_back([this, &group, &out] { out = RunResources(group, /*report_others=*/true); });
        }
        for (std::thread& t : threads) t.join();
    }
    std::vector<PassOutcome> outcomes;
    for (auto& [provider, lane] : by_lane)
        for (PassOutcome& o : lane) outcomes.push_back(std::move(o));
    if (!only) HouseKeeping(clock_.Now());
    return outcomes;
}

std::vector<PassOutcome> ControlLoop::RunResources(const std::vector<Resource>& listed, bool report_others,
                                                   const std::function<bool()>& stop) noexcept {
    const auto started = std::chrono::steady_clock::now();
    const UnixSeconds pass_started = clock_.Now();
    std::vector<std::optional<PassOutcome>> slots(listed.size());
    // Each slot is written by the one thread that runs its resource; read after all have joined.
    (void)RunInFlight(
        listed.size(), options_.parallel_resources,
        [&](std::size_t index) { slots[index] = RunListed(listed[index], pass_started, report_others); }, stop);
    std::vector<PassOutcome> outcomes;
    outcomes.reserve(listed.size());
    for (std::optional<PassOutcome>& slot : slots)
        if (slot) outcomes.push_back(std::move(*slot));
    pass_seconds_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return outcomes;
}

std::optional<PassOutcome> ControlLoop::RunListed(const Resource& listed_resource, UnixSeconds pass_started,
                                                  bool report_others) {
    std::optional<PassOutcome> outcome;
    // Adapters return errors as values; this catch is the last line, so that a bug in one adapter skips one
    // resource's pass instead of ending the service (or, on a lane's thread, the process).
    try {
        std::optional<cluster::LeaseGrant> lease;
        if (ownership_) {
            lease = ownership_->Grant(listed_resource.id, pass_started);
            if (!lease) {
                if (report_others) outcome = PlannedElsewhere(listed_resource);
                return outcome;
            }
        }
        std::shared_ptr<ResourceState> state = StateFor(listed_resource.id);
        std::lock_guard busy(state->busy);  // one pass, apply or delete at a time per resource
        // The resource as it is now that nothing else works on it: deleted or changed (its mode switched off,
        // say) while this lane waited on an earlier resource, the listed copy is out of date.
        auto current = store_.GetResource(listed_resource.id);
        if (state->deleted || !current) {
            std::lock_guard lock(states_mutex_);
            if (auto it = states_.find(listed_resource.id); it != states_.end() && it->second == state)
                states_.erase(it);  // StateFor made it anew for a resource already gone
            return outcome;
        }
        // The clock is read under the resource's lock, so its engine never sees time go backwards.
        const UnixSeconds now = clock_.Now();
        if (lease) {
            // The pass is recorded under the lease before it acts: a lease that moved on stops it here.
            const UnixSeconds tick = std::max<UnixSeconds>(1, options_.engine.tick_seconds);
            if (Status s = ownership_->RecordPlan(*lease, pass_started / tick, now); !s) {
                PassOutcome fenced;
                fenced.resource_id = current->id;
                fenced.resource_name = current->name;
                fenced.error = "lease: " + s.error().message;
                outcome = std::move(fenced);
            }
        }
        if (!outcome) {
            // Back after another replica held it: what this one remembered is stale (control/lease_fence.hpp).
            const EngineOptions engine = engine_options();
            if (lease && lease_epochs_.Changed(current->id, lease->epoch)) {
                state->engine = EngineFromStore(store_, planner_, engine, current->id, now);
                if (anomaly_) anomaly_->Reload(current->id);
            } else if (const EngineOptions& held = state->engine->options();
                       held.quantile != engine.quantile || held.service_level.budget != engine.service_level.budget) {
                // AdoptRisk since the last pass: taken in place, so the stabilization window, the flap hold, the rate
                // limit and a backoff still hold (a rebuild from the action log would forget them and scale in at
                // once).
                state->engine->SetRisk(engine.quantile, engine.service_level.budget);
            }
            CallDeadline::Scope bounded(CallDeadlineOf(lease ? &*lease : nullptr));  // no cloud call outlives it
            outcome = RunResource(*current, now, *state->engine, lease ? &*lease : nullptr);
        }
    } catch (const std::exception& e) {
        PassOutcome failed;
        failed.resource_id = listed_resource.id;
        failed.resource_name = listed_resource.name;
        failed.error = std::string("internal error (please report it): ") + e.what();
        outcome = std::move(failed);
    }
    if (outcome && !outcome->error.empty()) pass_errors_.Inc();
    return outcome;
}

void ControlLoop::HouseKeeping(UnixSeconds now) {
    // One pass counted per tick (the lanes run theirs beside it), for /readyz and the event stream.
    passes_.fetch_add(1);
    auto all = store_.ListResources();
    if (!all) return;
    std::lock_guard lock(housekeeping_mutex_);
    MaybeRequestTraining(*all, now);
}

void ControlLoop::AdoptRisk(QuantileLevel quantile, double unmet_budget) {
    std::lock_guard lock(engine_options_mutex_);
    engine_options_.quantile = quantile;
    engine_options_.service_level.budget = unmet_budget;
}

EngineOptions ControlLoop::engine_options() const {
    std::lock_guard lock(engine_options_mutex_);
    return engine_options_;
}

std::shared_ptr<ControlLoop::ResourceState> ControlLoop::StateFor(ResourceId id) {
    std::lock_guard lock(states_mutex_);
    auto& state = states_[id];
    if (!state) {
        state = std::make_shared<ResourceState>();
        state->engine = std::make_unique<ScalingEngine>(planner_, engine_options());
    }
    return state;
}

MetricSource* ControlLoop::SourceFor(const Resource& r) const {
    if (!r.load_query.empty()) return adapters_.query_source;
    auto it = adapters_.sources.find(r.provider);
    return it == adapters_.sources.end() ? nullptr : it->second;
}

void ControlLoop::CollectMetrics(const Resource& r, UnixSeconds now, PassOutcome& outcome) {
    if (!r.load_query.empty() && !adapters_.query_source) {
        outcome.error = "metric source: the resource has a load_query but no Prometheus is configured (prometheus.url)";
        return;
    }
    MetricSource* source = SourceFor(r);
    if (!source) return;  // push-only resource: samples arrive through the API
    auto readings = source->Collect(r, now);
    if (!readings) {
        outcome.error = "metric source: " + readings.error().message;
        return;
    }
    std::vector<SeriesSamples> batch;
    for (MetricReading& reading : *readings) {
        batch.push_back({{r.id, reading.metric}, {reading.sample}});
    }
    if (Status s = store_.AppendSamples(batch); !s) {
        outcome.error = "storing metrics: " + s.error().message;
        return;
    }
    samples_collected_.Inc(static_cast<double>(batch.size()));
}

Result<RegularSeries> ControlLoop::LoadHistory(const Resource& r, UnixSeconds now, const char* purpose) {
    // Complete steps only: the step in progress has a partial mean, and it is the first step to forecast.
    const UnixSeconds history_end = FloorTo(now, options_.forecast_step);
    auto history = store_.QueryDownsampled({r.id, r.load_metric}, history_end - options_.history_seconds, history_end,
                                           options_.forecast_step, Aggregation::kAvg);
    if (!history) return history.error();
    if (history->empty())
        return MakeError(ErrorCode::kUnprocessable,
                         "resource '" + r.name + "' has no samples of '" + r.load_metric + "' to " + purpose);
    return Regularize(*history, options_.forecast_step);
}

Result<Forecast> ControlLoop::ForecastResource(const Resource& r, std::optional<int> horizon_steps, bool reuse_fresh) {
    const UnixSeconds now = clock_.Now();
    const int horizon = horizon_steps.value_or(options_.horizon_steps);
    if (reuse_fresh) {
        auto stored = store_.LatestPrediction(r.id, r.load_metric);
        if (stored && *stored && (*stored)->generated_at <= now &&
            FloorTo((*stored)->generated_at, options_.forecast_step) == FloorTo(now, options_.forecast_step) &&
            static_cast<int>((*stored)->points.size()) >= horizon)
            return std::move(**stored);
    }
    auto history = LoadHistory(r, now, "forecast from");
    if (!history) return history.error();
    (void)MaskAnomalousSteps(store_, r, *history, MaskValues::kKeep);  // out of band tracking (anomaly_mask.hpp)
    const auto trained = models_.Get(r.id, r.load_metric);
    const TrainedModelRef model =
        trained ? TrainedModelRef{trained->model.get(), trained->trained_at} : TrainedModelRef{};
    auto made = ForecastLoad(*history, now, horizon, model, forecaster_, ForecastOptions());
    if (!made) return made.error();
    if (made->live)
        RecordHealth(r, {trained->model->bands.accuracy, *made->live, trained->trained_at,
                         trained->model->bands.phase.Describe()});
    Forecast& forecast = made->forecast;  // ForecastLoad dated it `now`
    if (Status s = store_.SavePrediction(r.id, r.load_metric, forecast); !s) return s.error();
    if (!forecast.points.empty()) {
        // The next step's forecast: `cloudopt_forecast_load offset <step>` lines up with the load it forecast.
        const ForecastPoint& next = forecast.points.front();
        for (QuantileLevel q : {QuantileLevel::kP50, QuantileLevel::kP90, QuantileLevel::kP95, QuantileLevel::kP99})
            metrics_
                .GetGauge("cloudopt_forecast_load", "Forecast of the resource's load for the next step, per quantile",
                          {{"resource", r.name}, {"quantile", QuantileLevelName(q)}})
                .Set(PointQuantile(next, q));
    }
    return std::move(forecast);
}

void ControlLoop::SetTrainingRequester(TrainOne one, TrainAll all) {
    request_training_ = std::move(one);
    request_all_training_ = std::move(all);
}

void ControlLoop::RecordHealth(const Resource& r, const ModelHealth& health) {
    {
        std::lock_guard lock(health_mutex_);
        health_[r.id] = health;
    }
    if (std::isfinite(health.live.accuracy))
        metrics_
            .GetGauge("cloudopt_model_live_accuracy",
                      "1 - WAPE of the trained model's forecasts of the load since it was trained",
                      {{"resource", r.name}})
            .Set(health.live.accuracy);
    metrics_
        .GetGauge("cloudopt_model_trained_accuracy", "1 - WAPE of the trained model on its validation window",
                  {{"resource", r.name}})
        .Set(health.trained_accuracy);
}

void ControlLoop::RecordForecastOutcome(const Resource& r, const std::string& problem) {
    {
        std::lock_guard lock(health_mutex_);
        if (problem.empty())
            forecast_problems_.erase(r.id);
        else
            forecast_problems_[r.id] = problem;
    }
    const Labels labels = {{"resource", r.name}};
    metrics_
        .GetGauge("cloudopt_forecast_failing",
                  "1 while the resource's last forecast failed (it is then sized from the measured load alone)", labels)
        .Set(problem.empty() ? 0.0 : 1.0);
    if (!problem.empty())
        metrics_.GetCounter("cloudopt_forecast_failures_total", "Passes whose forecast failed, by resource", labels)
            .Inc();
}

std::optional<std::string> ControlLoop::ForecastProblem(ResourceId id) const {
    std::lock_guard lock(health_mutex_);
    auto it = forecast_problems_.find(id);
    if (it == forecast_problems_.end()) return std::nullopt;
    return it->second;
}

std::optional<ModelHealth> ControlLoop::Health(ResourceId id) const {
    std::lock_guard lock(health_mutex_);
    auto it = health_.find(id);
    if (it == health_.end()) return std::nullopt;
    return it->second;
}

bool ControlLoop::FleetFresh(UnixSeconds now) const {
    std::lock_guard lock(fleet_mutex_);
    return fleet_ && now - fleet_trained_at_ < options_.retrain_seconds;
}

UnixSeconds ControlLoop::RetrySeconds() const {
    // A request that failed (too little history yet) is retried after an hour, or the retrain interval if shorter.
    return options_.retrain_seconds > 0 ? std::min<UnixSeconds>(options_.retrain_seconds, 3600) : 3600;
}

bool ControlLoop::NotRequestedRecently(ResourceId id, UnixSeconds now) {
    auto [it, first] = last_training_request_.emplace(id, now);
    if (!first && now - it->second < RetrySeconds()) return false;
    it->second = now;
    return true;
}

void ControlLoop::MaybeRequestTraining(const std::vector<Resource>& resources, UnixSeconds now) {
    if (!request_training_) return;
    // Scheduled first: a resource it queues (alone or in "all") is not queued again for drift.
    RequestScheduledTraining(resources, now);
    RequestRetrainingOfDrifted(resources, now);
}

void ControlLoop::RequestScheduledTraining(const std::vector<Resource>& resources, UnixSeconds now) {
    if (options_.retrain_seconds <= 0) return;
    std::vector<const Resource*> due;
    for (const Resource& r : resources) {
        const auto model = models_.Get(r.id, r.load_metric);
        if (!model || now - model->trained_at >= options_.retrain_seconds) due.push_back(&r);
    }
    if (due.empty()) return;
    const std::string age = "older than " + std::to_string(options_.retrain_seconds / 3600) + " h";
    // Train them all, the shared network first, rather than one by one with none. A restart that loaded fresh
    // models has nothing due, so it does not retrain them; they train together once they expire.
    if (request_all_training_ && options_.train_epochs > 0 && resources.size() >= 2 && !FleetFresh(now)) {
        if (last_all_training_request_ && now - *last_all_training_request_ < RetrySeconds()) return;
        last_all_training_request_ = now;
        for (const Resource& r : resources) last_training_request_[r.id] = now;  // the "all" job trains each
        request_all_training_("scheduled: " + std::to_string(due.size()) + " of " + std::to_string(resources.size()) +
                              " resources have no model or one " + age + ", and the shared network is missing or " +
                              age);
        return;
    }
    for (const Resource* r : due) {
        if (!NotRequestedRecently(r->id, now)) continue;
        request_training_(*r, models_.Get(r->id, r->load_metric) ? "scheduled: the model is " + age
                                                                 : "scheduled: the resource has no trained model");
    }
}

void ControlLoop::RequestRetrainingOfDrifted(const std::vector<Resource>& resources, UnixSeconds now) {
    for (const Resource& r : resources) {
        const auto health = Health(r.id);
        const auto model = models_.Get(r.id, r.load_metric);
        // The health must be of the model in use: a model trained since has not been scored yet.
        if (!health || !model || health->trained_at != model->trained_at) continue;
        const auto why = DriftReason(*health, options_.drift);
        if (!why || !NotRequestedRecently(r.id, now)) continue;
        metrics_
            .GetCounter("cloudopt_model_drift_retrains_total",
                        "Trainings requested because a model's forecasts got worse than at training",
                        {{"resource", r.name}})
            .Inc();
        request_training_(r, "drift: " + *why);
    }
}

Result<int> ControlLoop::LoadModels(std::vector<std::string>& problems) {
    auto loaded = models_.LoadFrom(store_, problems);
    if (!loaded) return loaded;
    // The shared network too, so that a resource trained after a restart still weighs it.
    auto stored = store_.LoadSharedNetwork();
    if (!stored) return stored.error();
    if (*stored) {
        auto networks = LoadFleetNetworks((*stored)->bytes);
        if (!networks) {
            problems.push_back(networks.error().message + " (the next \"train all\" replaces it)");
        } else {
            std::lock_guard lock(fleet_mutex_);
            fleet_ = std::move(*networks);
            fleet_trained_at_ = (*stored)->trained_at;
        }
    }
    return loaded;
}

Result<TrainReport> ControlLoop::TrainResource(const Resource& r, const std::function<void(double)>& progress,
                                               const std::function<bool()>& cancelled) {
    const auto started = std::chrono::steady_clock::now();
    const UnixSeconds now = clock_.Now();
    auto history = LoadHistory(r, now, "train on");
    if (!history) return history.error();
    (void)MaskAnomalousSteps(store_, r, *history, MaskValues::kHold);  // out of training and calibration
    const RegularSeries& series = *history;

    ModelOptions model_options =
        ServiceModelOptions(options_.train_epochs, options_.lstm_shape, options_.phase_bands, options_.reweigh);
    model_options.lstm.train.threads = 1;  // one core stays with the API and the loop
    // auto trains the LSTM twice (for the choice, then on everything): progress counts epochs of both.
    int epochs_done = 0;
    const double epochs_total = 2.0 * model_options.lstm.train.epochs;
    model_options.lstm.train.on_epoch = [&](const EpochReport&) {
        if (progress) progress(std::min(0.95, ++epochs_done / epochs_total));
    };
    model_options.lstm.train.cancelled = cancelled;
    if (model_options.auto_includes_lstm) {
        std::lock_guard lock(fleet_mutex_);
        // Beside the resource's own network, not instead of it as in `simulate`: a service's resources are often
        // unlike each other (a web tier, a batch queue), and auto's validation keeps whichever forecasts better.
        if (fleet_) model_options.fleet = fleet_;
    }
    auto trained = TrainModel("auto", series, options_.horizon_steps, model_options);
    if (!trained) return trained.error();
    if (cancelled && cancelled())
        return MakeError(ErrorCode::kUnavailable,
                         "training of '" + r.name + "' was cancelled (the service is stopping)");

    TrainReport report;
    report.model = trained->chosen;
    report.weighed = trained->candidates;
    report.bands_by = trained->bands.phase.Describe();
    report.accuracy = trained->bands.accuracy;
    report.points = series.values.size();
    std::vector<NamedModel> file;
    file.push_back({r.name, std::move(*trained)});
    const std::string bytes = SaveModels(file);
    if (Status s = store_.SaveModel({r.id, r.load_metric, now, report.model, report.accuracy, bytes}); !s)
        return s.error();
    models_.Put(r.id, r.load_metric, {std::make_shared<const TrainedModel>(std::move(file.front().trained)), now});
    if (auto forecast = ForecastResource(r, std::nullopt, /*reuse_fresh=*/false); !forecast) return forecast.error();
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (progress) progress(1.0);
    return report;
}

Result<FleetReport> ControlLoop::TrainFleet(const std::vector<Resource>& resources,
                                            const std::function<void(double)>& progress,
                                            const std::function<bool()>& cancelled) {
    const auto started = std::chrono::steady_clock::now();
    if (options_.train_epochs <= 0)
        return MakeError(ErrorCode::kUnprocessable, "the LSTM is off (train_epochs 0): there is no network to share");
    const UnixSeconds now = clock_.Now();
    std::vector<RegularSeries> histories;
    for (const Resource& r : resources) {
        auto history = LoadHistory(r, now, "train on");
        if (history) (void)MaskAnomalousSteps(store_, r, *history, MaskValues::kHold);
        if (history) histories.push_back(std::move(*history));  // a resource without load yet is not a member
    }
    if (histories.size() < 2)
        return MakeError(ErrorCode::kUnprocessable, "one network across resources needs two with load history, " +
                                                        std::to_string(histories.size()) + " have it");
    std::vector<FleetSeries> members;
    for (const RegularSeries& h : histories) members.push_back({h.values, h.start, h.step});
    ModelOptions model_options;
    model_options.lstm.train.epochs = options_.train_epochs;
    options_.lstm_shape.ApplyTo(model_options.lstm);
    model_options.lstm.train.threads = 1;  // one core stays with the API and the loop
    // An epoch's cost stays bounded however many resources the service runs.
    model_options.lstm.fleet_windows_per_epoch = LstmOptions::kBoundedFleetWindowsPerEpoch;
    int epochs_done = 0;
    const double epochs_total = 2.0 * model_options.lstm.train.epochs;  // the calibration network, then the full one
    model_options.lstm.train.on_epoch = [&](const EpochReport&) {
        if (progress) progress(std::min(0.99, ++epochs_done / epochs_total));
    };
    model_options.lstm.train.cancelled = cancelled;
    auto fleet = TrainFleetForModels(members, options_.horizon_steps, model_options);
    if (!fleet) return fleet.error();
    if (cancelled && cancelled())
        return MakeError(ErrorCode::kUnavailable, "training across resources was cancelled (the service is stopping)");
    const StoredNetwork stored{now, static_cast<std::int64_t>(members.size()), SaveFleetNetworks(*fleet)};
    if (Status s = store_.SaveSharedNetwork(stored); !s) return s.error();
    {
        std::lock_guard lock(fleet_mutex_);
        fleet_ = std::move(*fleet);
        fleet_trained_at_ = now;
    }
    if (progress) progress(1.0);
    return FleetReport{members.size(),
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()};
}

Result<FleetAndResourcesReport> ControlLoop::TrainFleetAndResources(const std::vector<Resource>& resources,
                                                                    const std::function<void(double)>& progress,
                                                                    const std::function<bool()>& cancelled) {
    auto report_progress = [&progress](double share) {
        if (progress) progress(share);
    };
    FleetAndResourcesReport report;
    double done_before = 0.0;
    if (resources.size() >= 2) {
        report.fleet = TrainFleet(
            resources, [&](double within) { report_progress(0.5 * within); }, cancelled);
        done_before = 0.5;
    }
    const double n = static_cast<double>(resources.size());
    auto overall = [done_before](double share) { return done_before + (1.0 - done_before) * share; };
    for (std::size_t i = 0; i < resources.size(); ++i) {
        if (cancelled && cancelled())  // what is trained is saved; the rest waits for the next schedule or restart
            return MakeError(ErrorCode::kUnavailable, "training was cancelled (the service is stopping) after " +
                                                          std::to_string(i) + " of " +
                                                          std::to_string(resources.size()) + " resources");
        auto within_resource = [&](double within) { report_progress(overall((static_cast<double>(i) + within) / n)); };
        report.trained.emplace_back(resources[i], TrainResource(resources[i], within_resource, cancelled));
        report_progress(overall(static_cast<double>(i + 1) / n));
    }
    return report;
}

bool ControlLoop::has_fleet() const {
    std::lock_guard lock(fleet_mutex_);
    return static_cast<bool>(fleet_);
}

PassOutcome ControlLoop::PlannedElsewhere(const Resource& r) const {
    PassOutcome outcome;
    outcome.resource_id = r.id;
    outcome.resource_name = r.name;
    const std::string planner = ownership_->PlannerOf(r.id);
    outcome.error = planner.empty() ? "not planned by this replica in this pass: its lease is changing hands (each "
                                      "resource is planned by the replica holding its lease)"
                                    : "planned by another replica (" + planner +
                                          "): each resource is planned by the replica holding its lease";
    return outcome;
}

PassOutcome ControlLoop::RunResource(const Resource& r, UnixSeconds now, ScalingEngine& engine,
                                     const cluster::LeaseGrant* lease) {
    PassOutcome outcome;
    outcome.resource_id = r.id;
    outcome.resource_name = r.name;

    // Monitor.
    CollectMetrics(r, now, outcome);
    if (anomaly_) {
        // An alert is news, not a reason to stop scaling: a store error here only counts.
        if (Status s = anomaly_->Score(r, now); !s)
            metrics_.GetCounter("cloudopt_anomaly_errors_total", "Anomaly scoring passes that failed", {}).Inc();
    }
    auto state = Describe(r);
    if (!state) {
        outcome.error = "provider: " + state.error().message;
        return outcome;
    }
    outcome.current_capacity = state->desired;
    std::vector<SeriesSamples> capacity_samples = {
        {{r.id, "capacity"}, {{now, static_cast<double>(state->ready)}}},
        {{r.id, "desired_capacity"}, {{now, static_cast<double>(state->desired)}}},
        {{r.id, "cost_per_hour"}, {{now, HourlyCost(r, state->desired)}}},
    };
    // These series feed the charts only; failing to store them must not stop the resource from being scaled.
    (void)store_.AppendSamples(capacity_samples);
    // Remediation of open alerts (control/remediation.hpp): its floor bounds this pass's plan.
    std::optional<RemediationFloor> remediation_floor;
    if (remediator_) {
        const std::optional<RemediationLease> fence = RemediationLeaseOf(ownership_, lease);
        if (auto floor = remediator_->Review(r, now, state->desired, ProviderFor(r), fence ? &*fence : nullptr))
            remediation_floor = *floor;
        else
            metrics_.GetCounter("cloudopt_remediation_errors_total", "Remediation reviews that failed", {}).Inc();
    }

    // Predict.
    EngineInput input;
    input.resource = r;
    input.now = now;
    if (remediation_floor)
        input.resource.min_capacity = std::clamp(remediation_floor->capacity, r.min_capacity, r.max_capacity);
    input.state = *state;
    input.catalog = &catalog_;
    if (budget_caps_) input.budget_cap = budget_caps_->For(r.id);
    bool warming_up = false;
    if (auto forecast = ForecastResource(r, std::nullopt, /*reuse_fresh=*/true)) {
        input.forecast = std::move(*forecast);
    } else {
        outcome.forecast_error = forecast.error().message;
        // Too little history yet (a new resource, a push-only one before its first samples) is not a failure.
        warming_up = forecast.error().code == ErrorCode::kUnprocessable;
    }
    RecordForecastOutcome(r, warming_up ? "" : outcome.forecast_error);
    if (auto latest = FreshSample(store_, {r.id, r.load_metric}, now, options_.stale_after_seconds))
        input.current_load = latest->value;

    // Optimize: the engine plans and says what to do with the plan.
    EngineDecision decided = engine.Decide(input);
    if (remediation_floor && input.resource.min_capacity > r.min_capacity &&
        decided.plan.desired <= input.resource.min_capacity)
        decided.plan.reason += "; " + remediation_floor->why;
    // Describe succeeded, so the provider exists; one that serves plans to another autoscaler (KEDA) reads them here.
    ProviderFor(r)->Planned(r, {now, input.forecast, outcome.forecast_error, input.current_load, decided.plan});
    if (r.mode == Mode::kAuto && input.current_load) {
        const bool starved = *input.current_load > state->ready * r.capacity_per_instance + 1e-9;
        metrics_
            .GetCounter("cloudopt_loop_service_passes_total",
                        "Auto-mode passes with a fresh load measurement, by whether the load exceeded ready capacity",
                        {{"resource", r.name}, {"starved", starved ? "true" : "false"}})
            .Inc();
        metrics_
            .GetGauge("cloudopt_loop_band_correction",
                      "Service-level correction: capacity holds the band plus this many times its usual width "
                      "above the median",
                      {{"resource", r.name}})
            .Set(engine.band_correction());
    }
    const PlanDecision& decision = decided.plan;
    outcome.decision = decision;
    if (r.mode == Mode::kRecommend && decision.desired == state->desired) {
        // The plan keeps what runs: an open recommendation to change it no longer holds.
        if (auto kept = recommendations_.Propose(r.id, std::nullopt, now); !kept)
            outcome.error = "expiring recommendations: " + kept.error().message;
    }
    if (decided.verdict == Verdict::kKeep) return outcome;
    if (decided.verdict == Verdict::kBackingOff) {
        // The failure is already recorded with the cloud's error; waiting out the backoff adds no new record.
        outcome.error = "provider: " + decided.held_because;
        return outcome;
    }

    // Allocate.
    AllocationAction action;
    action.resource_id = r.id;
    action.ts = now;
    action.from_capacity = state->desired;
    action.to_capacity = decision.desired;
    action.hourly_cost_before = HourlyCost(r, state->desired);
    action.hourly_cost_after = HourlyCost(r, decision.desired);
    const std::string cost_note =
        "; cost " + MoneyPerHour(action.hourly_cost_before) + " -> " + MoneyPerHour(action.hourly_cost_after);
    action.explanation = decision.explanation;
    action.explanation.cost_before_per_hour = action.hourly_cost_before;
    action.explanation.cost_after_per_hour = action.hourly_cost_after;
    action.summary = SummarizeDecision(action.explanation);
    std::string limited = decided.held_because;
    if (decided.verdict == Verdict::kApply) {
        // A slot is taken before the provider is called (a failed apply counts too), and the lock released: a
        // cloud that hangs while applying must not hold up another cloud's changes.
        std::lock_guard fleet_limit(fleet_limit_mutex_);
        limited = fleet_limit_.LimitedBy(now);
        if (limited.empty()) fleet_limit_.Record(now);
    }
    if (decided.verdict == Verdict::kRecommend) {
        Recommendation rec;
        rec.resource_id = r.id;
        rec.created_at = now;
        rec.from_capacity = state->desired;
        rec.to_capacity = decision.desired;
        rec.reason = decision.reason + cost_note;
        rec.hourly_cost_before = action.hourly_cost_before;
        rec.hourly_cost_after = action.hourly_cost_after;
        rec.explanation = action.explanation;
        rec.summary = action.summary;
        // One open recommendation per resource: a new one only when the proposal moves materially (more than one
        // instance or 10%), so a forecast wobbling between 7 and 8 does not bury the user in near-duplicates; the
        // old one is then superseded. A dismissed proposal is not made again (recommendation_lifecycle.hpp).
        auto saved = recommendations_.Propose(r.id, rec, now);
        if (!saved) {
            outcome.error = "saving recommendation: " + saved.error().message;
            return outcome;
        }
        if (!*saved) return outcome;
        outcome.recommendation = **saved;
        action.status = ActionStatus::kPlanned;
        action.reason = "recommend mode (not applied): " + rec.reason;
    } else if (!limited.empty()) {
        action.status = ActionStatus::kSkipped;
        action.reason = decision.reason + cost_note + "; not applied: " + limited;
        action.summary += "; not applied: " + limited.substr(0, limited.find(" ("));
    } else {
        // The cloud call cannot join a database transaction: the lease is checked against its own deadline right
        // before it, and the action below is recorded only under the same epoch.
        if (lease && !ownership_->StillHeld(*lease)) {
            outcome.error = "lease: it ran out before the change was applied; the next holder plans the resource";
            return outcome;
        }
        Provider* provider = ProviderFor(r);
        Status applied = provider->SetDesiredCapacity(r, decision.desired);
        action.status = applied ? ActionStatus::kApplied : ActionStatus::kFailed;
        if (!applied) action.error = applied.error().message;
        action.reason = decision.reason + cost_note;
        if (applied && !state->served_to.empty()) {  // another autoscaler applies it (KEDA): say so
            action.reason = "served to " + state->served_to + ": " + action.reason;
            action.summary = "served to " + state->served_to + ": " + action.summary;
        }
        if (applied) {
            engine.Applied(now, state->desired, decision.desired);
            CountChange(r, engine.counts());
        } else {
            engine.ApplyFailed(now);
        }
    }
    if (lease) {
        action.lease_holder = lease->holder;
        action.lease_epoch = lease->epoch;
    }
    auto recorded = store_.RecordAction(action);
    if (!recorded) {
        outcome.error = "recording action: " + recorded.error().message;
        return outcome;
    }
    actions_recorded_.Inc();
    outcome.action = *recorded;
    return outcome;
}

void ControlLoop::CountChange(const Resource& r, const ChangeCounts& counts) {
    const Labels labels = {{"resource", r.name}};
    metrics_.GetCounter("cloudopt_loop_capacity_changes_total", "Capacity changes applied, by resource", labels).Inc();
    if (counts.last_was_flap)
        metrics_
            .GetCounter("cloudopt_loop_flaps_total",
                        "Applied changes that undid the previous one within 30 minutes (a flap), by resource", labels)
            .Inc();
    metrics_.GetGauge("cloudopt_loop_actions_per_day", "Capacity changes applied over the last 24 hours", labels)
        .Set(counts.changes);
    metrics_.GetGauge("cloudopt_loop_flaps_per_day", "Flaps over the last 24 hours", labels).Set(counts.flaps);
}

Status ControlLoop::DeleteResource(ResourceId id) {
    std::shared_ptr<ResourceState> state = StateFor(id);
    std::lock_guard busy(state->busy);  // not while a pass works on it
    const Status deleted = store_.DeleteResource(id);
    if (deleted || deleted.error().code == ErrorCode::kNotFound) {
        state->deleted = true;  // a lane that listed it before and waits for it skips it
        std::lock_guard lock(states_mutex_);
        states_.erase(id);
    }
    if (!deleted) return deleted;
    models_.Forget(id);
    if (anomaly_) anomaly_->Forget(id);
    {
        std::lock_guard lock(housekeeping_mutex_);
        last_training_request_.erase(id);
    }
    {
        std::lock_guard lock(health_mutex_);
        health_.erase(id);
        forecast_problems_.erase(id);
    }
    return Status::Ok();
}

Status ControlLoop::CloseRecommendations(ResourceId id, const std::string& why) {
    std::shared_ptr<ResourceState> state = StateFor(id);
    std::lock_guard busy(state->busy);
    return recommendations_.Close(id, why, clock_.Now());
}

Result<AllocationAction> ControlLoop::ApplyRecommendation(std::int64_t recommendation_id, bool may_forward) {
    auto rec = store_.GetRecommendation(recommendation_id);
    if (!rec) return rec.error();
    // With replicas, the holder of the resource's lease applies it, fenced; another forwards it there.
    std::optional<cluster::LeaseGrant> lease;
    if (ownership_ && !(lease = ownership_->GrantNow(rec->resource_id)))
        return ApplyThroughHolder(may_forward ? apply_forwarder_ : ApplyForwarder(), store_, *ownership_, *rec);
    CallDeadline::Scope bounded(CallDeadlineOf(lease ? &*lease : nullptr));
    std::shared_ptr<ResourceState> held = StateFor(rec->resource_id);
    std::lock_guard busy(held->busy);  // the checks below and the apply see the same state as a pass would
    rec = store_.GetRecommendation(recommendation_id);  // as it stands now that no pass works on it
    if (!rec) return rec.error();
    if (rec->status != "open")
        return MakeError(ErrorCode::kConflict, "recommendation " + std::to_string(recommendation_id) + " is " +
                                                   rec->status +
                                                   (rec->status_reason.empty() ? "" : " (" + rec->status_reason + ")") +
                                                   ", only open ones can be applied");
    auto resource = store_.GetResource(rec->resource_id);
    if (!resource) return resource.error();
    const UnixSeconds now = clock_.Now();
    if (resource->mode != Mode::kRecommend) {
        const std::string why = std::string("the resource's mode is now ") + ModeName(resource->mode);
        if (Status s = recommendations_.Close(resource->id, why, now); !s) return s.error();
        return MakeError(ErrorCode::kConflict, "recommendation " + std::to_string(rec->id) + " closed: " + why);
    }
    Provider* provider = ProviderFor(*resource);
    if (!provider)
        return MakeError(ErrorCode::kUnprocessable, "provider '" + resource->provider + "' is not configured");
    // Start from what runs now, not from what ran when the recommendation was made.
    auto state = provider->Describe(*resource);
    if (!state) return MakeError(ErrorCode::kUnavailable, "cannot read the current capacity: " + state.error().message);
    if (Status s = recommendations_.CheckStillValid(*rec, state->desired, now); !s) return s.error();
    int target = std::clamp(rec->to_capacity, resource->min_capacity, resource->max_capacity);
    if (state->max_size) target = std::min(target, *state->max_size);
    if (state->min_size) target = std::max(target, *state->min_size);
    AllocationAction action;
    action.resource_id = resource->id;
    action.ts = now;
    action.from_capacity = state->desired;
    action.to_capacity = target;
    action.hourly_cost_before = HourlyCost(*resource, action.from_capacity);
    action.hourly_cost_after = HourlyCost(*resource, action.to_capacity);
    if (lease && !ownership_->StillHeld(*lease))
        return MakeError(ErrorCode::kConflict,
                         "this replica's lease of the resource ran out before the change was "
                         "applied; nothing was changed: apply it again");
    if (lease) {  // the store refuses the action once the lease moved on
        action.lease_holder = lease->holder;
        action.lease_epoch = lease->epoch;
    }
    Status applied = provider->SetDesiredCapacity(*resource, action.to_capacity);
    action.status = applied ? ActionStatus::kApplied : ActionStatus::kFailed;
    if (!applied) action.error = applied.error().message;
    action.reason = "recommendation " + std::to_string(rec->id) + " applied by a user: " + rec->reason;
    if (rec->explanation.rule.empty()) {  // a recommendation made before explanations existed
        action.summary =
            "applied by a user: " + std::to_string(action.from_capacity) + " -> " + std::to_string(action.to_capacity);
    } else {
        action.explanation = rec->explanation;
        action.explanation.from = action.from_capacity;
        action.explanation.to = action.to_capacity;
        action.explanation.cost_before_per_hour = action.hourly_cost_before;
        action.explanation.cost_after_per_hour = action.hourly_cost_after;
        action.summary = "applied by a user: " + SummarizeDecision(action.explanation);
    }
    if (rec->from_capacity != action.from_capacity)
        action.reason += "; " + std::to_string(action.from_capacity) + " were running, not the " +
                         std::to_string(rec->from_capacity) + " it was made for";
    auto recorded = store_.RecordAction(action);
    if (!recorded) return recorded.error();
    if (applied) {
        if (Status s = store_.SetRecommendationStatus(rec->id, "applied",
                                                      "applied by a user: " + std::to_string(action.from_capacity) +
                                                          " -> " + std::to_string(action.to_capacity),
                                                      now);
            !s)
            return s.error();
        if (action.from_capacity != action.to_capacity) {
            held->engine->Changed(now, action.from_capacity, action.to_capacity);
            CountChange(*resource, held->engine->counts());
        }
    }
    actions_recorded_.Inc();
    return *recorded;
}

void ControlLoop::Start() {
    std::lock_guard start_lock(run_mutex_);
    if (!threads_.empty()) return;
    stopping_ = false;
    stop_requested_ = false;
    // One lane per configured provider, and one for resources whose provider is not configured (they fail fast):
    // a cloud that hangs holds up only its own lane.
    std::vector<std::string> lanes;
    for (const auto& [name, provider] : adapters_.providers) lanes.push_back(name);
    lanes.push_back("");
    for (const std::string& lane : lanes) {
        threads_.emplace_back([this, lane] {
            Tick([this, &lane](UnixSeconds) {
                auto all = store_.ListResources();
                if (!all) return;
                std::vector<Resource> mine;
                for (Resource& r : *all) {
                    const bool configured = adapters_.providers.count(r.provider) > 0;
                    if (lane.empty() ? !configured : r.provider == lane) mine.push_back(std::move(r));
                }
                // A stop ends the pass at the next resource: at thousands of resources a whole pass takes long.
                if (!mine.empty()) (void)RunResources(mine, /*report_others=*/false, [this] { return stopping(); });
            });
        });
    }
    threads_.emplace_back([this] { Tick([this](UnixSeconds now) { HouseKeeping(now); }); });
}

void ControlLoop::Tick(const std::function<void(UnixSeconds)>& work) {
    UnixSeconds next = clock_.Now();
    std::unique_lock lock(run_mutex_);
    while (!stopping_) {
        const UnixSeconds now = clock_.Now();
        if (now >= next) {
            lock.unlock();
            work(now);
            lock.lock();
            // If a pass overran several ticks, skip the missed ones instead of running them back to back.
            next = std::max(next + options_.engine.tick_seconds, now + 1);
        }
        // Poll the clock often: it may be a scaled or manual clock, so real-time waits cannot be computed.
        constexpr auto kPoll = std::chrono::milliseconds(50);
        run_cv_.wait_for(lock, kPoll, [this] { return stopping_; });
    }
}

void ControlLoop::Stop() {
    {
        std::lock_guard lock(run_mutex_);
        stopping_ = true;
        stop_requested_ = true;
    }
    run_cv_.notify_all();
    for (std::thread& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

}  // namespace cloudopt
