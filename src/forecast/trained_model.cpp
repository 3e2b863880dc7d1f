#include "forecast/trained_model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <thread>

#include "core/sample.hpp"
#include "forecast/band_tracker.hpp"
#include "forecast/binary_io.hpp"
#include "forecast/lstm_fleet.hpp"
#include "forecast/lstm_model.hpp"
#include "forecast/model_choice.hpp"
#include "forecast/point_model.hpp"

namespace cloudopt {

std::string DescribeCombination(const std::vector<std::string>& parts, const std::vector<double>& weights) {
    std::string out = "combination(";
    bool any = false;
    for (std::size_t i = 0; i < weights.size() && i < parts.size(); ++i) {
        if (weights[i] <= 0) continue;
        char buf[48];
        std::snprintf(buf, sizeof buf, "%s%s=%.2f", any ? "," : "", parts[i].c_str(), weights[i]);
        out += buf;
        any = true;
    }
    return out + ")";
}

namespace {

const std::vector<std::string> kStatisticalModels = {"naive", "seasonal_naive", "holt_winters", "linear"};

std::unique_ptr<PointModel> MakeModel(const std::string& name, const ModelOptions& options, FitStage stage) {
    if (name == "naive") return MakeNaiveModel();
    if (name == "seasonal_naive") return MakeSeasonalNaiveModel();
    if (name == "holt_winters") return MakeHoltWintersModel();
    if (name == "linear") return MakeLinearModel();
    if (name == "lstm") return std::make_unique<LstmModel>(options.lstm);
    if (name == "lstm_fleet" || name == "lstm_tuned") {
        const auto& fleet = stage == FitStage::kCalibration ? options.fleet.calibration : options.fleet.full;
        return std::make_unique<LstmModel>(options.lstm, fleet,
                                           name == "lstm_fleet" ? LstmSource::kFleet : LstmSource::kTuned);
    }
    return nullptr;
}

// The models "auto" chooses among or combines.
std::vector<std::string> AutoCandidates(const ModelOptions& options) {
    std::vector<std::string> out;
    for (const std::string& name : kStatisticalModels)
        if (name != "linear" || options.auto_includes_linear) out.push_back(name);
    if (options.auto_includes_lstm && !(options.fleet && options.fleet_replaces_lstm))
        out.push_back(options.fleet && options.tune_fleet ? "lstm_tuned" : "lstm");
    if (options.auto_includes_lstm && options.fleet) out.push_back("lstm_fleet");
    return out;
}

ErrorSums Score(std::span<const double> values, std::span<const std::uint8_t> missing, std::size_t first,
                std::size_t last, int horizon, const std::vector<double>& forecasts) {
    ErrorSums sums;
    for (std::size_t t = first; t < last; ++t) {
        for (int h = 1; h <= horizon; ++h) {
            const std::size_t target = t + static_cast<std::size_t>(h) - 1;
            if (target >= values.size()) break;
            if (!Measured(missing, target)) continue;
            sums.abs_error +=
                std::abs(forecasts[(t - first) * static_cast<std::size_t>(horizon) + static_cast<std::size_t>(h - 1)] -
                         values[target]);
            sums.abs_actual += std::abs(values[target]);
        }
    }
    return sums;
}

// A weighted average of fitted base models' forecasts.
class CombinationModel final : public PointModel {
  public:
    CombinationModel(const std::vector<std::string>& names, std::vector<double> weights, const ModelOptions& options,
                     FitStage stage)
        : weights_(std::move(weights)) {
        for (const std::string& name : names) parts_.push_back(MakeModel(name, options, stage));
    }
    std::string name() const override { return "combination"; }
    Status Fit(std::span<const double> train, const SeriesContext& context) override {
        for (auto& part : parts_) {
            if (Status s = part->Fit(train, context); !s) return s;
        }
        return Status::Ok();
    }
    // The parts' states in order, each length-prefixed (the names and weights are kept by the caller).
    std::string SaveState() const override {
        std::string out;
        for (const auto& part : parts_) binary::PutString(out, part->SaveState());
        return out;
    }
    Status LoadState(std::string_view state, const SeriesContext& context) override {
        for (auto& part : parts_) {
            std::string part_state;
            if (!binary::GetString(state, part_state))
                return MakeError(ErrorCode::kInvalidArgument, "combination state: truncated");
            if (Status s = part->LoadState(part_state, context); !s) return s;
        }
        return state.empty() ? Status::Ok()
                             : MakeError(ErrorCode::kInvalidArgument, "combination state: trailing bytes");
    }
    void ForecastFromOrigins(std::span<const double> values, std::size_t first_origin, int horizon,
                             std::vector<double>& out) const override {
        Combine(std::nullopt, values, first_origin, horizon, out);
    }
    void ForecastFromOriginsAt(UnixSeconds start, std::span<const double> values, std::size_t first_origin, int horizon,
                               std::vector<double>& out) const override {
        Combine(start, values, first_origin, horizon, out);
    }
    void PartForecastsAt(UnixSeconds start, std::span<const double> values, std::size_t first_origin, int horizon,
                         std::vector<std::vector<double>>& out) const override {
        out.resize(parts_.size());
        for (std::size_t i = 0; i < parts_.size(); ++i)
            parts_[i]->ForecastFromOriginsAt(start, values, first_origin, horizon, out[i]);
    }

  private:
    void Combine(std::optional<UnixSeconds> start, std::span<const double> values, std::size_t first_origin,
                 int horizon, std::vector<double>& out) const {
        std::vector<double> part_out;
        for (std::size_t i = 0; i < parts_.size(); ++i) {
            if (start) {
                parts_[i]->ForecastFromOriginsAt(*start, values, first_origin, horizon, part_out);
            } else {
                parts_[i]->ForecastFromOrigins(values, first_origin, horizon, part_out);
            }
            if (i == 0) out.assign(part_out.size(), 0.0);
            for (std::size_t k = 0; k < out.size(); ++k) out[k] += weights_[i] * part_out[k];
        }
    }

    std::vector<double> weights_;
    std::vector<std::unique_ptr<PointModel>> parts_;
};

Calibration CalibrateForecasts(std::span<const double> values, std::span<const std::uint8_t> missing,
                               std::size_t first_origin, int horizon, const std::vector<double>& forecasts,
                               UnixSeconds start, UnixSeconds step);

// The interval CalibrateForecasts groups errors by phase on: 0 (none) when the options turn phase bands off.
UnixSeconds PhaseStep(const SeriesContext& context, const ModelOptions& options) {
    return options.phase_bands ? context.step : 0;
}

// A service that is stopping asks training to end (LstmTrainOptions::cancelled): checked between model fits too.
bool Cancelled(const ModelOptions& options) { return options.lstm.train.cancelled && options.lstm.train.cancelled(); }

// "auto": each base model is fitted on the part before the last n_cal points and forecasts there; the choice is
// the convex combination of them with the lowest error on that window (which may be a single model). Combining
// helps where the models err differently, e.g. the LSTM and naive on bursty series.
Chosen ChooseModel(std::span<const double> values, std::span<const std::uint8_t> missing, const SeriesContext& context,
                   std::size_t n_cal, const ModelOptions& options) {
    const int horizon = context.horizon;
    const std::size_t n = values.size();
    const UnixSeconds phase_step = PhaseStep(context, options);
    const std::span<const double> fit_part = values.first(n - n_cal);
    Choice best{"naive", {}, {}};
    std::size_t best_index = 0;
    double best_wape = std::numeric_limits<double>::infinity();
    std::vector<std::vector<double>> forecasts;
    std::vector<double> wapes;
    const std::vector<std::string> candidates = AutoCandidates(options);
    for (const std::string& candidate : candidates) {
        if (Cancelled(options)) return Chosen{best, {}, candidates};  // ChooseAndCalibrate turns it into an error
        auto model = MakeModel(candidate, options, FitStage::kCalibration);
        std::vector<double> f;
        double wape = std::numeric_limits<double>::infinity();
        if (model->Fit(fit_part, context)) {
            model->ForecastFromOrigins(values, n - n_cal, horizon, f);
            wape = Score(values, missing, n - n_cal, n, horizon, f).wape();
        }
        if (wape < best_wape) {
            best_wape = wape;
            best = {candidate, {}, {}};
            best_index = forecasts.size();
        }
        forecasts.push_back(std::move(f));
        wapes.push_back(wape);
    }
    auto single = [&] {
        if (forecasts[best_index].empty()) {  // nothing could be fitted: the last value, with its own bands
            MakeNaiveModel()->ForecastFromOrigins(values, n - n_cal, horizon, forecasts[best_index]);
        }
        return Chosen{
            best,
            CalibrateForecasts(values, missing, n - n_cal, horizon, forecasts[best_index], context.start, phase_step),
            candidates};
    };
    std::vector<std::size_t> usable;
    for (std::size_t i = 0; i < forecasts.size(); ++i)
        if (std::isfinite(wapes[i]) && !forecasts[i].empty()) usable.push_back(i);
    if (usable.size() < 2) return single();
    std::vector<std::span<const double>> usable_forecasts;
    for (std::size_t i : usable) usable_forecasts.emplace_back(forecasts[i]);
    const std::vector<double> fitted = FitCombinationWeights(values, missing, n - n_cal, horizon, usable_forecasts);
    if (fitted.empty()) return single();
    Choice combination{"combination", {}, {}};
    std::vector<double> combined(forecasts[usable[0]].size(), 0.0);
    for (std::size_t j = 0; j < usable.size(); ++j) {
        // A model without weight is fitted again only when re-weighing may give it some later.
        if (fitted[j] <= 0 && !options.reweigh) continue;
        combination.parts.push_back(candidates[usable[j]]);
        combination.weights.push_back(fitted[j]);
        if (fitted[j] <= 0) continue;
        for (std::size_t k = 0; k < combined.size(); ++k) combined[k] += fitted[j] * forecasts[usable[j]][k];
    }
    if (combination.parts.size() == 1) {
        return Chosen{{combination.parts[0], {}, {}},
                      CalibrateForecasts(values, missing, n - n_cal, horizon, combined, context.start, phase_step),
                      candidates};
    }
    return Chosen{combination,
                  CalibrateForecasts(values, missing, n - n_cal, horizon, combined, context.start, phase_step),
                  candidates};
}

}  // namespace

std::unique_ptr<PointModel> Choice::Make(const ModelOptions& options, FitStage stage) const {
    return name == "combination" ? std::make_unique<CombinationModel>(parts, weights, options, stage)
                                 : MakeModel(name, options, stage);
}

std::string Choice::Describe() const { return name == "combination" ? DescribeCombination(parts, weights) : name; }

Result<Chosen> ChooseAndCalibrate(const std::string& model_name, std::span<const double> values,
                                  std::span<const std::uint8_t> missing, const SeriesContext& context,
                                  std::size_t n_cal, const ModelOptions& options) {
    if (model_name == "auto") {
        Chosen chosen = ChooseModel(values, missing, context, n_cal, options);
        if (Cancelled(options)) return MakeError(ErrorCode::kUnavailable, "training was cancelled");
        return chosen;
    }
    Chosen chosen{Choice{model_name, {}, {}}, {}, {model_name}};
    auto model = chosen.choice.Make(options, FitStage::kCalibration);
    if (Status s = model->Fit(values.first(values.size() - n_cal), context); !s) return s.error();
    chosen.bands = Calibrate(*model, values, values.size() - n_cal, context.horizon, missing, context.start,
                             PhaseStep(context, options));
    return chosen;
}

ModelOptions ServiceModelOptions(int train_epochs, const LstmShapeSettings& shape, bool phase_bands, bool reweigh) {
    ModelOptions options;
    options.auto_includes_lstm = train_epochs > 0;
    options.phase_bands = phase_bands;
    options.reweigh = reweigh;
    options.lstm.train.epochs = std::max(1, train_epochs);
    shape.ApplyTo(options.lstm);
    return options;
}

std::unique_ptr<PointModel> MakePointModel(const std::string& base, const std::vector<std::string>& parts,
                                           const std::vector<double>& weights, const ModelOptions& options) {
    return Choice{base, parts, weights}.Make(options);
}

std::size_t CalibrationPoints(std::size_t points) {
    return static_cast<std::size_t>(std::floor(static_cast<double>(points) * kCalibrationFraction));
}

Result<TrainedModel> TrainModel(const std::string& model_name, const RegularSeries& series, int horizon,
                                const ModelOptions& options) {
    if (!IsKnownModel(model_name))
        return MakeError(ErrorCode::kInvalidArgument, "unknown model '" + model_name + "'; known: " + kKnownModels);
    if (horizon < 1) return MakeError(ErrorCode::kInvalidArgument, "horizon must be at least 1");
    const std::span<const double> values(series.values);
    const std::size_t n = values.size();
    const double calibration_fraction = kCalibrationFraction;
    const std::size_t n_cal = CalibrationPoints(n);
    if (n_cal < static_cast<std::size_t>(horizon) + 2)
        return MakeError(ErrorCode::kUnprocessable,
                         "a forecast " + std::to_string(horizon) + " steps ahead needs at least " +
                             std::to_string(static_cast<int>(std::ceil((horizon + 2) / calibration_fraction))) +
                             " points, the series has " + std::to_string(n));
    const SeriesContext context{DetectSeason(values, series.step), series.start, series.step, horizon};
    auto chosen = ChooseAndCalibrate(model_name, values, series.missing, context, n_cal, options);
    if (!chosen) return chosen.error();
    const Choice& choice = chosen->choice;
    TrainedModel trained;
    trained.model = model_name;
    trained.base = choice.name;
    trained.parts = choice.parts;
    trained.weights = choice.weights;
    trained.chosen = choice.Describe();
    trained.candidates = chosen->candidates;
    trained.context = context;
    trained.reweigh = options.reweigh;
    trained.point = choice.Make(options);
    if (Status s = trained.point->Fit(values, context); !s) return s.error();
    if (Cancelled(options)) return MakeError(ErrorCode::kUnavailable, "training was cancelled");
    trained.bands = std::move(chosen->bands);
    return trained;
}

Result<Forecast> ForecastWith(const TrainedModel& trained, const RegularSeries& series, int horizon,
                              const Calibration* tracked, std::span<const double> weights) {
    const Calibration& bands = tracked ? *tracked : trained.bands;
    const std::size_t steps = trained.bands.q90.size();
    if (horizon < 1 || horizon > static_cast<int>(steps) || bands.q90.size() != steps || bands.q95.size() != steps ||
        bands.q99.size() != steps || !bands.phase.Consistent(steps))
        return MakeError(ErrorCode::kInvalidArgument,
                         "this model was trained for horizons 1.." + std::to_string(steps));
    if (series.values.empty()) return MakeError(ErrorCode::kUnprocessable, "no history to forecast from");
    std::vector<double> points;
    Forecast f;
    f.model = trained.chosen;
    const bool reweighed = trained.Reweighs() && weights.size() == trained.parts.size() &&
                           !std::equal(weights.begin(), weights.end(), trained.weights.begin());
    if (reweighed) {
        std::vector<std::vector<double>> parts;
        trained.point->PartForecastsAt(series.start, series.values, series.values.size(), horizon, parts);
        points.assign(static_cast<std::size_t>(horizon), 0.0);
        for (std::size_t i = 0; i < parts.size(); ++i)
            for (std::size_t k = 0; k < points.size(); ++k) points[k] += weights[i] * parts[i][k];
        f.model = DescribeCombination(trained.parts, {weights.begin(), weights.end()}) +
                  ", re-weighed since training from " + trained.chosen;
    } else {
        trained.point->ForecastFromOriginsAt(series.start, series.values, series.values.size(), horizon, points);
    }
    f.step = series.step;
    f.generated_at = series.end();
    f.accuracy = trained.bands.accuracy;
    for (std::size_t k = 0; k < static_cast<std::size_t>(horizon); ++k) {
        f.points.push_back(bands.Point(k, series.end() + static_cast<UnixSeconds>(k) * series.step, points[k]));
    }
    return f;
}

Reweighed ForecastReweighed(const PointModel& model, std::span<const double> prior, UnixSeconds start,
                            std::span<const double> values, std::span<const std::uint8_t> missing, std::size_t first,
                            std::size_t fresh, int horizon, long long step_seconds) {
    const ReweighSchedule schedule = DefaultReweighSchedule(step_seconds);
    const std::size_t from = ReweighFrom(first, std::min(fresh, first), schedule);
    std::vector<std::vector<double>> parts;
    model.PartForecastsAt(start, values, from, horizon, parts);
    if (parts.empty() || parts.size() != prior.size()) return {};
    const std::vector<std::span<const double>> views(parts.begin(), parts.end());
    return CombineReweighed(values, missing, views, from, first, std::min(fresh, first), horizon, prior, schedule);
}

Result<Forecast> ForecastSeries(const std::string& model_name, const RegularSeries& series, int horizon,
                                const ModelOptions& options) {
    auto trained = TrainModel(model_name, series, horizon, options);
    if (!trained) return trained.error();
    return ForecastWith(*trained, series, horizon);
}

Calibration Calibrate(const PointModel& model, std::span<const double> values, std::size_t first_origin, int horizon,
                      std::span<const std::uint8_t> missing, UnixSeconds start, UnixSeconds step) {
    std::vector<double> forecasts;
    model.ForecastFromOrigins(values, first_origin, horizon, forecasts);
    return CalibrateForecasts(values, missing, first_origin, horizon, forecasts, start, step);
}

namespace {

Calibration CalibrateForecasts(std::span<const double> values, std::span<const std::uint8_t> missing,
                               std::size_t first_origin, int horizon, const std::vector<double>& forecasts,
                               UnixSeconds start, UnixSeconds step) {
    const auto h = static_cast<std::size_t>(horizon);
    const std::size_t n = values.size();
    std::vector<std::vector<double>> errors(h);
    std::vector<std::vector<TimedError>> timed(step > 0 ? h : 0);
    ErrorSums sums;
    for (std::size_t t = first_origin; t < n; ++t) {
        for (std::size_t k = 0; k < h && t + k < n; ++k) {
            if (!Measured(missing, t + k)) continue;
            const double f = forecasts[(t - first_origin) * h + k];
            errors[k].push_back(values[t + k] - f);
            if (step > 0) timed[k].push_back({start + static_cast<UnixSeconds>(t + k) * step, values[t + k] - f, f});
            sums.abs_error += std::abs(values[t + k] - f);
            sums.abs_actual += std::abs(values[t + k]);
        }
    }
    Calibration c;
    c.q90.assign(h, 0.0);
    c.q95.assign(h, 0.0);
    c.q99.assign(h, 0.0);
    c.mae.assign(h, 0.0);
    for (std::size_t k = 0; k < h; ++k) {
        if (errors[k].empty()) continue;
        for (double e : errors[k]) c.mae[k] += std::abs(e);
        c.mae[k] /= static_cast<double>(errors[k].size());
        c.q90[k] = ConformalOffset(errors[k], 0.90);
        c.q95[k] = ConformalOffset(errors[k], 0.95);
        c.q99[k] = ConformalOffset(errors[k], 0.99);
    }
    c.accuracy = sums.abs_actual > 0 ? 1.0 - sums.abs_error / sums.abs_actual : 0.0;
    if (step > 0) c.phase = ChoosePhaseBands(timed, step);
    return c;
}

}  // namespace

bool IsKnownModel(const std::string& name) {
    return name == "auto" || name == "lstm" || name == "lstm_fleet" || name == "lstm_tuned" ||
           std::find(kStatisticalModels.begin(), kStatisticalModels.end(), name) != kStatisticalModels.end();
}

Result<FleetNetworks> TrainFleetPair(std::span<const FleetSeries> series, int horizon, const LstmOptions& lstm,
                                     const std::function<std::size_t(std::size_t)>& calibration_points,
                                     const std::function<std::size_t(std::size_t)>& full_points) {
    const auto started = std::chrono::steady_clock::now();
    if (horizon < 1) return MakeError(ErrorCode::kInvalidArgument, "horizon must be at least 1");
    std::vector<FleetMember> calibration, full;
    for (const FleetSeries& s : series) {
        calibration.push_back({s.values.first(calibration_points(s.values.size())), s.start, s.step});
        full.push_back({s.values.first(full_points(s.values.size())), s.start, s.step});
    }
    FleetNetworks networks;
    // The two networks are independent: on two cores or more each trains on half of them at once, which beats
    // splitting every batch across all cores one network after the other (each batch ends in a synchronization).
    // Callbacks stay on one thread: the networks then train one after the other.
    const int cores = lstm.train.threads > 0 ? lstm.train.threads
                                             : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    Result<std::shared_ptr<const LstmFleet>> first = MakeError(ErrorCode::kInternal, "not trained");
    Result<std::shared_ptr<const LstmFleet>> second = first;
    if (cores >= 2 && !lstm.train.on_epoch && !lstm.train.cancelled) {
        LstmOptions half = lstm;
        half.train.threads = cores / 2;
        std::jthread other([&] { first = TrainLstmFleet(calibration, horizon, half); });  // joined on every path
        second = TrainLstmFleet(full, horizon, half);
        other.join();
    } else {
        first = TrainLstmFleet(calibration, horizon, lstm);
        if (first) second = TrainLstmFleet(full, horizon, lstm);
    }
    if (!first) return first.error();
    if (!second) return second.error();
    networks.calibration = std::move(*first);
    networks.full = std::move(*second);
    networks.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return networks;
}

Result<FleetNetworks> TrainFleetForModels(std::span<const FleetSeries> series, int horizon,
                                          const ModelOptions& options) {
    return TrainFleetPair(
        series, horizon, options.lstm, [](std::size_t n) { return n - CalibrationPoints(n); },
        [](std::size_t n) { return n; });
}

int DetectSeason(std::span<const double> values, long long step) {
    if (step <= 0) return 1;
    const double mean = [&] {
        double s = 0;
        for (double v : values) s += v;
        return values.empty() ? 0.0 : s / static_cast<double>(values.size());
    }();
    double var = 0;
    for (double v : values) var += (v - mean) * (v - mean);
    if (var <= 0) return 1;
    auto acf = [&](std::size_t lag) {
        double c = 0;
        for (std::size_t t = lag; t < values.size(); ++t) c += (values[t] - mean) * (values[t - lag] - mean);
        return c / var;
    };
    // A season must repeat at least twice in the data and explain a clear share of the variance.
    constexpr double kMinAutocorrelation = 0.3;
    int best = 1;
    double best_acf = kMinAutocorrelation;
    for (long long period : {86400LL, 7 * 86400LL}) {
        if (period % step != 0) continue;
        const auto lag = static_cast<std::size_t>(period / step);
        if (lag < 2 || values.size() < 2 * lag) continue;
        const double r = acf(lag);
        if (r > best_acf) {
            best_acf = r;
            best = static_cast<int>(lag);
        }
    }
    return best;
}

}  // namespace cloudopt
