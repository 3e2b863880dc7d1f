#pragma once
// The LSTM forecaster: inputs per step are the scaled value and the calendar (hour of day and day of week as
// sin/cos), the network emits the change from the last value for every horizon step at once, and training
// holds back the last windows of the training data to stop early (lstm_trainer.hpp).

#include <memory>
#include <string>
#include <vector>

#include "forecast/lstm_network.hpp"
#include "forecast/lstm_trainer.hpp"
#include "forecast/point_model.hpp"

namespace cloudopt {

// Calendar features of a unix time: sin/cos of the hour of day and of the day of week.
void CalendarFeatures(UnixSeconds ts, float out[4]);

// How the LSTM scales a series: by the mean and standard deviation of its training values, on the log scale those
// of log(1 + value / mean value) (a constant series keeps its units; a series without positive values stays linear).
LstmScaling ScalingOf(std::span<const double> train, bool log_scale = false);
// The network's inputs for `values` (value i at first_ts + i * step): features (5 x n) and the scaled values.
void PrepareLstmInputs(std::span<const double> values, UnixSeconds first_ts, long long step, LstmScaling scaling,
                       Eigen::MatrixXf& features, std::vector<float>& scaled);

// The windows the LSTM trains on in a series of `points` points whose first point is column `first_column` of the
// features: appended to `train`, and the latest `validation_fraction` of them to `validation` (early stopping).
void AppendTrainingWindows(std::size_t points, std::size_t first_column, const LstmShape& shape,
                           double validation_fraction, std::vector<std::size_t>& train,
                           std::vector<std::size_t>& validation);

// A network trained on the windows of many series at once (lstm_fleet.hpp).
struct LstmFleet {
    LstmShape shape;
    bool log_scale = false;  // the scale its members are read on (LstmScale)
    std::vector<float> params;
    LstmFusedWeights fused;
    int epochs_run = 0;
    std::size_t series = 0;           // how many series it was trained on
    std::size_t windows_trained = 0;  // over all epochs (LstmOptions::fleet_windows_per_epoch bounds each)
};

// Where an LSTM's weights come from: its own training ("lstm"), a fleet's network as it is ("lstm_fleet"), or a
// fleet's network trained further on this series alone ("lstm_tuned").
enum class LstmSource { kOwn, kFleet, kTuned };

// The learning rate of fine-tuning a fleet's network on one series: a third of training's, so that the shapes the
// fleet learned are adjusted rather than overwritten (docs/FORECASTING.md, "lstm_tuned").
inline constexpr double kLstmTuneLearningRate = 3e-4;

class LstmModel final : public PointModel {
public:
    explicit LstmModel(LstmOptions options = {}) : options_(std::move(options)) {}
    // "lstm_fleet": the network comes from `fleet`, trained across series; Fit only takes this series' scaling.
    // "lstm_tuned": Fit starts from `fleet`'s weights and trains on this series (at kLstmTuneLearningRate).
    // Without a fleet either can still load a saved state, but not fit.
    LstmModel(LstmOptions options, std::shared_ptr<const LstmFleet> fleet, LstmSource source = LstmSource::kFleet)
        : options_(std::move(options)), fleet_(std::move(fleet)), source_(source) {}
    std::string name() const override {
        return source_ == LstmSource::kFleet ? "lstm_fleet" : source_ == LstmSource::kTuned ? "lstm_tuned" : "lstm";
    }
    Status Fit(std::span<const double> train, const SeriesContext& context) override;
    void ForecastFromOrigins(std::span<const double> values, std::size_t first_origin, int horizon,
                             std::vector<double>& out) const override {
        ForecastFromOriginsAt(context_.start, values, first_origin, horizon, out);
    }
    void ForecastFromOriginsAt(UnixSeconds start, std::span<const double> values, std::size_t first_origin, int horizon,
                               std::vector<double>& out) const override;

    const TrainResult& training() const { return trained_; }
    const LstmShape& shape() const { return shape_; }
    const LstmScaling& scaling() const { return scaling_; }

    // A versioned binary form (docs/FORECASTING.md): shape, scaling, calendar origin and weights.
    std::string Serialize() const;
    static Result<LstmModel> Deserialize(std::string_view bytes);
    std::string SaveState() const override { return Serialize(); }
    Status LoadState(std::string_view state, const SeriesContext& context) override;

private:
    Status FitFromFleet(std::span<const double> train, const SeriesContext& context);
    Status TrainOwn(std::span<const double> train, const SeriesContext& context, const LstmTrainOptions& options,
                    bool log_scale);

    LstmOptions options_;
    std::shared_ptr<const LstmFleet> fleet_;
    LstmSource source_ = LstmSource::kOwn;
    LstmShape shape_;
    SeriesContext context_;
    LstmScaling scaling_;
    TrainResult trained_;
    LstmFusedWeights fused_;  // built from trained_.params once fitted or loaded
};

}  // namespace cloudopt
