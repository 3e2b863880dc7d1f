#pragma once
// The LSTM forecaster: inputs per step are the scaled value and the calendar (hour of day and day of week as
// sin/cos), the network emits the change from the last value for every horizon step at once, and training
// holds back the last windows of the training data to stop early (lstm_trainer.hpp).

#include <string>
#include <vector>

#include "forecast/lstm_network.hpp"
#include "forecast/lstm_trainer.hpp"
#include "forecast/point_model.hpp"

namespace cloudopt {

// Calendar features of a unix time: sin/cos of the hour of day and of the day of week.
void CalendarFeatures(UnixSeconds ts, float out[4]);

class LstmModel final : public PointModel {
public:
    explicit LstmModel(LstmOptions options = {}) : options_(std::move(options)) {}
    std::string name() const override { return "lstm"; }
    Status Fit(std::span<const double> train, const SeriesContext& context) override;
    void ForecastFromOrigins(std::span<const double> values, std::size_t first_origin, int horizon,
                             std::vector<double>& out) const override {
        ForecastFromOriginsAt(context_.start, values, first_origin, horizon, out);
    }
    void ForecastFromOriginsAt(UnixSeconds start, std::span<const double> values, std::size_t first_origin, int horizon,
                               std::vector<double>& out) const override;

    const TrainResult& training() const { return trained_; }
    const LstmShape& shape() const { return shape_; }

    // A versioned binary form (docs/FORECASTING.md): shape, scaling, calendar origin and weights.
    std::string Serialize() const;
    static Result<LstmModel> Deserialize(std::string_view bytes);
    std::string SaveState() const override { return Serialize(); }
    Status LoadState(std::string_view state, const SeriesContext& context) override;

private:
    // Features (inputs x n) and scaled values of `values`, value i being at first_ts + i * step.
    void Prepare(std::span<const double> values, UnixSeconds first_ts, Eigen::MatrixXf& features,
                 std::vector<float>& scaled) const;

    LstmOptions options_;
    LstmShape shape_;
    SeriesContext context_;
    double offset_ = 0.0, scale_ = 1.0;
    TrainResult trained_;
    LstmFusedWeights fused_;  // built from trained_.params once fitted or loaded
};

}  // namespace cloudopt
