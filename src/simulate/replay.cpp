#include "simulate/replay.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <optional>

#include "allocate/capacity_planner.hpp"
#include "allocate/plan_history.hpp"
#include "allocate/scaling_engine.hpp"
#include "core/action.hpp"
#include "forecast/band_tracker.hpp"
#include "forecast/point_model.hpp"

namespace cloudopt {

namespace {

// Steps from a launch until the instance serves: the first boundary at least one boot delay later.
std::size_t BootSteps(UnixSeconds boot_delay_s, UnixSeconds step) {
    return static_cast<std::size_t>((boot_delay_s + step - 1) / step);
}

// What a policy sees at boundary k: demand of steps [0, k) (the oracle also reads ahead), and the fleet.
struct Fleet {
    std::size_t k = 0;
    int count = 0;           // desired = running instances
    int ready = 0;           // ready for step k
    int ready_previous = 0;  // ready during step k - 1
};

class Policy {
  public:
    virtual ~Policy() = default;
    virtual int Decide(const Fleet& fleet) = 0;
};

class StaticPolicy final : public Policy {
  public:
    explicit StaticPolicy(int n) : n_(n) {}
    int Decide(const Fleet&) override { return n_; }

  private:
    int n_;
};

// Perfect foresight with the same boot delay: the largest need over the steps that what launches now can serve
// first, i.e. up to one boot delay ahead.
class OraclePolicy final : public Policy {
  public:
    OraclePolicy(const std::vector<double>& demand, double c, double high, std::size_t boot_steps)
        : demand_(demand), c_(c), high_(high), boot_steps_(boot_steps) {}
    int Decide(const Fleet& f) override {
        int need = 1;
        for (std::size_t j = f.k; j <= f.k + boot_steps_ && j < demand_.size(); ++j)
            need = std::max(need, InstancesFor(demand_[j], c_, high_));
        return need;
    }

  private:
    const std::vector<double>& demand_;
    double c_, high_;
    std::size_t boot_steps_;
};

// The Kubernetes HPA (docs/research: §1.1) on the utilization of the last finished step: desired =
// ceil(current * utilization / target) skipped within a tolerance of 0.1; not-ready pods count as idle on scale-up,
// which makes the scale-up count ceil(load / target); scale-up limited per 15 s sync to max(+100%, +4 pods);
// scale-down to the highest recommendation of the last 300 s.
class HpaPolicy final : public Policy {
  public:
    HpaPolicy(const std::vector<double>& demand, double c, double target, UnixSeconds step)
        : demand_(demand), c_(c), target_(target), step_(step) {}
    int Decide(const Fleet& f) override {
        constexpr double kTolerance = 0.1;
        constexpr UnixSeconds kSync = 15, kDownscaleWindow = 300;
        const double load = demand_[f.k - 1] / c_;  // in instances at 100%
        int recommendation = f.count;
        if (f.ready_previous > 0) {
            const double ratio = load / f.ready_previous / target_;
            if (std::abs(ratio - 1.0) > kTolerance) recommendation = std::max(1, InstancesFor(load, 1.0, target_));
        } else if (load > 0) {
            recommendation = std::max(1, InstancesFor(load, 1.0, target_));
        }
        window_.emplace_back(f.k, recommendation);
        while (!window_.empty() && static_cast<UnixSeconds>(f.k - window_.front().first) * step_ > kDownscaleWindow)
            window_.pop_front();
        if (recommendation > f.count) {
            int limit = f.count;
            // Saturated: a step of an hour is 240 syncs, and doubling that often leaves int behind.
            for (UnixSeconds t = 0; t < step_ && limit < kMaxInstanceCount; t += kSync)
                limit = static_cast<int>(std::min<long long>(kMaxInstanceCount, std::max(2LL * limit, limit + 4LL)));
            return std::min(recommendation, limit);
        }
        int stabilized = 0;
        for (const auto& entry : window_) stabilized = std::max(stabilized, entry.second);
        return std::min(f.count, stabilized);
    }

  private:
    const std::vector<double>& demand_;
    double c_, target_;
    UnixSeconds step_;
    std::deque<std::pair<std::size_t, int>> window_;
};

// cloudopt's decision engine (the same code the service runs: allocate/scaling_engine.hpp) on forecasts from every
// boundary, in auto mode: it applies every change the engine lets through.
class PredictivePolicy final : public Policy {
  public:
    PredictivePolicy(const RegularSeries& demand, Resource resource, std::size_t first, int horizon,
                     std::vector<double> points, const Calibration& bands, const EngineOptions& options)
        : series_(demand),
          demand_(demand.values),
          resource_(std::move(resource)),
          start_(demand.start),
          step_(demand.step),
          first_(first),
          horizon_(horizon),
          points_(std::move(points)),
          bands_(bands),
          engine_(planner_, TickedBy(options, demand.step)) {
        resource_.mode = Mode::kAuto;
    }
    int Decide(const Fleet& f) override {
        // The step that just finished settles one forecast per horizon step, so the bands move as the service's do,
        // and its outcome moves the service-level correction, as each pass does in the service. A step without
        // data settles nothing.
        const bool settled = f.k > first_ && !series_.IsMissing(f.k - 1);
        if (settled) bands_.ObserveArrival(f.k - 1, series_.TimeOf(f.k - 1), demand_[f.k - 1], points_, first_);
        EngineInput in;
        in.resource = resource_;
        in.now = start_ + static_cast<UnixSeconds>(f.k) * step_;
        in.state.desired = f.count;
        in.state.ready = f.ready_previous;  // what served the load measured last
        if (f.k > 0) in.current_load = demand_[f.k - 1];
        in.observe_service = settled;
        Forecast forecast;
        forecast.step = step_;
        forecast.generated_at = in.now;
        const Calibration& bands = bands_.Bands();
        for (std::size_t h = 0; h < static_cast<std::size_t>(horizon_); ++h) {
            const double p = points_[(f.k - first_) * static_cast<std::size_t>(horizon_) + h];
            forecast.points.push_back(bands.Point(h, in.now + static_cast<UnixSeconds>(h) * step_, p));
        }
        in.forecast = std::move(forecast);
        const EngineDecision decided = engine_.Decide(in);
        if (decided.verdict != Verdict::kApply) return f.count;
        const int desired = std::max(1, decided.plan.desired);
        engine_.Applied(in.now, f.count, desired);
        return desired;
    }

  private:
    // The replay asks the engine once per step.
    static EngineOptions TickedBy(EngineOptions options, UnixSeconds step) {
        options.tick_seconds = step;
        return options;
    }

    const RegularSeries& series_;
    const std::vector<double>& demand_;
    Resource resource_;
    UnixSeconds start_, step_;
    std::size_t first_;
    int horizon_;
    std::vector<double> points_;
    BandTracker bands_;
    CapacityPlanner planner_;
    ScalingEngine engine_;
};

// Runs one policy over steps [first, n) and scores those with data (a filled gap is billed, never scored).
PolicyResult Run(Policy& policy, const RegularSeries& series, std::size_t first, double c, std::size_t boot_steps) {
    const std::vector<double>& demand = series.values;
    const UnixSeconds step = series.step;
    struct Instance {
        std::size_t launched;  // boundary index; `first` for the fleet already running when scoring starts
        std::size_t ready_at;
        bool warm;  // running before scoring started: billed from `first`, no minimum
    };
    std::vector<Instance> fleet;
    PolicyResult r;
    double seconds = 0.0;
    auto bill = [&](const Instance& i, std::size_t stopped) {
        const double s = static_cast<double>((stopped - i.launched) * static_cast<std::size_t>(step));
        seconds += i.warm ? s : std::max(60.0, s);
    };
    auto ready_at = [&](std::size_t k) {
        return static_cast<int>(
            std::count_if(fleet.begin(), fleet.end(), [k](const Instance& i) { return i.ready_at <= k; }));
    };
    Fleet f;
    f.k = first;
    const int initial = std::max(1, policy.Decide(f));
    for (int i = 0; i < initial; ++i) fleet.push_back({first, first, true});
    int ready_previous = initial;
    std::optional<CapacityChange> last_change;
    std::size_t unmet = 0, hot = 0, scored = 0;
    double util_sum = 0.0;
    for (std::size_t k = first; k < demand.size(); ++k) {
        if (k > first) {
            f.k = k;
            f.count = static_cast<int>(fleet.size());
            f.ready = ready_at(k);
            f.ready_previous = ready_previous;
            const int desired = std::max(0, policy.Decide(f));
            if (desired != f.count) {
                ++r.actions;
                const CapacityChange change{static_cast<UnixSeconds>(k) * series.step, f.count, desired};
                if (last_change && IsFlap(*last_change, change)) ++r.flaps;
                last_change = change;
            }
            while (static_cast<int>(fleet.size()) < desired) fleet.push_back({k, k + boot_steps, false});
            while (static_cast<int>(fleet.size()) >
                   desired) {  // newest first: the not-ready ones go before any ready one
                bill(fleet.back(), k);
                fleet.pop_back();
            }
        }
        const int ready = ready_at(k);
        ready_previous = ready;
        r.ready.push_back(ready);
        if (series.IsMissing(k)) continue;
        ++scored;
        const double capacity = ready * c;
        const double u = capacity > 0 ? demand[k] / capacity : (demand[k] > 0 ? 2.0 : 0.0);
        unmet += demand[k] > capacity + 1e-9;
        hot += u > 0.9;
        util_sum += std::min(1.0, u);
    }
    for (const Instance& i : fleet) bill(i, demand.size());
    const double steps = static_cast<double>(std::max<std::size_t>(1, scored));
    r.cost = seconds / 3600.0;
    r.unmet = static_cast<double>(unmet) / steps;
    r.hot = static_cast<double>(hot) / steps;
    r.util = util_sum / steps;
    r.days = static_cast<double>(demand.size() - first) * static_cast<double>(series.step) / 86400.0;
    return r;
}

}  // namespace

namespace {

// The replay keeps one record per instance, so a demand that needs more instances than any group may hold (a
// unit mistake, or 1e300 in a file) is refused with the reason instead of exhausting memory.
constexpr int kMaxReplayInstances = 100000;

Status CheckReplayable(std::span<const double> demand, double capacity_per_instance) {
    double peak = 0.0;
    for (double v : demand) {
        if (!std::isfinite(v))
            return MakeError(ErrorCode::kUnprocessable, "the series holds a value that is not finite");
        peak = std::max(peak, v);
    }
    if (InstancesFor(peak, capacity_per_instance, 0.5) > kMaxReplayInstances)
        return MakeError(ErrorCode::kUnprocessable, "the series' peak " + std::to_string(peak) + " needs more than " +
                                                        std::to_string(kMaxReplayInstances) +
                                                        " instances of capacity " +
                                                        std::to_string(capacity_per_instance) +
                                                        "; check the unit, or give a larger capacity per instance");
    return Status::Ok();
}

}  // namespace

Result<std::map<std::string, PolicyResult>> ReplayBaselines(const RegularSeries& series, double c,
                                                            UnixSeconds boot_delay_s, double target, double high) {
    if (series.values.size() < 3 || series.step <= 0)
        return MakeError(ErrorCode::kUnprocessable, "at least 3 steps of load are needed to replay");
    if (!(c > 0)) return MakeError(ErrorCode::kInvalidArgument, "capacity per instance must be positive");
    if (Status s = CheckReplayable(series.values, c); !s) return s.error();
    const std::vector<double>& demand = series.values;
    const std::size_t boot_steps = BootSteps(boot_delay_s, series.step);
    std::map<std::string, PolicyResult> out;
    StaticPolicy fixed(std::max(1, InstancesFor(*std::max_element(demand.begin(), demand.end()), c, high)));
    out["static"] = Run(fixed, series, 1, c, boot_steps);
    HpaPolicy hpa(demand, c, target, series.step);
    out["reactive"] = Run(hpa, series, 1, c, boot_steps);
    OraclePolicy oracle(demand, c, high, boot_steps);
    out["oracle"] = Run(oracle, series, 1, c, boot_steps);
    return out;
}

std::size_t ReplayTrainingPoints(std::size_t points, double test_fraction) {
    return static_cast<std::size_t>(std::floor(static_cast<double>(points) * (1 - test_fraction)));
}

int ReplayHorizon(UnixSeconds step, UnixSeconds boot_delay_s, UnixSeconds lookahead_s) {
    const int lead = static_cast<int>(BootSteps(boot_delay_s, step)) + 2;
    return std::max(lead, static_cast<int>((lookahead_s + step - 1) / step) + 1);
}

Status AddFleetNetwork(const std::map<std::string, RegularSeries>& all, const std::vector<std::string>& policies,
                       ReplayOptions& options) {
    if (options.model != "auto" || !options.models.auto_includes_lstm || all.size() < 2 ||
        std::find(policies.begin(), policies.end(), "predictive") == policies.end())
        return Status::Ok();
    // Bad options are ReplaySeries' to report.
    if (!(options.test_fraction > 0 && options.test_fraction < 1) || options.boot_delay_s < 0) return Status::Ok();
    const UnixSeconds step = all.begin()->second.step;
    std::vector<FleetSeries> members;
    for (const auto& [id, s] : all) {
        if (s.step != step) return Status::Ok();  // one horizon in steps serves one grid only
        const std::size_t train = ReplayTrainingPoints(s.values.size(), options.test_fraction);
        members.push_back({std::span<const double>(s.values).first(train), s.start, s.step});
    }
    ModelOptions models = options.models;
    models.lstm.fleet_windows_per_epoch = LstmOptions::kBoundedFleetWindowsPerEpoch;  // see its comment
    auto fleet = TrainFleetForModels(
        members, ReplayHorizon(step, options.boot_delay_s, options.engine.flap_guard.lookahead_seconds), models);
    if (!fleet) return fleet.error();
    options.models.fleet = std::move(*fleet);
    options.models.fleet_replaces_lstm = true;
    return Status::Ok();
}

bool IsKnownPolicy(const std::string& name) {
    return name == "static" || name == "reactive" || name == "predictive" || name == "oracle" ||
           name == "perfect_forecast";
}

namespace {

// The resource the predictive policies plan for: c units per instance, the utilization band around the target.
Resource ReplayResource(double c, const ReplayOptions& o) {
    Resource r;
    r.name = "replay";
    r.capacity_per_instance = c;
    r.target_low = o.target - 0.05;
    r.target_high = o.target + 0.05;
    r.boot_delay_s = o.boot_delay_s;
    r.min_capacity = 1;
    r.max_capacity = 1 << 20;
    return r;
}

// "perfect_forecast": from every origin t in [first, n], the load of steps t .. t + horizon - 1 as it came (the last
// step's beyond the end), with bands of zero width that nothing widens.
std::unique_ptr<Policy> PerfectForecastPolicy(const RegularSeries& series, std::size_t first, double c,
                                              const ReplayOptions& o) {
    const int horizon = ReplayHorizon(series.step, o.boot_delay_s, o.engine.flap_guard.lookahead_seconds);
    const std::vector<double>& demand = series.values;
    const std::size_t n = demand.size();
    std::vector<double> points;
    points.reserve((n - first + 1) * static_cast<std::size_t>(horizon));
    for (std::size_t t = first; t <= n; ++t)
        for (int h = 0; h < horizon; ++h) points.push_back(demand[std::min(n - 1, t + static_cast<std::size_t>(h))]);
    Calibration exact;
    for (auto* offsets : {&exact.q90, &exact.q95, &exact.q99, &exact.mae})
        offsets->assign(static_cast<std::size_t>(horizon), 0.0);
    exact.accuracy = 1.0;
    EngineOptions exact_engine = o.engine;
    exact_engine.service_level.rate =
        0.0;  // never starved, so nothing to correct; and it must not narrow an exact forecast
    return std::make_unique<PredictivePolicy>(series, ReplayResource(c, o), first, horizon, std::move(points), exact,
                                              exact_engine);
}

}  // namespace

Result<SeriesReplay> ReplaySeries(const RegularSeries& series, const std::vector<std::string>& policies,
                                  const ReplayOptions& o) {
    for (const std::string& p : policies)
        if (!IsKnownPolicy(p))
            return MakeError(ErrorCode::kInvalidArgument, "unknown policy '" + p + "'; known: " + kPolicies);
    if (!(o.target > 0.1 && o.target < 0.95))
        return MakeError(ErrorCode::kInvalidArgument, "target utilization must be in (0.1, 0.95)");
    if (!(o.test_fraction > 0 && o.test_fraction < 1))
        return MakeError(ErrorCode::kInvalidArgument, "test fraction must be in (0, 1)");
    if (o.boot_delay_s < 0) return MakeError(ErrorCode::kInvalidArgument, "boot delay must not be negative");
    if (o.engine.stabilization_seconds < 0)
        return MakeError(ErrorCode::kInvalidArgument, "stabilization window must not be negative");
    if (series.step <= 0) return MakeError(ErrorCode::kInvalidArgument, "series step must be positive");
    const std::vector<double>& demand = series.values;
    const std::size_t n = demand.size();
    const std::size_t first = ReplayTrainingPoints(n, o.test_fraction);
    if (first < 8 || first >= n)
        return MakeError(ErrorCode::kUnprocessable,
                         "a series of " + std::to_string(n) + " steps is too short to replay");
    const std::span<const double> train(demand.data(), first);
    const double high = o.target + 0.05;

    SeriesReplay out;
    out.first_scored = first;
    out.demand.assign(demand.begin() + static_cast<std::ptrdiff_t>(first), demand.end());
    double c = o.capacity_per_instance;
    if (c <= 0) {
        std::vector<double> sorted(train.begin(), train.end());
        c = Quantile(sorted, 0.99) / 20.0;
        if (!(c > 0)) c = 1.0;  // an idle training part: any unit will do
    }
    out.capacity_per_instance = c;
    if (Status s = CheckReplayable(demand, c); !s) return s.error();
    const std::size_t boot_steps = BootSteps(o.boot_delay_s, series.step);

    for (const std::string& name : policies) {
        std::unique_ptr<Policy> policy;
        if (name == "static") {
            const double peak = *std::max_element(train.begin(), train.end());
            policy = std::make_unique<StaticPolicy>(std::max(1, InstancesFor(peak, c, high)));
        } else if (name == "oracle") {
            policy = std::make_unique<OraclePolicy>(demand, c, high, boot_steps);
        } else if (name == "reactive") {
            policy = std::make_unique<HpaPolicy>(demand, c, o.target, series.step);
        } else if (name == "perfect_forecast") {
            policy = PerfectForecastPolicy(series, first, c, o);
        } else {
            // Forecasts cover the planner's look-ahead: boot delay plus one step, plus the step in progress.
            const int horizon = ReplayHorizon(series.step, o.boot_delay_s, o.engine.flap_guard.lookahead_seconds);
            RegularSeries train_series{series.start, series.step, std::vector<double>(train.begin(), train.end()), {}};
            if (!series.missing.empty())
                train_series.missing.assign(series.missing.begin(),
                                            series.missing.begin() + static_cast<std::ptrdiff_t>(first));
            auto trained = TrainModel(o.model, train_series, horizon, o.models);
            if (!trained) return trained.error();
            std::vector<double> points;
            if (trained->Reweighs()) {  // as served: auto's weights follow its models' errors on the replayed load
                points = ForecastReweighed(*trained->point, trained->weights, series.start, demand, series.missing,
                                           first, first, horizon, series.step)
                             .forecasts;
            }
            if (points.empty()) trained->point->ForecastFromOrigins(demand, first, horizon, points);
            policy = std::make_unique<PredictivePolicy>(series, ReplayResource(c, o), first, horizon, std::move(points),
                                                        trained->bands, o.engine);
        }
        out.policies[name] = Run(*policy, series, first, c, boot_steps);
    }
    return out;
}

}  // namespace cloudopt

namespace cloudopt {

namespace {

// Checks shared by the sweep's entries; ReplaySeries keeps its own (its messages are tested).
Result<std::size_t> CheckedFirstScored(const RegularSeries& series, double c, const ReplayOptions& o) {
    if (series.step <= 0) return MakeError(ErrorCode::kInvalidArgument, "series step must be positive");
    if (!(c > 0)) return MakeError(ErrorCode::kInvalidArgument, "capacity per instance must be positive");
    if (!(o.test_fraction > 0 && o.test_fraction < 1))
        return MakeError(ErrorCode::kInvalidArgument, "test fraction must be in (0, 1)");
    if (o.boot_delay_s < 0) return MakeError(ErrorCode::kInvalidArgument, "boot delay must not be negative");
    const std::size_t n = series.values.size();
    const std::size_t first = ReplayTrainingPoints(n, o.test_fraction);
    if (first < 8 || first >= n)
        return MakeError(ErrorCode::kUnprocessable,
                         "a series of " + std::to_string(n) + " steps is too short to replay");
    if (Status s = CheckReplayable(series.values, c); !s) return s.error();
    return first;
}

class ExternalPolicy final : public Policy {
  public:
    explicit ExternalPolicy(const ExternalDecide& decide) : decide_(decide) {}
    int Decide(const Fleet& f) override { return decide_(f.k, f.count, f.ready_previous); }

  private:
    const ExternalDecide& decide_;
};

}  // namespace

Result<PolicyResult> ReplayExternalPolicy(const RegularSeries& series, double c, const ReplayOptions& o,
                                          const ExternalDecide& decide) {
    auto first = CheckedFirstScored(series, c, o);
    if (!first) return first.error();
    ExternalPolicy policy(decide);
    return Run(policy, series, *first, c, BootSteps(o.boot_delay_s, series.step));
}

Result<std::vector<PolicyResult>> ReplayPredictiveEngines(const RegularSeries& series, double c, const ReplayOptions& o,
                                                          const std::vector<EngineOptions>& engines) {
    auto checked = CheckedFirstScored(series, c, o);
    if (!checked) return checked.error();
    const std::size_t first = *checked;
    const std::vector<double>& demand = series.values;
    const int horizon = ReplayHorizon(series.step, o.boot_delay_s, o.engine.flap_guard.lookahead_seconds);
    RegularSeries train_series{series.start,
                               series.step,
                               std::vector<double>(demand.begin(), demand.begin() + static_cast<std::ptrdiff_t>(first)),
                               {}};
    if (!series.missing.empty())
        train_series.missing.assign(series.missing.begin(),
                                    series.missing.begin() + static_cast<std::ptrdiff_t>(first));
    auto trained = TrainModel(o.model, train_series, horizon, o.models);
    if (!trained) return trained.error();
    std::vector<double> points;
    if (trained->Reweighs())
        points = ForecastReweighed(*trained->point, trained->weights, series.start, demand, series.missing, first,
                                   first, horizon, series.step)
                     .forecasts;
    if (points.empty()) trained->point->ForecastFromOrigins(demand, first, horizon, points);
    const std::size_t boot_steps = BootSteps(o.boot_delay_s, series.step);
    std::vector<PolicyResult> out;
    for (const EngineOptions& engine : engines) {
        PredictivePolicy policy(series, ReplayResource(c, o), first, horizon, points, trained->bands, engine);
        out.push_back(Run(policy, series, first, c, boot_steps));
    }
    return out;
}

}  // namespace cloudopt
