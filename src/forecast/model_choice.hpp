#pragma once
// How a model is chosen and calibrated on a training part ("auto": the combination of its candidates with the
// lowest error on the calibration window), and the pair of fleet networks: shared by training (trained_model.cpp)
// and the backtest (backtest.cpp), which must choose alike. Internal to the forecast module.

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "forecast/point_model.hpp"
#include "forecast/trained_model.hpp"

namespace cloudopt {

// A model is fitted twice: on the points before the calibration window (to choose and calibrate), then on all
// of them. The fleet network of each stage was trained on the same points.
enum class FitStage { kCalibration, kFull };

// Sum of |forecast - actual| and of |actual| over a run of forecasts.
struct ErrorSums {
    double abs_error = 0.0;
    double abs_actual = 0.0;
    double wape() const { return abs_actual > 0 ? abs_error / abs_actual : std::numeric_limits<double>::infinity(); }
};

// What "auto" settled on: one base model, or a weighted combination of all of them.
struct Choice {
    std::string name;
    std::vector<std::string> parts;  // for "combination"
    std::vector<double> weights;     // for "combination", one per part
    std::unique_ptr<PointModel> Make(const ModelOptions& options, FitStage stage = FitStage::kFull) const;
    std::string Describe() const;
};

struct Chosen {
    Choice choice;
    Calibration bands;                    // from forecasts of data the model was not fitted on
    std::vector<std::string> candidates;  // what was weighed
};

// The model to fit and its bands. The bands come from forecasts over the last n_cal points by the model fitted
// on the points before them: in-sample errors would understate a flexible model's (the LSTM's) real error.
// kUnavailable when training was cancelled (LstmTrainOptions::cancelled).
Result<Chosen> ChooseAndCalibrate(const std::string& model_name, std::span<const double> values,
                                  std::span<const std::uint8_t> missing, const SeriesContext& context,
                                  std::size_t n_cal, const ModelOptions& options);

// Two fleet networks over `series`: one on the first calibration_points(n) points of each series of n points,
// one on its first full_points(n).
Result<FleetNetworks> TrainFleetPair(std::span<const FleetSeries> series, int horizon, const LstmOptions& lstm,
                                     const std::function<std::size_t(std::size_t)>& calibration_points,
                                     const std::function<std::size_t(std::size_t)>& full_points);

}  // namespace cloudopt
