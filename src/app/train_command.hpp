#pragma once
// `cloudopt train`: fits a model per series of a CSV, shows the training progress, prints the backtest accuracy
// and optionally saves the models (fitted on each whole series) to a model file.

#include <optional>
#include <string>

#include "forecast/lstm_options.hpp"

namespace cloudopt {

struct TrainCommand {
    std::string data;
    std::optional<double> missing_value;  // samples equal to it are gaps (--missing-value)
    int epochs = 50;
    LstmShapeSettings lstm;  // --lstm-hidden, --lstm-layers, --lstm-window
    std::string model = "lstm";
    int horizon = 12;
    std::string series;  // empty: every series in the file
    std::string out;     // empty: do not save
    bool phase_bands = true;  // --phase-bands auto|off
};

// The process exit code: 0, or 2 for bad input (with a message on stderr naming the problem).
int RunTrain(const TrainCommand& command);

}  // namespace cloudopt
