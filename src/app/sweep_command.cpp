#include "app/sweep_command.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "api/sweep_job.hpp"
#include "app/adopted_settings.hpp"
#include "app/cli_common.hpp"
#include "app/config.hpp"
#include "app/files.hpp"
#include "app/loop_settings.hpp"
#include "app/series_file.hpp"
#include "app/simulate_report.hpp"
#include "core/text.hpp"
#include "simulate/sweep.hpp"

namespace cloudopt {

namespace {

std::string SweepValueText(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

Result<SweepGrid> GridFrom(const SimulateCommand& c) {
    SweepGrid grid;
    if (!c.sweep_quantiles.empty()) {
        auto v = ParseSweepList(c.sweep_quantiles, 0.5, 0.999, "--sweep-quantiles");
        if (!v) return v.error();
        grid.quantiles = *v;
    }
    if (!c.sweep_budgets.empty()) {
        auto v = ParseSweepList(c.sweep_budgets, 0.0, 0.5, "--sweep-budgets");
        if (!v) return v.error();
        grid.unmet_budgets = *v;
    }
    if (!c.sweep_targets.empty()) {
        auto v = ParseSweepList(c.sweep_targets, 0.15, 0.9, "--sweep-targets");
        if (!v) return v.error();
        grid.hpa_targets = *v;
        grid.seasonal_targets = *v;
    }
    return grid;
}

}  // namespace

int RunSweep(const SimulateCommand& c) {
    const auto started = std::chrono::steady_clock::now();
    if (c.data.empty()) {
        std::cerr << "cloudopt: simulate --sweep needs --data FILE (a trace)\n";
        return kUsageError;
    }
    if (c.adopt && c.adopt_data_dir.empty()) {
        std::cerr << "cloudopt: --adopt needs --data-dir DIR: the service's data directory, where the adopted "
                     "setting and the sweep's evidence are written\n";
        return kUsageError;
    }
    auto grid = GridFrom(c);
    if (!grid) {
        std::cerr << "cloudopt: " << grid.error().message << "\n";
        return kUsageError;
    }
    std::vector<std::string> families;
    for (std::string_view p : Split(c.sweep_policies, ',')) {
        std::string name(Trim(p));
        if (name != "predictive" && name != "reactive" && name != "seasonal" && name != "oracle") {
            std::cerr << "cloudopt: unknown sweep policy '" << name << "'; known: " << kSweepPolicies << "\n";
            return kUsageError;
        }
        families.push_back(name);
    }
    auto config = LoadConfig(c.config_path, ProcessEnvironment());
    if (!config) {
        std::cerr << "cloudopt: " << config.error().message << "\n";
        return kUsageError;
    }
    const ControlLoopOptions loop = LoopOptionsFrom(*config);
    // The engine's other settings as simulate takes them; --quantile and the engine's budget are swept, and
    // --unmet-budget is the user's budget the cheapest setting must meet.
    SimulateCommand engine_flags = c;
    engine_flags.quantile.reset();
    engine_flags.unmet_budget.reset();
    auto replay_options = ReplayOptionsFor(engine_flags, loop);
    if (!replay_options) {
        std::cerr << "cloudopt: " << replay_options.error().message << "\n";
        return kUsageError;
    }
    ReplayOptions& options = *replay_options;
    const double budget = c.unmet_budget.value_or(0.005);
    auto all = LoadSeries(c.data, c.missing_value);
    if (!all) {
        std::cerr << "cloudopt: " << all.error().message << "\n";
        return kUsageError;
    }
    const bool predictive = std::find(families.begin(), families.end(), "predictive") != families.end();
    if (predictive) {
        if (Status s = AddFleetNetwork(*all, {"predictive"}, options); !s) {
            std::cerr << "cloudopt: lstm_fleet: " << s.error().message << "\n";
            return kUsageError;
        }
        if (options.models.fleet)
            std::fprintf(stderr, "sweep: trained one network across %zu series in %.0f s\n", all->size(),
                         options.models.fleet.seconds);
    }

    // One task per (series, family), run on a bounded pool: a predictive task trains one model and replays every
    // engine setting; the others replay their settings without a model (simulate/sweep.hpp RunSweepGrid).
    SweepRunOptions run_options;
    run_options.families = families;
    run_options.grid = *grid;
    run_options.unmet_budget = budget;
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    run_options.jobs = c.jobs > 0 ? c.jobs : cores;
    run_options.progress = [](std::size_t done, std::size_t total, const std::string& id, const std::string& family) {
        std::fprintf(stderr, "sweep: %zu/%zu tasks (%s %s)\n", done, total, id.c_str(), family.c_str());
    };
    auto run = RunSweepGrid(*all, options, run_options);
    if (!run) {
        std::cerr << "cloudopt: " << run.error().message << "\n";
        return kUsageError;
    }
    const std::vector<SweepPoint>& points = run->points;
    const auto& cheapest = run->cheapest;
    const auto& cheapest_predictive = run->cheapest_predictive;
    const std::vector<std::string>& ids = run->ids;
    const int jobs = run->jobs;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    nlohmann::json out = api::SweepRunJson(*run, *grid, budget);
    out["data"] = c.data;
    out["boot_delay_s"] = c.boot_delay_s;
    out["target"] = c.target;
    out["epochs"] = ReplayEpochs(c, loop);
    out["jobs"] = jobs;
    out["seconds"] = RoundTo(seconds, 1);
    if (!c.report.empty()) {
        if (Status s = WriteWholeFile(c.report, RenderSweepReport(c.data, out.dump()), "report"); !s) {
            std::cerr << "cloudopt: " << s.error().message << "\n";
            return kUsageError;
        }
    }
    std::string adopted_path;
    if (c.adopt) {
        if (!cheapest_predictive) {
            std::cerr << "cloudopt: --adopt: no predictive setting meets the unmet budget " << budget
                      << " on this trace; nothing adopted. Raise --unmet-budget, or add settings with "
                         "--sweep-quantiles 0.99 / --sweep-budgets\n";
            return kUsageError;
        }
        AdoptedSettings adopted;
        adopted.quantile = cheapest_predictive->setting.at("quantile");
        adopted.unmet_budget = cheapest_predictive->setting.at("unmet_budget");
        adopted.reason = "the cheapest predictive setting with unmet <= " + std::to_string(budget) + " on " + c.data +
                         " (cost_rel " + std::to_string(cheapest_predictive->cost_rel) + ", unmet " +
                         std::to_string(cheapest_predictive->unmet) + ")";
        auto written = WriteAdoptedSettings(c.adopt_data_dir, adopted, out.dump(2));
        if (!written) {
            std::cerr << "cloudopt: --adopt: " << written.error().message << "\n";
            return kUsageError;
        }
        adopted_path = *written;
    }
    if (c.json) {
        std::cout << out.dump() << "\n";
        return 0;
    }
    std::printf("%zu series, boot delay %llds, unmet budget %.2f%%, %.0f s on %d workers\n", ids.size(), c.boot_delay_s,
                100 * budget, seconds, jobs);
    std::printf("%-11s %-34s %9s %8s %8s %9s %9s\n", "policy", "setting", "cost_rel", "unmet", "hot", "changes/d",
                "flaps/d");
    for (const SweepPoint& p : points) {
        std::string setting;
        for (const auto& [key, value] : p.setting)
            setting += (setting.empty() ? "" : " ") + key + "=" + SweepValueText(value);
        std::printf("%-11s %-34s %9.3f %7.3f%% %7.3f%% %9.1f %9.2f\n", p.policy.c_str(), setting.c_str(), p.cost_rel,
                    100 * p.unmet, 100 * p.hot, p.actions_per_day, p.flaps_per_day);
    }
    if (cheapest)
        std::printf("cheapest within %.2f%% unmet: %s (cost_rel %.3f, unmet %.3f%%)\n", 100 * budget,
                    cheapest->Label().c_str(), cheapest->cost_rel, 100 * cheapest->unmet);
    else
        std::printf("no setting meets %.2f%% unmet\n", 100 * budget);
    if (cheapest_predictive)
        std::printf("cheapest predictive: %s (cost_rel %.3f, unmet %.3f%%)\n", cheapest_predictive->Label().c_str(),
                    cheapest_predictive->cost_rel, 100 * cheapest_predictive->unmet);
    if (!adopted_path.empty())
        std::printf("adopted: %s (the service reads it at its next start)\n", adopted_path.c_str());
    if (!c.report.empty()) std::printf("report: %s\n", c.report.c_str());
    return 0;
}

}  // namespace cloudopt
