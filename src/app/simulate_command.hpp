#pragma once
// `cloudopt simulate`: replays each series of a CSV as one resource's demand against the scaling policies
// (static, reactive = Kubernetes HPA, predictive = cloudopt, oracle) and compares cost and service
// (simulate/replay.hpp; results in docs/SAVINGS.md).

#include <optional>
#include <string>

#include "core/plan.hpp"

#include "forecast/lstm_options.hpp"

namespace cloudopt {

struct SimulateCommand {
    std::string data;
    std::optional<double> missing_value;  // samples equal to it are gaps (--missing-value)
    std::string policies = "static,reactive,predictive,oracle";
    long long boot_delay_s = 180;
    double target = 0.75;
    double quantile = 0.95;
    double unmet_budget = 0.005;  // the predictive policy's service-level budget, as loop.unmet_budget
    long long stabilization_s = 300;  // the predictive policy's scale-in window, as loop.stabilization_seconds
    long long flap_window_s = kDefaultFlapGuard.window_seconds;  // as loop.flap_window_seconds
    double hysteresis = kDefaultFlapGuard.hysteresis;              // as loop.scale_in_hysteresis
    int flap_backoff = kDefaultFlapGuard.max_backoff;              // as loop.flap_backoff_max
    double test_fraction = 0.2;
    int epochs = 5;   // LSTM epochs of the predictive policy's auto model
    LstmShapeSettings lstm;  // --lstm-hidden, --lstm-layers, --lstm-window
    int jobs = 0;     // series replayed at once; 0: one per core (each LSTM then trains on one thread)
    bool phase_bands = true;  // --phase-bands auto|off
    bool reweigh = true;      // --reweigh on|off
    bool json = false;
    std::string report;  // HTML file to write
};

// The process exit code: 0, or 2 for bad input (with a message on stderr naming the problem).
int RunSimulate(const SimulateCommand& command);

}  // namespace cloudopt
