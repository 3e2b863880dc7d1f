#pragma once
// `cloudopt backtest` and `cloudopt forecast`: the forecasting engine on a CSV file, for people and for tools.

#include <optional>
#include <string>
#include <vector>

#include "forecast/lstm_options.hpp"

namespace cloudopt {

struct BacktestCommand {
    std::string data;
    std::optional<double> missing_value;  // samples equal to it are gaps (--missing-value)
    int horizon = 12;
    std::string models = "naive,seasonal_naive,holt_winters,linear,auto";
    double test_fraction = 0.2;
    int epochs = 10;  // LSTM training epochs
    LstmShapeSettings lstm;  // --lstm-hidden, --lstm-layers, --lstm-window
    bool phase_bands = true;  // --phase-bands auto|off
    bool reweigh = true;      // --reweigh on|off
    bool tune_fleet = true;   // --lstm-tuning on|off
    bool json = false;
};

struct ForecastCommand {
    std::string data;
    std::optional<double> missing_value;  // samples equal to it are gaps (--missing-value)
    int horizon = 12;
    std::string model = "auto";
    std::string model_file;  // forecast with saved models instead of fitting
    LstmShapeSettings lstm;  // when fitting (a model file has its own shape)
    bool phase_bands = true;  // --phase-bands auto|off
    bool json = false;
};

// Each returns the process exit code: 0, or 2 for bad input (with a message on stderr naming the problem).
int RunBacktest(const BacktestCommand& command);
int RunForecast(const ForecastCommand& command);

}  // namespace cloudopt
