#pragma once
// `cloudopt simulate`: replays each series of a CSV as one resource's demand against the scaling policies
// (static, reactive = Kubernetes HPA, predictive = cloudopt, oracle) and compares cost and service
// (simulate/replay.hpp; results in docs/SAVINGS.md).

#include <optional>
#include <string>

#include "allocate/scaling_engine.hpp"
#include "control/control_loop.hpp"
#include "core/error.hpp"
#include "core/plan.hpp"
#include "forecast/lstm_options.hpp"
#include "simulate/replay.hpp"

namespace cloudopt {

struct SimulateCommand {
    std::string data;
    // Or what a running service recorded: its data directory (the store the config names), replayed per resource
    // through the service's engine (app/store_replay_command.hpp).
    std::string from_store;
    std::string resource;                 // with from_store: one resource by name; empty: all
    double hours = 24.0;                  // with from_store: how far back from the newest recorded load
    std::optional<double> missing_value;  // samples equal to it are gaps (--missing-value)
    std::string policies = "static,reactive,predictive,oracle";
    long long boot_delay_s = 180;
    double target = 0.75;
    // The service's config (loop.*), whose engine and model settings the predictive policy runs with; the flags
    // below override single keys. Without a config, the service's defaults.
    std::string config_path;
    std::optional<double> quantile;             // as loop.quantile (0.5, 0.9, 0.95, 0.99, 0.999)
    std::optional<double> unmet_budget;         // as loop.unmet_budget
    std::optional<long long> stabilization_s;   // as loop.stabilization_seconds
    std::optional<long long> flap_window_s;     // as loop.flap_window_seconds
    std::optional<double> hysteresis;           // as loop.scale_in_hysteresis
    std::optional<int> flap_backoff;            // as loop.flap_backoff_max
    std::optional<long long> lookahead_s;       // as loop.scale_in_lookahead_seconds
    std::optional<int> flap_budget;             // as loop.flap_budget_per_day
    std::optional<int> flap_hold_s;             // as loop.flap_hold_seconds
    std::optional<double> min_scale_in;         // as loop.min_scale_in_share
    std::optional<double> scale_out_tolerance;  // as loop.scale_out_tolerance
    double test_fraction = 0.2;
    // LSTM epochs of the predictive policy's auto model: loop.train_epochs with a config, else 5 (the service's 30
    // would make a run over many series take hours; docs/SAVINGS.md measured with 5).
    std::optional<int> epochs;
    LstmShapeSettings lstm;   // --lstm-hidden, --lstm-layers, --lstm-window, --lstm-scale (loop.lstm_*)
    bool lstm_given = false;  // whether any of them was given, else the config's
    int jobs = 0;             // series replayed at once; 0: one per core (each LSTM then trains on one thread)
    bool phase_bands = true;  // --phase-bands auto|off, as loop.phase_bands
    bool phase_bands_given = false;
    bool reweigh = true;  // --reweigh on|off, as loop.reweigh
    bool reweigh_given = false;
    // --serverless: each series is a serverless resource's load (concurrent executions, requests per second) and the
    // policies' instances are its warm units; load beyond them pays cold starts, counted per policy
    // (simulate/cold_starts.hpp) with on-demand environments kept warm `keep_warm_s` after their last use.
    bool serverless = false;
    long long keep_warm_s = 300;
    // --instance-type: prices each policy's instance-hours at that catalog row's price_per_hour (cost_usd): the
    // bundled data/catalog/instances.csv, or the config's catalog.file.
    std::string instance_type;
    bool json = false;
    std::string report;  // HTML file to write
    // --sweep: the cost/risk frontier instead of one setting (app/sweep_command.hpp). Empty lists: the defaults of
    // simulate/sweep.hpp SweepGrid. With it --unmet-budget is the user's budget the named setting must meet.
    bool sweep = false;
    std::string sweep_policies = "predictive,reactive,seasonal,oracle";
    std::string sweep_quantiles, sweep_budgets, sweep_targets;
    bool adopt = false;          // write the cheapest predictive setting to adopt_data_dir (app/adopted_settings.hpp)
    std::string adopt_data_dir;  // --data-dir
};

// The process exit code: 0, or 2 for bad input (with a message on stderr naming the problem).
int RunSimulate(const SimulateCommand& command);

// The engine settings `command` asks for: `engine` (the config's, or the defaults) with the flags given over single
// keys. kInvalidArgument for a quantile without calibrated bands.
Result<EngineOptions> EngineOptionsFor(const SimulateCommand& command, EngineOptions engine);
// The replay's options for `command` on top of the service's loop settings: its engine (EngineOptionsFor), boot
// delay, target, scored part and model setup. kInvalidArgument for a bad flag.
Result<ReplayOptions> ReplayOptionsFor(const SimulateCommand& command, const ControlLoopOptions& loop);
// The LSTM epochs of the replay: --epochs, else the config's loop.train_epochs, else 5 (a quick comparison).
int ReplayEpochs(const SimulateCommand& command, const ControlLoopOptions& loop);

}  // namespace cloudopt
