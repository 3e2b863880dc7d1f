#pragma once
// Training and batched inference of the LSTM network (lstm_network.hpp) on windows cut from one feature matrix:
// mini-batches in a seeded shuffle, backpropagation through time, Adam, clipping by global gradient norm, early
// stopping on a validation split, and data parallelism over the batch. Each batch is cut into a fixed number of
// slices whose gradients are summed in slice order, so a run is deterministic for a given seed and thread count.

#include <span>
#include <vector>

#include "forecast/lstm_network.hpp"
#include "forecast/lstm_options.hpp"

namespace cloudopt {

// How a network's units map to the load's: scaled = (f(load) - offset) / scale, where f is the identity on the
// linear scale and f(load) = log(1 + load / level) on the log scale (level > 0: the load's training mean).
struct LstmScaling {
    double offset = 0.0, scale = 1.0;
    double level = 0.0;  // 0: the linear scale
    bool log() const { return level > 0; }
    double Scaled(double load) const;
    double Original(double scaled) const;
};

// Windows over a series: column i of `features` is the input vector of point i, `scaled[i]` its scaled value.
// The window of origin t is points [t - window, t) (clamped at 0 for early origins) and its targets are
// scaled[t .. t + outputs) relative to scaled[t - 1]: the network learns the change from the last value.
struct WindowSource {
    const Eigen::MatrixXf* features = nullptr;
    std::span<const float> scaled;
    LstmScaling scaling;  // validation errors are measured in the load's units
};

struct TrainResult {
    std::vector<float> params;
    int epochs_run = 0;
    int best_epoch = 0;
    double best_validation_error = 0.0;
    double windows_per_second = 0.0;
    std::size_t windows_trained = 0;  // over all epochs (LstmTrainOptions::windows_per_epoch bounds each)
};

int ResolveThreads(int requested);

TrainResult TrainLstm(const LstmLayout& layout, const WindowSource& data, std::span<const std::size_t> train_origins,
                      std::span<const std::size_t> validation_origins, const LstmTrainOptions& options);

// Outputs (scaled change from the last value) for each origin: out[k * outputs + j] for origins[k], step j.
// `fused` (FuseForInference of params) saves rebuilding them when the caller forecasts often.
void PredictLstm(const LstmLayout& layout, std::span<const float> params, const WindowSource& data,
                 std::span<const std::size_t> origins, int threads, std::vector<float>& out,
                 const LstmFusedWeights* fused = nullptr);

}  // namespace cloudopt
