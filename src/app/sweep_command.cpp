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

nlohmann::json SweepPointJson(const SweepPoint& p) {
    nlohmann::json setting = nlohmann::json::object();
    for (const auto& [key, value] : p.setting) setting[key] = value;
    return {{"policy", p.policy},
            {"setting", setting},
            {"cost_rel", RoundTo(p.cost_rel)},
            {"unmet", RoundTo(p.unmet, 5)},
            {"hot", RoundTo(p.hot, 5)},
            {"flaps_per_day", RoundTo(p.flaps_per_day, 2)},
            {"actions_per_day", RoundTo(p.actions_per_day, 2)}};
}

std::string SweepValueText(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// The oracle sees the future: it is drawn as the bound, never named as a setting to run.
std::vector<SweepPoint> Runnable(const std::vector<SweepPoint>& points) {
    std::vector<SweepPoint> out;
    for (const SweepPoint& p : points)
        if (p.policy != "oracle") out.push_back(p);
    return out;
}

Result<SweepGrid> GridFrom(const SimulateCommand& c) {
    SweepGrid grid;
    if (!c.sweep_quantiles.empty()) {
        auto v = ParseSweepList(c.sweep_quantiles, 0.5, 0.99, "--sweep-quantiles");
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
    // engine setting; the others replay their settings without a model. Results fold in file order.
    struct Task {
        std::string id;
        const RegularSeries* series;
        std::string family;
    };
    std::vector<Task> tasks;
    std::vector<std::string> ids;
    for (const auto& [id, series] : *all) {
        ids.push_back(id);
        // The slow family first, so the pool does not end waiting on one long task.
        for (const std::string& f : families)
            if (f == "predictive") tasks.push_back({id, &series, f});
    }
    for (const auto& [id, series] : *all)
        for (const std::string& f : families)
            if (f != "predictive") tasks.push_back({id, &series, f});
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int jobs =
        std::clamp(c.jobs > 0 ? c.jobs : cores, 1, static_cast<int>(std::max<std::size_t>(1, tasks.size())));
    if (jobs > 1) options.models.lstm.train.threads = 1;
    std::vector<std::optional<Result<std::vector<SweepPoint>>>> results(tasks.size());
    std::atomic<std::size_t> next{0}, finished{0};
    std::mutex progress;
    auto worker = [&] {
        for (std::size_t i = next++; i < tasks.size(); i = next++) {
            results[i] = SweepFamily(*tasks[i].series, tasks[i].family, options, *grid);
            std::lock_guard lock(progress);
            std::fprintf(stderr, "sweep: %zu/%zu tasks (%s %s)\n", ++finished, tasks.size(), tasks[i].id.c_str(),
                         tasks[i].family.c_str());
            if (!*results[i]) next = tasks.size();  // the run fails anyway
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < jobs; ++t) pool.emplace_back(worker);
    worker();
    for (std::thread& t : pool) t.join();

    std::map<std::string, std::vector<SweepPoint>> by_series;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (!results[i]) continue;
        if (!*results[i]) {
            std::cerr << "cloudopt: series '" << tasks[i].id << "' (" << tasks[i].family
                      << "): " << results[i]->error().message << "\n";
            return kUsageError;
        }
        auto& points = by_series[tasks[i].id];
        for (const SweepPoint& p : **results[i]) {
            // Every family replays static as its yardstick; keep it once.
            if (p.policy == "static" &&
                std::any_of(points.begin(), points.end(), [](const SweepPoint& q) { return q.policy == "static"; }))
                continue;
            points.push_back(p);
        }
    }
    std::vector<std::vector<SweepPoint>> per_series_points;
    nlohmann::json per_series = nlohmann::json::object();
    for (const std::string& id : ids) {
        nlohmann::json rows = nlohmann::json::array();
        for (const SweepPoint& p : by_series[id]) rows.push_back(SweepPointJson(p));
        per_series[id] = rows;
        per_series_points.push_back(by_series[id]);
    }
    const std::vector<SweepPoint> points = AverageSweep(per_series_points);
    const auto cheapest = CheapestWithin(Runnable(points), budget);
    const auto cheapest_predictive = CheapestWithin(points, budget, "predictive");
    nlohmann::json points_json = nlohmann::json::array();
    for (const SweepPoint& p : points) points_json.push_back(SweepPointJson(p));
    nlohmann::json grid_json = {{"quantiles", grid->quantiles},
                                {"unmet_budgets", grid->unmet_budgets},
                                {"hpa_targets", grid->hpa_targets},
                                {"seasonal_targets", grid->seasonal_targets}};
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    nlohmann::json out = {
        {"sweep", true},
        {"data", c.data},
        {"series", ids.size()},
        {"boot_delay_s", c.boot_delay_s},
        {"target", c.target},
        {"epochs", ReplayEpochs(c, loop)},
        {"unmet_budget", budget},
        {"grid", grid_json},
        {"jobs", jobs},
        {"seconds", RoundTo(seconds, 1)},
        {"points", points_json},
        {"cheapest", cheapest ? SweepPointJson(*cheapest) : nlohmann::json()},
        {"cheapest_predictive", cheapest_predictive ? SweepPointJson(*cheapest_predictive) : nlohmann::json()},
        {"per_series", per_series}};
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
