#include "forecast/lstm_model.hpp"

#include "forecast/binary_io.hpp"

#include <cmath>
#include <cstring>
#include <numbers>

namespace cloudopt {

void CalendarFeatures(UnixSeconds ts, float out[4]) {
    constexpr double kTwoPi = 2 * std::numbers::pi;
    const double day = static_cast<double>(((ts % 86400) + 86400) % 86400) / 86400.0;
    const double week = static_cast<double>(((ts % 604800) + 604800) % 604800) / 604800.0;
    out[0] = static_cast<float>(std::sin(kTwoPi * day));
    out[1] = static_cast<float>(std::cos(kTwoPi * day));
    out[2] = static_cast<float>(std::sin(kTwoPi * week));
    out[3] = static_cast<float>(std::cos(kTwoPi * week));
}

LstmScaling ScalingOf(std::span<const double> train, bool log_scale) {
    const double count = static_cast<double>(std::max<std::size_t>(1, train.size()));
    LstmScaling scaling;
    if (log_scale) {
        for (double v : train) scaling.level += std::max(0.0, v);
        scaling.level /= count;
        if (!(scaling.level > 0) || !std::isfinite(scaling.level)) scaling.level = 0;  // nothing to take the log of
    }
    // The mean and deviation of what the network reads: the load itself, or its log.
    const LstmScaling unit{0.0, 1.0, scaling.level};
    double mean = 0;
    for (double v : train) mean += unit.Scaled(v);
    mean /= count;
    double var = 0;
    for (double v : train) var += (unit.Scaled(v) - mean) * (unit.Scaled(v) - mean);
    const double sd = std::sqrt(var / count);
    scaling.offset = mean;
    scaling.scale = sd > 1e-9 * (std::abs(mean) + 1) ? sd : 1.0;
    return scaling;
}

void PrepareLstmInputs(std::span<const double> values, UnixSeconds first_ts, long long step, LstmScaling scaling,
                       Eigen::MatrixXf& features, std::vector<float>& scaled) {
    const auto n = static_cast<Eigen::Index>(values.size());
    features.resize(5, n);
    scaled.resize(values.size());
    for (Eigen::Index i = 0; i < n; ++i) {
        const auto v = static_cast<float>(scaling.Scaled(values[static_cast<std::size_t>(i)]));
        scaled[static_cast<std::size_t>(i)] = v;
        float calendar[4];
        CalendarFeatures(first_ts + static_cast<UnixSeconds>(i) * step, calendar);
        features(0, i) = v;
        for (int k = 0; k < 4; ++k) features(k + 1, i) = calendar[k];
    }
}

void AppendTrainingWindows(std::size_t points, std::size_t first_column, const LstmShape& shape,
                           double validation_fraction, std::vector<std::size_t>& train,
                           std::vector<std::size_t>& validation) {
    std::vector<std::size_t> origins;
    for (auto t = static_cast<std::size_t>(shape.window); t + static_cast<std::size_t>(shape.outputs) <= points; ++t)
        origins.push_back(first_column + t);
    const auto n_val = static_cast<std::size_t>(std::floor(static_cast<double>(origins.size()) * validation_fraction));
    // The validation windows come last in time; drop the training windows whose targets overlap them.
    const std::size_t n_train = origins.size() - n_val;
    const std::size_t gap = n_val > 0 ? std::min(n_train, static_cast<std::size_t>(shape.outputs - 1)) : 0;
    train.insert(train.end(), origins.begin(), origins.begin() + static_cast<std::ptrdiff_t>(n_train - gap));
    validation.insert(validation.end(), origins.begin() + static_cast<std::ptrdiff_t>(n_train), origins.end());
}

Status LstmModel::FitFromFleet(std::span<const double> train, const SeriesContext& context) {
    if (!fleet_)
        return MakeError(ErrorCode::kInvalidArgument,
                         "lstm_fleet: no fleet network to fit from; it is trained across the series of a file "
                         "(cloudopt backtest) before the series are fitted");
    if (fleet_->shape.outputs < context.horizon)
        return MakeError(ErrorCode::kInvalidArgument, "lstm_fleet: the fleet network forecasts " +
                                                          std::to_string(fleet_->shape.outputs) + " steps, " +
                                                          std::to_string(context.horizon) + " are needed");
    context_ = context;
    shape_ = fleet_->shape;
    scaling_ = ScalingOf(train, fleet_->log_scale);
    trained_ = TrainResult{};
    trained_.params = fleet_->params;
    trained_.epochs_run = fleet_->epochs_run;
    fused_ = fleet_->fused;
    return Status::Ok();
}

Status LstmModel::Fit(std::span<const double> train, const SeriesContext& context) {
    if (source_ == LstmSource::kFleet) return FitFromFleet(train, context);
    if (source_ == LstmSource::kOwn) return TrainOwn(train, context, options_.train, options_.scale == LstmScale::kLog);
    if (!fleet_)
        return MakeError(ErrorCode::kInvalidArgument,
                         "lstm_tuned: no fleet network to start from; it is trained across the series of a file "
                         "(cloudopt backtest) before the series are fitted");
    const LstmShape& s = fleet_->shape;
    if (s.hidden != options_.hidden || s.layers != options_.layers || s.window != options_.window ||
        s.outputs != std::max(1, context.horizon))
        return MakeError(ErrorCode::kInvalidArgument,
                         "lstm_tuned: the fleet network's shape (hidden " + std::to_string(s.hidden) + ", layers " +
                             std::to_string(s.layers) + ", window " + std::to_string(s.window) + ", " +
                             std::to_string(s.outputs) + " steps) differs from this one's; train them alike");
    LstmTrainOptions tune = options_.train;
    tune.initial_params = fleet_->params;
    tune.learning_rate = kLstmTuneLearningRate;
    return TrainOwn(train, context, tune, fleet_->log_scale);  // the fleet's weights read its scale
}

Status LstmModel::TrainOwn(std::span<const double> train, const SeriesContext& context,
                           const LstmTrainOptions& train_options, bool log_scale) {
    context_ = context;
    shape_ = LstmShape{.inputs = 5,
                       .hidden = options_.hidden,
                       .layers = options_.layers,
                       .window = options_.window,
                       .outputs = std::max(1, context.horizon)};
    if (shape_.hidden < 1 || shape_.layers < 1 || shape_.layers > 2 || shape_.window < 2)
        return MakeError(ErrorCode::kInvalidArgument, "lstm: hidden >= 1, layers 1 or 2 and window >= 2 are required");
    // At least a few dozen windows, or the validation split has nothing to say.
    const std::size_t needed = static_cast<std::size_t>(shape_.window + shape_.outputs) + 32;
    if (train.size() < needed)
        return MakeError(ErrorCode::kUnprocessable, "lstm needs at least " + std::to_string(needed) +
                                                        " points (window + horizon + 32), has " + std::to_string(train.size()));
    scaling_ = ScalingOf(train, log_scale);

    Eigen::MatrixXf features;
    std::vector<float> scaled;
    PrepareLstmInputs(train, context_.start, context_.step, scaling_, features, scaled);
    std::vector<std::size_t> train_origins, validation_origins;
    AppendTrainingWindows(train.size(), 0, shape_, options_.validation_fraction, train_origins, validation_origins);
    WindowSource source{&features, scaled, scaling_};
    trained_ = TrainLstm(LstmLayout(shape_), source, train_origins, validation_origins, train_options);
    fused_ = FuseForInference(LstmLayout(shape_), trained_.params.data());
    return Status::Ok();
}

void LstmModel::ForecastFromOriginsAt(UnixSeconds start, std::span<const double> values, std::size_t first_origin,
                                      int horizon, std::vector<double>& out) const {
    out.clear();
    if (first_origin > values.size() || trained_.params.empty()) return;
    // Only the points the windows read are prepared: a forecast from the end of a long history reads `window`.
    const std::size_t first = std::max<std::size_t>(first_origin, 1);
    const std::size_t lo = first > static_cast<std::size_t>(shape_.window) ? first - static_cast<std::size_t>(shape_.window) : 0;
    Eigen::MatrixXf features;
    std::vector<float> scaled;
    PrepareLstmInputs(values.subspan(lo), start + static_cast<UnixSeconds>(lo) * context_.step, context_.step,
                      scaling_, features, scaled);
    std::vector<std::size_t> origins;
    for (std::size_t t = first; t <= values.size(); ++t) origins.push_back(t - lo);
    std::vector<float> changes;
    PredictLstm(LstmLayout(shape_), trained_.params, WindowSource{&features, scaled, scaling_}, origins,
                options_.train.threads, changes, &fused_);
    const auto outputs = static_cast<std::size_t>(shape_.outputs);
    out.reserve(origins.size() * static_cast<std::size_t>(horizon));
    for (std::size_t k = 0; k < origins.size(); ++k) {
        const double last = scaled[origins[k] - 1];
        for (int h = 0; h < horizon; ++h) {
            // Beyond the trained horizon the last step's forecast is held.
            const std::size_t j = std::min(static_cast<std::size_t>(h), outputs - 1);
            out.push_back(scaling_.Original(last + changes[k * outputs + j]));
        }
    }
}

// Format v2, little-endian: "COLSTM02", int32 inputs hidden layers window outputs, int64 start step, f64 offset
// scale level (0: the linear scale), u64 parameter count, f32 parameters. v1 ("COLSTM01") has no level: linear.
namespace {
constexpr char kLstmMagic[8] = {'C', 'O', 'L', 'S', 'T', 'M', '0', '2'};
constexpr char kLstmMagicV1[8] = {'C', 'O', 'L', 'S', 'T', 'M', '0', '1'};
using binary::Get;
using binary::Put;
}  // namespace

std::string LstmModel::Serialize() const {
    std::string out(kLstmMagic, sizeof kLstmMagic);
    for (int v : {shape_.inputs, shape_.hidden, shape_.layers, shape_.window, shape_.outputs}) Put<std::int32_t>(out, v);
    Put<std::int64_t>(out, context_.start);
    Put<std::int64_t>(out, context_.step);
    Put<double>(out, scaling_.offset);
    Put<double>(out, scaling_.scale);
    Put<double>(out, scaling_.level);
    Put<std::uint64_t>(out, trained_.params.size());
    out.append(reinterpret_cast<const char*>(trained_.params.data()), trained_.params.size() * sizeof(float));
    return out;
}

Status LstmModel::LoadState(std::string_view state, const SeriesContext&) {
    auto loaded = Deserialize(state);
    if (!loaded) return loaded.error();
    const LstmSource source = source_;  // a loaded "lstm_fleet" or "lstm_tuned" keeps its name; the weights are its own
    *this = std::move(*loaded);
    source_ = source;
    return Status::Ok();
}

Result<LstmModel> LstmModel::Deserialize(std::string_view in) {
    auto bad = [](const std::string& why) { return MakeError(ErrorCode::kInvalidArgument, "lstm model: " + why); };
    const bool v1 = in.size() >= sizeof kLstmMagicV1 && std::memcmp(in.data(), kLstmMagicV1, sizeof kLstmMagicV1) == 0;
    if (!v1 && (in.size() < sizeof kLstmMagic || std::memcmp(in.data(), kLstmMagic, sizeof kLstmMagic) != 0))
        return bad("not an LSTM model of format v1 or v2 (wrong magic)");
    in.remove_prefix(sizeof kLstmMagic);
    std::int32_t dims[5];
    std::int64_t start = 0, step = 0;
    double offset = 0, scale = 0, level = 0;
    std::uint64_t count = 0;
    for (std::int32_t& d : dims)
        if (!Get(in, d)) return bad("truncated header");
    if (!Get(in, start) || !Get(in, step) || !Get(in, offset) || !Get(in, scale) || (!v1 && !Get(in, level)) ||
        !Get(in, count))
        return bad("truncated header");
    const LstmShape shape{dims[0], dims[1], dims[2], dims[3], dims[4]};
    if (!PlausibleLstmShape(shape) || !binary::PlausibleGrid(start, step) || !(scale > 0) || !std::isfinite(offset) ||
        !(level >= 0) || !std::isfinite(level))
        return bad("implausible shape or scaling");
    if (count != LstmLayout(shape).size()) return bad("parameter count does not match the shape");
    if (in.size() != count * sizeof(float)) return bad("size does not match the parameter count");
    LstmOptions options;
    options.hidden = shape.hidden;
    options.layers = shape.layers;
    options.window = shape.window;
    LstmModel model(options);
    model.shape_ = shape;
    model.context_.start = start;
    model.context_.step = step;
    model.context_.horizon = shape.outputs;
    model.scaling_ = {offset, scale, level};
    model.trained_.params.resize(count);
    std::memcpy(model.trained_.params.data(), in.data(), in.size());
    model.fused_ = FuseForInference(LstmLayout(shape), model.trained_.params.data());
    return model;
}

}  // namespace cloudopt
