#pragma once
// A direct linear autoregression ("linear"): each step ahead h = 1..H has its own weighted sum of the last 48
// values, the values one day before each of the H target steps, and a constant, fitted on the training series
// by least absolute error (the error the backtest scores; iteratively reweighted least squares from a ridge
// start). Values are divided by the training mean, so the weights do not depend on the series' unit.
//
// Why it is here: on the VM traces it is as accurate as the LSTM (bitbrains at H = 3: 0.877 against 0.866) at a
// hundredth of the training time, and it errs differently, which is what "auto" needs from a model it combines.
// It generalizes naive (a weight of 1 on the last value) and seasonal naive (on the same time yesterday).

#include <Eigen/Core>

#include "forecast/point_model.hpp"

namespace cloudopt {

class LinearModel final : public PointModel {
public:
    static constexpr int kLags = 48;

    std::string name() const override { return "linear"; }
    Status Fit(std::span<const double> train, const SeriesContext& context) override;
    // Beyond the trained horizon the last step's forecast is held.
    void ForecastFromOrigins(std::span<const double> values, std::size_t first_origin, int horizon,
                             std::vector<double>& out) const override;
    // "COLIN001", int32 lags, day (steps per day, 0: no daily inputs), outputs; f64 scale; u8 non-negative;
    // f64 weights, column by column (one column per step ahead).
    std::string SaveState() const override;
    Status LoadState(std::string_view state, const SeriesContext& context) override;

    int day() const { return day_; }
    const Eigen::MatrixXd& weights() const { return weights_; }

private:
    int inputs() const { return lags_ + (day_ > 0 ? outputs_ : 0) + 1; }
    // The inputs for origin t (history values[0, t)), scaled; indices before the series' start read its first value.
    void Inputs(std::span<const double> values, std::size_t t, double* x) const;

    int lags_ = kLags;
    int day_ = 0;
    int outputs_ = 1;
    double scale_ = 1.0;
    bool non_negative_ = true;
    Eigen::MatrixXd weights_;  // inputs() x outputs_
};

}  // namespace cloudopt
