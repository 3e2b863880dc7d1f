// cloudopt: forecast cloud workload and scale ahead of demand. Subcommands: serve, train, forecast, backtest, simulate,
// detect, user, token, secrets, resource, db, version.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "app/adopted_settings.hpp"
#include "app/cli_common.hpp"
#include "app/config.hpp"
#include "app/costs_command.hpp"
#include "app/db_commands.hpp"
#include "app/detect_command.hpp"
#include "app/forecast_commands.hpp"
#include "app/resource_commands.hpp"
#include "app/serve.hpp"
#include "app/simulate_command.hpp"
#include "app/train_command.hpp"
#include "app/user_commands.hpp"

#ifndef CLOUDOPT_VERSION
#define CLOUDOPT_VERSION "0.0.0"
#endif

namespace {

// The trace every data subcommand reads (format: docs/FORECASTING.md), and the value its export writes for "no data".
CLI::Option* AddDataOption(CLI::App* command, std::string& path, std::optional<double>& missing_value,
                           bool required = true) {
    CLI::Option* data = command->add_option("--data", path, "CSV: timestamp,series,value (or timestamp,value)")
                            ->required(required)
                            ->check(CLI::ExistingFile);
    command->add_option("--missing-value", missing_value,
                        "A value that means 'no data' in this file (e.g. 0): such samples are treated as gaps, "
                        "filled for the models and never scored");
    return data;
}

// Whether the bands may depend on the minute of the hour, the hour of the day or the forecast's level
// (forecast/phase_bands.hpp).
void AddPhaseBandsOption(CLI::App* command, bool& phase_bands) {
    command
        ->add_option_function<std::string>(
            "--phase-bands", [&phase_bands](const std::string& v) { phase_bands = v == "auto"; },
            "auto (default): bands by the minute of the hour, the hour of the day or the forecast's level where the "
            "calibration window shows they fit the errors better; off: one band per horizon step")
        ->check(CLI::IsMember({"auto", "off"}));
}

// Whether auto's weights follow its models' errors since training (forecast/combination_weights.hpp).
void AddReweighOption(CLI::App* command, bool& reweigh) {
    command
        ->add_option_function<std::string>(
            "--reweigh", [&reweigh](const std::string& v) { reweigh = v == "on"; },
            "on (default): auto fits its combination's weights again every 4 hours on the last 3 days of forecasts "
            "made since training, once it has a day of them; off: the weights fitted at training stay")
        ->check(CLI::IsMember({"on", "off"}));
}

// The network's shape (forecast/lstm_options.hpp); the defaults are the and the PyTorch benchmark's.
void AddLstmShapeOptions(CLI::App* command, cloudopt::LstmShapeSettings& lstm) {
    command->add_option("--lstm-hidden", lstm.hidden, "LSTM hidden units per layer (default 64)")
        ->check(CLI::Range(1, cloudopt::kMaxLstmHidden));
    command->add_option("--lstm-layers", lstm.layers, "LSTM layers: 1 (default) or 2")->check(CLI::Range(1, 2));
    command
        ->add_option("--lstm-window", lstm.window,
                     "Steps of history the LSTM reads per forecast (default 48); training time grows with it")
        ->check(CLI::Range(2, cloudopt::kMaxLstmWindow));
    command
        ->add_option_function<std::string>(
            "--lstm-scale", [&lstm](const std::string& v) { lstm.scale = cloudopt::ParseLstmScale(v); },
            "The scale the networks read the load on: linear (default), or log: log(1 + load / mean load), which "
            "helps fleets that idle between large bursts and costs busier ones (docs/FORECASTING.md)")
        ->check(CLI::IsMember({"linear", "log"}));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"cloudopt: forecast cloud workload and scale resources ahead of demand"};
    app.require_subcommand(1);

    CLI::App* version = app.add_subcommand("version", "Print the version");

    CLI::App* serve = app.add_subcommand("serve", "Run the service: API, control loop and simulated cloud");
    std::string config_path;
    std::optional<int> port;
    std::optional<std::string> data_dir;
    bool demo = false;
    std::optional<double> speed;
    serve->add_option("--config", config_path, "YAML config file (see cloudopt.example.yaml)")
        ->check(CLI::ExistingFile);
    serve->add_option("--port", port, "HTTP port (default 8080)")->check(CLI::Range(0, 65535));
    std::optional<int> keda_port;
    serve
        ->add_option("--keda-port", keda_port,
                     "Serve the KEDA external scaler (gRPC) on this port (keda.port; docs/KEDA.md)")
        ->check(CLI::Range(0, 65535));
    serve->add_option("--data-dir", data_dir, "Where the database lives (default ./cloudopt-data)");
    std::optional<std::string> store_url;
    serve->add_option("--store", store_url,
                      "A PostgreSQL store instead of SQLite: postgres://USER@HOST:PORT/DATABASE (the password in "
                      "CLOUDOPT_STORE_PASSWORD; docs/DEPLOYMENT.md)");
    serve->add_flag("--demo", demo, "Create demo resources replaying real traces on the simulated cloud");
    serve->add_option("--speed", speed, "Demo time speed-up factor (default 60)")->check(CLI::Range(0.1, 10000.0));
    cloudopt::ServeOptions serve_options;
    serve->add_flag("--accept-damaged-store", serve_options.accept_damaged_store,
                    "Start although the start-up checks found the store damaged or emptied; what SQLite cannot read is "
                    "lost (the files are first copied to DATA_DIR/damaged-<time>/; docs/OPERATIONS.md)");

    cloudopt::BacktestCommand backtest_command;
    CLI::App* backtest = app.add_subcommand("backtest", "Rolling-origin backtest of the forecasting models on a CSV");
    AddDataOption(backtest, backtest_command.data, backtest_command.missing_value);
    backtest->add_option("--horizon", backtest_command.horizon, "Steps ahead (default 12)")->check(CLI::Range(1, 2016));
    backtest->add_option("--models", backtest_command.models,
                         "Comma-separated: lstm,lstm_fleet,lstm_tuned,holt_winters,linear,seasonal_naive,naive,auto");
    backtest->add_option("--test-fraction", backtest_command.test_fraction, "Share of each series scored (default 0.2)")
        ->check(CLI::Range(0.01, 0.9));
    backtest->add_option("--epochs", backtest_command.epochs, "LSTM training epochs (default 10)")
        ->check(CLI::Range(1, 10000));
    AddLstmShapeOptions(backtest, backtest_command.lstm);
    AddPhaseBandsOption(backtest, backtest_command.phase_bands);
    AddReweighOption(backtest, backtest_command.reweigh);
    backtest
        ->add_option_function<std::string>(
            "--lstm-tuning", [&](const std::string& v) { backtest_command.tune_fleet = v == "on"; },
            "on (default): with a fleet network, auto's per-series LSTM starts from its weights (lstm_tuned); off: "
            "from "
            "PyTorch's initialization (lstm)")
        ->check(CLI::IsMember({"on", "off"}));
    backtest->add_flag("--json", backtest_command.json, "Print one JSON object");

    cloudopt::ForecastCommand forecast_command;
    CLI::App* forecast = app.add_subcommand("forecast", "Forecast the next steps of each series in a CSV with bands");
    AddDataOption(forecast, forecast_command.data, forecast_command.missing_value);
    forecast->add_option("--horizon", forecast_command.horizon, "Steps ahead")->required()->check(CLI::Range(1, 2016));
    forecast->add_option("--model", forecast_command.model,
                         "lstm | lstm_fleet | lstm_tuned | holt_winters | linear | seasonal_naive | naive | "
                         "auto (default)");
    AddLstmShapeOptions(forecast, forecast_command.lstm);
    AddPhaseBandsOption(forecast, forecast_command.phase_bands);
    forecast->add_flag("--json", forecast_command.json, "Print one JSON object");

    cloudopt::TrainCommand train_command;
    CLI::App* train =
        app.add_subcommand("train", "Train a model per series of a CSV, report its backtest accuracy, save it");
    AddDataOption(train, train_command.data, train_command.missing_value);
    train
        ->add_option("--epochs", train_command.epochs,
                     "LSTM training epochs (default 50; early stopping may end sooner)")
        ->check(CLI::Range(1, 10000));
    train->add_option("--model", train_command.model,
                      "lstm (default) | lstm_fleet | lstm_tuned | holt_winters | linear | seasonal_naive | naive | "
                      "auto");
    train->add_option("--horizon", train_command.horizon, "Steps ahead (default 12)")->check(CLI::Range(1, 2016));
    train->add_option("--series", train_command.series, "Only this series of the file");
    train->add_option("--out", train_command.out, "Save the trained models to this model file");
    AddLstmShapeOptions(train, train_command.lstm);
    AddPhaseBandsOption(train, train_command.phase_bands);
    forecast->add_option("--model-file", forecast_command.model_file,
                         "Forecast with the models saved by `train --out`");

    cloudopt::SimulateCommand simulate_command;
    CLI::App* simulate = app.add_subcommand(
        "simulate",
        "Replay each series of a CSV against the scaling policies, or what a service recorded through its engine");
    CLI::Option* simulate_data =
        AddDataOption(simulate, simulate_command.data, simulate_command.missing_value, /*required=*/false);
    simulate
        ->add_option("--from-store", simulate_command.from_store,
                     "Instead of --data: a service's data directory; replays each resource's recorded load through the "
                     "service's engine (with --config and the flags below) beside what the service did")
        ->excludes(simulate_data);
    simulate->add_option("--resource", simulate_command.resource, "With --from-store: only this resource (by name)");
    simulate
        ->add_option("--hours", simulate_command.hours,
                     "With --from-store: how many hours back from the newest recorded load (default 24)")
        ->check(CLI::Range(0.01, 8784.0));
    simulate->add_option("--policies", simulate_command.policies,
                         "Comma-separated: static,reactive,predictive,oracle, and perfect_forecast (the planner fed "
                         "the load that came: what its rules alone cost)");
    simulate
        ->add_option("--boot-delay", simulate_command.boot_delay_s,
                     "Seconds until a launched instance serves (default 180)")
        ->check(CLI::Range(0, 86400));
    simulate
        ->add_option("--target", simulate_command.target,
                     "Target utilization, the middle of a 0.10 band (default 0.75)")
        ->check(CLI::Range(0.15, 0.9));
    simulate
        ->add_option(
            "--config", simulate_command.config_path,
            "The service's YAML config: the predictive policy runs with its loop.* settings (quantile, stabilization, "
            "flap guard, unmet budget, rate limit, model setup); the flags below override single keys")
        ->check(CLI::ExistingFile);
    simulate->add_option(
        "--quantile", simulate_command.quantile,
        "Forecast quantile the predictive policy sizes for: 0.5, 0.9, 0.95 (default), 0.99, as loop.quantile");
    simulate
        ->add_option("--unmet-budget", simulate_command.unmet_budget,
                     "Share of steps the predictive policy may leave demand unmet before it widens its bands, as "
                     "loop.unmet_budget (default 0.005)")
        ->check(CLI::Range(0.0, 0.5));
    simulate
        ->add_option("--stabilization", simulate_command.stabilization_s,
                     "Seconds the predictive policy waits before scaling in, and its no-flapping window, as "
                     "loop.stabilization_seconds (default 300)")
        ->check(CLI::Range(0, 86400));
    simulate
        ->add_option("--flap-window", simulate_command.flap_window_s,
                     "Seconds after a scale-out during which the predictive policy does not scale in, as "
                     "loop.flap_window_seconds (default 0: off)")
        ->check(CLI::Range(0, 86400));
    simulate
        ->add_option("--hysteresis", simulate_command.hysteresis,
                     "Utilization below the target that the predictive policy's scale-in is sized for, as "
                     "loop.scale_in_hysteresis (default 0.10; 0: off)")
        ->check(CLI::Range(0.0, 0.3));
    simulate
        ->add_option("--flap-backoff", simulate_command.flap_backoff,
                     "How many times its flap window a resource that flapped may wait, doubling per flap, as "
                     "loop.flap_backoff_max (default 1: no backoff)")
        ->check(CLI::Range(1, 64));
    simulate
        ->add_option("--scale-in-lookahead", simulate_command.lookahead_s,
                     "Seconds ahead the predictive policy's scale-in must fit the forecast band, as "
                     "loop.scale_in_lookahead_seconds (0: off)")
        ->check(CLI::Range(0, 86400));
    simulate
        ->add_option("--flap-budget", simulate_command.flap_budget,
                     "Flaps a resource may make per day; past it, a scale-in waits for --flap-hold seconds of plans "
                     "that allow it and fits the p99 band of the next 30 minutes, as loop.flap_budget_per_day "
                     "(default 1; 0: off)")
        ->check(CLI::Range(0, 1000));
    simulate
        ->add_option("--flap-hold", simulate_command.flap_hold_s,
                     "Seconds of plans a scale-in waits for once the flap budget is spent, doubled per further flap "
                     "up to 4 h, as loop.flap_hold_seconds (default 3600)")
        ->check(CLI::Range(1800, 86400));
    simulate
        ->add_option("--min-scale-in", simulate_command.min_scale_in,
                     "Share of the running capacity a scale-in must remove, or it waits, as loop.min_scale_in_share "
                     "(default 0.05; 0: off)")
        ->check(CLI::Range(0.0, 0.5));
    simulate
        ->add_option("--scale-out-tolerance,--reactive-tolerance", simulate_command.scale_out_tolerance,
                     "Scale out (on measured load or on the forecast's peak) only when what runs would carry more "
                     "than target_high + this share of its capacity, as loop.scale_out_tolerance (default 0.10; 0: "
                     "off)")
        ->check(CLI::Range(0.0, 0.19));
    simulate->add_option("--test-fraction", simulate_command.test_fraction, "Share of each series scored (default 0.2)")
        ->check(CLI::Range(0.01, 0.9));
    simulate
        ->add_option("--epochs", simulate_command.epochs,
                     "LSTM epochs of the predictive policy's model (default: loop.train_epochs with --config, else 5)")
        ->check(CLI::Range(1, 10000));
    simulate->add_option("--jobs", simulate_command.jobs, "Series replayed at once (default: one per core)")
        ->check(CLI::Range(1, 256));
    AddLstmShapeOptions(simulate, simulate_command.lstm);
    AddPhaseBandsOption(simulate, simulate_command.phase_bands);
    AddReweighOption(simulate, simulate_command.reweigh);
    simulate->add_flag("--serverless", simulate_command.serverless,
                       "The series are serverless load (concurrent executions, requests/s) and instances its warm "
                       "units: count the cold starts of load beyond them per policy");
    simulate
        ->add_option("--keep-warm", simulate_command.keep_warm_s,
                     "With --serverless: seconds an on-demand environment stays warm after its last use (default 300)")
        ->check(CLI::Range(0, 86400));
    simulate->add_option("--instance-type", simulate_command.instance_type,
                         "Price the instance-hours at this catalog row (e.g. lambda.pc.x86.1024mb, EP1): cost_usd");
    simulate->add_flag("--json", simulate_command.json, "Print one JSON object");
    simulate->add_option("--report", simulate_command.report, "Write an HTML report (opens offline)");
    simulate->add_flag("--sweep", simulate_command.sweep,
                       "The cost/risk frontier: each policy at a range of settings, cost against unmet; names the "
                       "cheapest setting within --unmet-budget (docs/COSTS.md)");
    simulate->add_option("--sweep-policies", simulate_command.sweep_policies,
                         "With --sweep: predictive,reactive,seasonal,oracle (default all)");
    simulate->add_option("--sweep-quantiles", simulate_command.sweep_quantiles,
                         "With --sweep: the predictive policy's loop.quantile values (default 0.5,0.9,0.95,0.99,0.999; "
                         "0.999 is extrapolated from the p95-p99 band)");
    simulate->add_option("--sweep-budgets", simulate_command.sweep_budgets,
                         "With --sweep: the predictive policy's loop.unmet_budget values (default 0.001,0.005,0.02)");
    simulate->add_option("--sweep-targets", simulate_command.sweep_targets,
                         "With --sweep: the target utilizations of the HPA rule and the seasonal policy (default "
                         "0.3,0.4,...,0.9)");
    simulate->add_flag("--adopt", simulate_command.adopt,
                       "With --sweep: write the cheapest predictive setting within --unmet-budget to --data-dir's "
                       "adopted.yaml, with the sweep's JSON as evidence; cloudopt serve applies it at its next start");
    simulate->add_option("--data-dir", simulate_command.adopt_data_dir, "With --adopt: the service's data directory");

    cloudopt::CostsBacktestCommand costs_backtest_command;
    CLI::App* costs = app.add_subcommand(
        "costs", "Spend forecasts (docs/COSTS.md): alone, a running service's month (GET /api/costs) as a table");
    costs->require_subcommand(0, 1);
    cloudopt::CostsShowCommand costs_show_command;
    costs->add_option("--server,--url", costs_show_command.server,
                      "The service's URL (default $CLOUDOPT_SERVER or http://localhost:8080)");
    costs->add_option("--token", costs_show_command.token, "An API token ($CLOUDOPT_TOKEN)");
    costs->add_option("--kind", costs_show_command.kind,
                      "Only groups of this kind: resource | provider | label | total");
    costs->add_option("--group-by", costs_show_command.group_by, "label:KEY: one group per value of a label key");
    costs->add_flag("--json", costs_show_command.json, "Print the API's JSON");
    CLI::App* costs_backtest = costs->add_subcommand(
        "backtest",
        "Forecast each series' spend of its last days from the load before them; p50 error and p10-p90 "
        "coverage beside a naive projection");
    AddDataOption(costs_backtest, costs_backtest_command.data, costs_backtest_command.missing_value, /*required=*/true);
    costs_backtest
        ->add_option("--days", costs_backtest_command.days,
                     "Days forecast at the end of each series (default 7; at most 29, so that the naive projection "
                     "has a day of the month to scale)")
        ->check(CLI::Range(1, 29));
    costs_backtest
        ->add_option("--origins", costs_backtest_command.origins,
                     "Rolling origins per series, the last first (default 10; 1: only the last days)")
        ->check(CLI::Range(1, 60));
    costs_backtest
        ->add_option("--origin-every", costs_backtest_command.origin_every_days, "Days between origins (default 1)")
        ->check(CLI::Range(1, 30));
    costs_backtest->add_option("--paths", costs_backtest_command.paths, "Load paths of the forecast (default 400)")
        ->check(CLI::Range(10, 100000));
    costs_backtest
        ->add_option("--history-days", costs_backtest_command.history_days,
                     "Days of history the paths draw from (default 28)")
        ->check(CLI::Range(1, 365));
    costs_backtest->add_flag("--json", costs_backtest_command.json, "Print one JSON object");
    costs_backtest
        ->add_option_function<std::string>(
            "--calibration",
            [&costs_backtest_command](const std::string& v) {
                costs_backtest_command.calibrate_per_series = v == "series";
            },
            "fleet (default): the file's series calibrate their bands together, as a service's resources do; "
            "series: each on its own errors")
        ->check(CLI::IsMember({"fleet", "series"}));
    cloudopt::CostsCommitmentsCommand commitments_command;
    CLI::App* costs_commitments = costs->add_subcommand(
        "commitments",
        "1-year commitments (Savings Plans, reservations, CUDs): with --data, a backtest on a trace; without, a "
        "running service's recommendations (GET /api/costs/commitments)");
    AddDataOption(costs_commitments, commitments_command.data, commitments_command.missing_value, /*required=*/false);
    costs_commitments->add_option("--test-fraction", commitments_command.test_fraction,
                                  "The scored part the commitment is planned for and measured on (default 0.2)");
    costs_commitments->add_option("--paths", commitments_command.paths, "Load paths of the forecast (default 400)")
        ->check(CLI::Range(10, 100000));
    costs_commitments->add_option("--provider", commitments_command.provider, "Priced as this provider (default aws)");
    costs_commitments->add_option("--instance-type", commitments_command.instance_type,
                                  "Priced as this catalog type (default m5.large)");
    costs_commitments->add_option("--catalog", commitments_command.catalog_file,
                                  "A catalog CSV instead of the bundled one");
    costs_commitments->add_option(
        "--server", commitments_command.server,
        "Without --data: the service's URL (default $CLOUDOPT_SERVER or http://localhost:8080)");
    costs_commitments->add_option("--token", commitments_command.token,
                                  "Without --data: an API token ($CLOUDOPT_TOKEN)");
    costs_commitments->add_flag("--json", commitments_command.json, "Print one JSON object");

    cloudopt::BudgetCommand budget_command;
    CLI::App* budget = app.add_subcommand("budget", "Monthly budgets with alerts and an optional cap (docs/COSTS.md)");
    budget->require_subcommand(1);
    auto add_budget_remote = [&budget_command](CLI::App* c) {
        c->add_option("--server", budget_command.server,
                      "The service's URL (default $CLOUDOPT_SERVER or http://localhost:8080)");
        c->add_option("--token", budget_command.token,
                      "An admin's access token to change, any to read ($CLOUDOPT_TOKEN)");
    };
    CLI::App* budget_add = budget->add_subcommand("add", "Add a monthly budget");
    budget_add->add_option("name", budget_command.name, "Budget name")->required();
    budget_add->add_option("--monthly", budget_command.monthly_usd, "US dollars per month")->required();
    budget_add->add_option("--scope", budget_command.scope, "total | provider | resource | label (default total)");
    budget_add->add_option("--target", budget_command.target, "The provider, resource name or label (team:payments)");
    budget_add->add_option("--cap", budget_command.cap_mode,
                           "off (alert only, default) | soft (cap, never below the measured need) | hard");
    add_budget_remote(budget_add);
    CLI::App* budget_list = budget->add_subcommand("list", "List budgets with their state this month");
    budget_list->add_flag("--json", budget_command.json, "Print the API's JSON");
    add_budget_remote(budget_list);
    CLI::App* budget_delete = budget->add_subcommand("delete", "Delete a budget");
    budget_delete->add_option("name", budget_command.name, "Budget name")->required();
    add_budget_remote(budget_delete);

    cloudopt::DetectCommand detect_command;
    CLI::App* detect = app.add_subcommand(
        "detect", "Score every point of NAB-format series for anomalies; write NAB results, optionally score them");
    detect->add_option("--data", detect_command.data, "A data file (timestamp,value CSV) or a folder of them")
        ->required();
    detect->add_option("--nab-out", detect_command.nab_out, "Folder for the results (same relative paths)")->required();
    detect->add_option("--labels", detect_command.labels, "NAB's combined_windows.json: adds the label column");
    detect->add_flag("--score", detect_command.score,
                     "Print the NAB scores (standard, reward_low_FP_rate, reward_low_FN_rate) and their optimized "
                     "thresholds; needs --labels");
    detect->add_flag("--json", detect_command.json, "With --score: print one JSON object");

    cloudopt::AdminCommand admin;
    auto add_admin_options = [&admin](CLI::App* command) {
        command->add_option("--config", admin.config_path, "YAML config file (for the data directory and key files)")
            ->check(CLI::ExistingFile);
        command->add_option("--data-dir", admin.data_dir, "The service's data directory (default ./cloudopt-data)");
    };
    CLI::App* user = app.add_subcommand("user", "Manage users (the password comes from a prompt or stdin)");
    user->require_subcommand(1);
    CLI::App* user_add = user->add_subcommand("add", "Add a user");
    user_add->add_option("name", admin.name, "User name")->required();
    user_add->add_option("--role", admin.role, "viewer | operator | admin (default viewer)");
    add_admin_options(user_add);
    CLI::App* user_passwd = user->add_subcommand("passwd", "Set a user's password (ends its sessions)");
    user_passwd->add_option("name", admin.name, "User name")->required();
    add_admin_options(user_passwd);
    CLI::App* user_list = user->add_subcommand("list", "List users");
    add_admin_options(user_list);
    CLI::App* token = app.add_subcommand("token", "Manage API tokens for machines (metric pushers, CI)");
    token->require_subcommand(1);
    CLI::App* token_create = token->add_subcommand("create", "Create a token; it is printed once");
    token_create->add_option("name", admin.name, "Token name")->required();
    token_create->add_option("--scope", admin.scope, "read | metrics:write | operator")->required();
    add_admin_options(token_create);
    CLI::App* token_revoke = token->add_subcommand("revoke", "Revoke a token");
    token_revoke->add_option("id", admin.id, "Token id (GET /api/tokens lists them)")->required();
    add_admin_options(token_revoke);
    CLI::App* secrets = app.add_subcommand("secrets", "Master keys of the encrypted credentials");
    secrets->require_subcommand(1);
    CLI::App* generate_key = secrets->add_subcommand("generate-key", "Print a new random master key");
    CLI::App* rotate = secrets->add_subcommand("rotate", "Reseal every credential under the current master key");
    add_admin_options(rotate);

    cloudopt::DbCommand db_command;
    CLI::App* db = app.add_subcommand("db", "Check, back up, migrate and copy the store");
    db->require_subcommand(1);
    auto add_db_options = [&db_command](CLI::App* command) {
        command->add_option("--config", db_command.config_path, "YAML config file (for the data directory)")
            ->check(CLI::ExistingFile);
        command->add_option("--data-dir", db_command.data_dir,
                            "The service's data directory (default ./cloudopt-data)");
    };
    CLI::App* db_check = db->add_subcommand("check", "Report damage to the store; exits 1 when it is damaged");
    db_check->add_flag("--full", db_command.full,
                       "SQLite's integrity_check (also compares indexes with their tables; slower) instead of "
                       "quick_check");
    add_db_options(db_check);
    CLI::App* db_backup =
        db->add_subcommand("backup", "Write a consistent copy of the database, checked before it is kept");
    db_backup->add_option("--out", db_command.out, "The backup file (replaced atomically when it exists)")->required();
    add_db_options(db_backup);
    CLI::App* db_migrate = db->add_subcommand(
        "migrate", "Bring the store's schema to this version's (PostgreSQL: safe while other replicas start)");
    add_db_options(db_migrate);
    db_migrate->add_option("--store", db_command.store_url, "A PostgreSQL URL instead of the config's store");
    CLI::App* db_copy = db->add_subcommand(
        "copy", "Copy a SQLite store into an empty PostgreSQL database, checking every table (stop the service first)");
    db_copy->add_option("--from", db_command.from, "sqlite:PATH (a data directory or its cloudopt.db)")->required();
    db_copy->add_option("--to", db_command.to, "postgres://USER@HOST:PORT/DATABASE (password: CLOUDOPT_STORE_PASSWORD)")
        ->required();
    db_copy->add_option("--config", db_command.config_path, "YAML config file (for store.password)")
        ->check(CLI::ExistingFile);

    cloudopt::ResourceCommand resource_command;
    CLI::App* resource = app.add_subcommand(
        "resource", "Add and list resources, and move their models, through a running service's API");
    resource->require_subcommand(1);
    auto add_remote_options = [&resource_command](CLI::App* c) {
        c->add_option("--server", resource_command.server,
                      "The service's URL (default $CLOUDOPT_SERVER or http://localhost:8080)");
        c->add_option("--token", resource_command.token,
                      "An operator API token or an admin's access token (default $CLOUDOPT_TOKEN)");
    };
    CLI::App* resource_add =
        resource->add_subcommand("add", "Add a resource; its reference is checked against the provider first");
    resource_add->add_option("name", resource_command.name, "Resource name")->required();
    resource_add
        ->add_option("--provider", resource_command.provider,
                     "A provider name from the config (aws, azure, gcp, kubernetes, ...)")
        ->required();
    resource_add
        ->add_option("--ref", resource_command.ref,
                     "The group: us-east-1/web-asg, SUB/RG/VMSS, PROJECT/zones/ZONE/MIG, NS/DEPLOYMENT")
        ->required();
    resource_add->add_option("--instance-type", resource_command.instance_type, "What one instance is (m5.large, ...)")
        ->required();
    resource_add->add_option("--min", resource_command.min_capacity, "Fewest instances");
    resource_add->add_option("--max", resource_command.max_capacity, "Most instances");
    resource_add->add_option("--mode", resource_command.mode, "off | recommend | auto");
    resource_add->add_option("--capacity-per-instance", resource_command.capacity_per_instance,
                             "Load one instance serves at 100%");
    resource_add->add_option("--load-metric", resource_command.load_metric,
                             "The metric that is the load (default cpu_cores)");
    resource_add->add_option("--load-query", resource_command.load_query,
                             "PromQL whose value is the load (needs prometheus.url)");
    resource_add->add_option("--boot-delay", resource_command.boot_delay_s, "Seconds from launch to serving");
    resource_add->add_option("--label", resource_command.labels,
                             "A label key=value (repeat), e.g. --label team=payments");
    add_remote_options(resource_add);
    CLI::App* resource_update = resource->add_subcommand("update", "Change a resource's labels, mode or limits");
    resource_update->add_option("name", resource_command.name, "Resource name or id")->required();
    resource_update->add_option("--label", resource_command.labels, "Set a label key=value (repeat)");
    resource_update->add_option("--remove-label", resource_command.remove_labels, "Remove a label by key (repeat)");
    resource_update->add_option("--mode", resource_command.mode, "off | recommend | auto");
    resource_update->add_option("--min", resource_command.min_capacity, "Fewest instances");
    resource_update->add_option("--max", resource_command.max_capacity, "Most instances");
    add_remote_options(resource_update);
    CLI::App* resource_list = resource->add_subcommand("list", "List resources");
    resource_list->add_option("--label", resource_command.label_selector,
                              "Only those with these labels: team:payments[,env:prod]");
    add_remote_options(resource_list);
    CLI::App* export_model =
        resource->add_subcommand("export-model", "Save a resource's trained model as a model file");
    export_model->add_option("name", resource_command.name, "Resource name or id")->required();
    export_model->add_option("--out", resource_command.model_file, "Where to write it (forecast --model-file reads it)")
        ->required();
    add_remote_options(export_model);
    CLI::App* import_model =
        resource->add_subcommand("import-model", "Install a model file's model (train --out) as a resource's own");
    import_model->add_option("name", resource_command.name, "Resource name or id")->required();
    import_model->add_option("--file", resource_command.model_file, "The model file")->required();
    import_model->add_option("--series", resource_command.model_series, "Which model, when the file holds several");
    add_remote_options(import_model);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : cloudopt::kUsageError;
    }

    if (version->parsed()) {
        std::printf("cloudopt %s\n", CLOUDOPT_VERSION);
        return 0;
    }
    if (backtest->parsed()) return cloudopt::RunBacktest(backtest_command);
    if (forecast->parsed()) return cloudopt::RunForecast(forecast_command);
    if (train->parsed()) return cloudopt::RunTrain(train_command);
    if (detect->parsed()) return cloudopt::RunDetect(detect_command);
    if (simulate->parsed()) {
        for (const char* flag : {"--lstm-hidden", "--lstm-layers", "--lstm-window", "--lstm-scale"})
            simulate_command.lstm_given = simulate_command.lstm_given || simulate->count(flag) > 0;
        simulate_command.phase_bands_given = simulate->count("--phase-bands") > 0;
        simulate_command.reweigh_given = simulate->count("--reweigh") > 0;
        return cloudopt::RunSimulate(simulate_command);
    }
    if (user_add->parsed()) return cloudopt::RunUserAdd(admin);
    if (user_passwd->parsed()) return cloudopt::RunUserPasswd(admin);
    if (user_list->parsed()) return cloudopt::RunUserList(admin);
    if (token_create->parsed()) return cloudopt::RunTokenCreate(admin);
    if (token_revoke->parsed()) return cloudopt::RunTokenRevoke(admin);
    if (generate_key->parsed()) return cloudopt::RunSecretsGenerateKey();
    if (resource_add->parsed()) return cloudopt::RunResourceAdd(resource_command);
    if (resource_list->parsed()) return cloudopt::RunResourceList(resource_command);
    if (resource_update->parsed()) return cloudopt::RunResourceUpdate(resource_command);
    if (budget_add->parsed()) return cloudopt::RunBudgetAdd(budget_command);
    if (budget_list->parsed()) return cloudopt::RunBudgetList(budget_command);
    if (budget_delete->parsed()) return cloudopt::RunBudgetDelete(budget_command);
    if (costs_commitments->parsed()) return cloudopt::RunCostsCommitments(commitments_command);
    if (export_model->parsed()) return cloudopt::RunResourceExportModel(resource_command);
    if (import_model->parsed()) return cloudopt::RunResourceImportModel(resource_command);
    if (rotate->parsed()) return cloudopt::RunSecretsRotate(admin);
    if (db_check->parsed()) return cloudopt::RunDbCheck(db_command);
    if (db_backup->parsed()) return cloudopt::RunDbBackup(db_command);
    if (db_migrate->parsed()) return cloudopt::RunDbMigrate(db_command);
    if (db_copy->parsed()) return cloudopt::RunDbCopy(db_command);
    if (costs_backtest->parsed()) return cloudopt::RunCostsBacktest(costs_backtest_command);
    if (costs->parsed() && !costs_commitments->parsed()) return cloudopt::RunCostsShow(costs_show_command);
    if (serve->parsed()) {
        auto config = cloudopt::LoadConfig(config_path, cloudopt::ProcessEnvironment());
        if (!config) {
            std::cerr << "cloudopt: " << config.error().message << "\n";
            return cloudopt::kUsageError;
        }
        if (port) config->port = *port;
        if (keda_port) config->keda_port = *keda_port;
        if (data_dir) config->data_dir = *data_dir;
        if (auto adopted = cloudopt::ApplyAdoptedSettings(*config); !adopted) {
            std::cerr << "cloudopt: " << adopted.error().message << "\n";
            return cloudopt::kUsageError;
        } else if (*adopted) {
            std::cerr << "cloudopt: " << **adopted << "\n";
        }
        if (store_url) {
            config->store_driver = "postgres";
            config->store_url = *store_url;
        }
        if (demo) config->demo = true;
        if (speed) config->speed = *speed;
        if (cloudopt::Status s = cloudopt::ValidateConfig(*config); !s) {
            std::cerr << "cloudopt: " << s.error().message << "\n";
            return cloudopt::kUsageError;
        }
        return cloudopt::RunServe(*config, serve_options);
    }
    return cloudopt::kUsageError;
}
