#include "forecast/lstm_fleet.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace cloudopt {

Result<std::shared_ptr<const LstmFleet>> TrainLstmFleet(std::span<const FleetMember> members, int horizon,
                                                        const LstmOptions& options) {
    const LstmShape shape{.inputs = 5,
                          .hidden = options.hidden,
                          .layers = options.layers,
                          .window = options.window,
                          .outputs = std::max(1, horizon)};
    if (shape.hidden < 1 || shape.layers < 1 || shape.layers > 2 || shape.window < 2)
        return MakeError(ErrorCode::kInvalidArgument, "lstm: hidden >= 1, layers 1 or 2 and window >= 2 are required");
    const std::size_t needed = static_cast<std::size_t>(shape.window + shape.outputs) + 32;
    std::size_t columns = 0, used = 0;
    for (const FleetMember& m : members) {
        if (m.train.size() >= needed) {
            columns += m.train.size();
            ++used;
        }
    }
    const bool log_scale = options.scale == LstmScale::kLog;
    if (used == 0)
        return MakeError(ErrorCode::kUnprocessable, "lstm_fleet: no series has the " + std::to_string(needed) +
                                                        " points (window + horizon + 32) a network needs");
    // The members one after another in one feature matrix; no window crosses from one member into the next.
    Eigen::MatrixXf features(shape.inputs, static_cast<Eigen::Index>(columns));
    std::vector<float> scaled(columns);
    std::vector<std::size_t> train, validation;
    Eigen::MatrixXf member_features;
    std::vector<float> member_scaled;
    std::size_t column = 0;
    for (const FleetMember& m : members) {
        if (m.train.size() < needed) continue;
        PrepareLstmInputs(m.train, m.start, m.step, ScalingOf(m.train, log_scale), member_features, member_scaled);
        const auto n = static_cast<Eigen::Index>(m.train.size());
        features.middleCols(static_cast<Eigen::Index>(column), n) = member_features;
        std::copy(member_scaled.begin(), member_scaled.end(), scaled.begin() + static_cast<std::ptrdiff_t>(column));
        AppendTrainingWindows(m.train.size(), column, shape, options.validation_fraction, train, validation);
        column += m.train.size();
    }
    // Values are already scaled per member, so the source's own scaling is the identity.
    const WindowSource source{&features, scaled, LstmScaling{}};
    LstmTrainOptions train_options = options.train;
    train_options.windows_per_epoch = options.fleet_windows_per_epoch;
    TrainResult trained = TrainLstm(LstmLayout(shape), source, train, validation, train_options);
    auto fleet = std::make_shared<LstmFleet>();
    fleet->shape = shape;
    fleet->log_scale = log_scale;
    fleet->params = std::move(trained.params);
    fleet->fused = FuseForInference(LstmLayout(shape), fleet->params.data());
    fleet->epochs_run = trained.epochs_run;
    fleet->series = used;
    fleet->windows_trained = trained.windows_trained;
    return std::shared_ptr<const LstmFleet>(std::move(fleet));
}

}  // namespace cloudopt
