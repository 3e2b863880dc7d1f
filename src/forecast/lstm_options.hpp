#pragma once
// Settings of the LSTM forecaster and its training (lstm_model.hpp, lstm_trainer.hpp), apart from the network
// code so that callers which only pass settings along do not compile Eigen.

#include <cstddef>
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
    // Asked before every batch; true ends training at once with the best weights of a complete epoch so far (a
    // service shutting down).
    std::function<bool()> cancelled;
    // Empty: PyTorch's initialization from the seed. Otherwise training starts from these weights (a fleet's
    // network, fine-tuned on one series: "lstm_tuned") and keeps them unless an epoch beats their validation error.
    std::vector<float> initial_params;
    // 0: every epoch trains on every training window. Otherwise each epoch trains on a fresh random sample of at
    // most this many, so that the cost of an epoch stops growing with the data (a fleet of many series).
    std::size_t windows_per_epoch = 0;
};

struct LstmOptions {
    int hidden = 64;
    int layers = 1;
    int window = 48;
    double validation_fraction = 0.1;  // of the training windows, the latest ones
    LstmScale scale = LstmScale::kLinear;
    LstmTrainOptions train;
    // The windows an epoch of a network across a fleet (lstm_fleet.hpp) trains on, at most; 0: every window.
    // Without a bound an epoch costs as much as the fleet is large (sample100's 50 VMs: about 290,000 windows).
    // Each epoch's random sample still draws from every member.
    std::size_t fleet_windows_per_epoch = 0;
    // The bound the simulator and the service train with, about 7 months of 5-minute samples: it cut the
    // simulator's time on the VM files 1.9-3x without moving its cost or starved steps (on bitbrains, the tuning set,
    // neither did 32,768 or 131,072). `backtest` and `train` keep every window: with 10 epochs the bound cost
    // bitbrains' `auto` 0.002 of accuracy at H = 3 (docs/PERFORMANCE.md).
    static constexpr std::size_t kBoundedFleetWindowsPerEpoch = 65'536;
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
