#pragma once
// Settings of the LSTM forecaster and its training (lstm_model.hpp, lstm_trainer.hpp), apart from the network
// code so that callers which only pass settings along do not compile Eigen.

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace cloudopt {

enum class LstmLoss { kAbsolute, kSquared };

// The scale a network reads and forecasts the load on (docs/FORECASTING.md, "The scale the networks read").
// linear: the load standardized by its training mean and deviation. log: log(1 + load / its training mean),
// standardized the same way: a burst then weighs less in training beside the level between bursts, which helps
// fleets that idle between large bursts and costs busier ones.
enum class LstmScale { kLinear, kLog };
// "linear" or "log" (the CLI's --lstm-scale, the config's loop.lstm_scale); anything else reads linear, so callers
// check the name first.
inline LstmScale ParseLstmScale(std::string_view name) { return name == "log" ? LstmScale::kLog : LstmScale::kLinear; }

struct EpochReport {
    int epoch = 0;  // 1-based
    int epochs = 0;
    double train_loss = 0.0;        // mean loss per target over the epoch, in scaled units
    double validation_error = 0.0;  // WAPE on the validation windows, in original units
    double seconds = 0.0;           // since training started
    double eta_seconds = 0.0;       // for the remaining epochs at the pace so far
    bool improved = false;          // a new best validation error (those weights are kept)
};

struct LstmTrainOptions {
    int epochs = 50;
    int batch = 64;
    double learning_rate = 1e-3;
    double clip_norm = 1.0;
    int patience = 5;  // epochs without a better validation error before stopping
    LstmLoss loss = LstmLoss::kAbsolute;
    std::uint64_t seed = 42;
    int threads = 0;  // 0: one per core
    std::function<void(const EpochReport&)> on_epoch;
    // Asked between epochs; true ends training at once with the best weights so far (a service shutting down).
    std::function<bool()> cancelled;
    // Empty: PyTorch's initialization from the seed. Otherwise training starts from these weights (a fleet's
    // network, fine-tuned on one series: "lstm_tuned") and keeps them unless an epoch beats their validation error.
    std::vector<float> initial_params;
};

struct LstmOptions {
    int hidden = 64;
    int layers = 1;
    int window = 48;
    double validation_fraction = 0.1;  // of the training windows, the latest ones
    LstmScale scale = LstmScale::kLinear;
    LstmTrainOptions train;
};

// The part of the network's shape a user chooses (CLI flags, the service's config): hidden units, layers and the
// input window in steps. A longer window sees more of the past per forecast and costs proportionally more to train.
struct LstmShapeSettings {
    int hidden = 64;
    int layers = 1;  // 1 or 2
    int window = 48;
    LstmScale scale = LstmScale::kLinear;
    void ApplyTo(LstmOptions& options) const {
        options.hidden = hidden;
        options.layers = layers;
        options.window = window;
        options.scale = scale;
    }
};
inline constexpr int kMaxLstmHidden = 1024;
inline constexpr int kMaxLstmWindow = 2016;  // a week of 5-minute steps

}  // namespace cloudopt
