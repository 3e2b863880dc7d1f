#include "app/simulate_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "app/cli_common.hpp"
#include "app/config.hpp"
#include "app/files.hpp"
#include "app/loop_settings.hpp"
#include "app/series_file.hpp"
#include "app/serve.hpp"  // BundledDataPath
#include "app/simulate_report.hpp"
#include "app/store_replay_command.hpp"
#include "app/sweep_command.hpp"
#include "core/catalog.hpp"
#include "core/text.hpp"
#include "simulate/cold_starts.hpp"
#include "simulate/replay.hpp"

namespace cloudopt {

Result<EngineOptions> EngineOptionsFor(const SimulateCommand& c, EngineOptions engine) {
    if (c.quantile) {
        const double q = *c.quantile;
        auto close = [q](double level) { return std::abs(q - level) < 1e-9; };
        if (close(0.5))
            engine.quantile = QuantileLevel::kP50;
        else if (close(0.9))
            engine.quantile = QuantileLevel::kP90;
        else if (close(0.95))
            engine.quantile = QuantileLevel::kP95;
        else if (close(0.99))
            engine.quantile = QuantileLevel::kP99;
        else
            return MakeError(ErrorCode::kInvalidArgument,
                             "--quantile must be 0.5, 0.9, 0.95 or 0.99 (the calibrated bands)");
    }
    if (c.unmet_budget) engine.service_level.budget = *c.unmet_budget;
    if (c.stabilization_s) engine.stabilization_seconds = *c.stabilization_s;
    if (c.flap_window_s) engine.flap_guard.window_seconds = *c.flap_window_s;
    if (c.hysteresis) engine.flap_guard.hysteresis = *c.hysteresis;
    if (c.flap_backoff) engine.flap_guard.max_backoff = *c.flap_backoff;
    if (c.lookahead_s) engine.flap_guard.lookahead_seconds = *c.lookahead_s;
    if (c.flap_budget) engine.flap_guard.flap_budget_per_day = *c.flap_budget;
    if (c.flap_hold_s) engine.flap_guard.flap_hold_seconds = *c.flap_hold_s;
    if (c.min_scale_in) engine.flap_guard.min_scale_in_share = *c.min_scale_in;
    if (c.scale_out_tolerance) engine.flap_guard.scale_out_tolerance = *c.scale_out_tolerance;
    return engine;
}

int ReplayEpochs(const SimulateCommand& c, const ControlLoopOptions& loop) {
    return c.epochs.value_or(c.config_path.empty() ? 5 : loop.train_epochs);
}

Result<ReplayOptions> ReplayOptionsFor(const SimulateCommand& c, const ControlLoopOptions& loop) {
    auto engine = EngineOptionsFor(c, loop.engine);
    if (!engine) return engine.error();
    ReplayOptions options;
    options.engine = *engine;
    options.boot_delay_s = c.boot_delay_s;
    options.target = c.target;
    options.test_fraction = c.test_fraction;
    options.models = ServiceModelOptions(ReplayEpochs(c, loop), c.lstm_given ? c.lstm : loop.lstm_shape,
                                         c.phase_bands_given ? c.phase_bands : loop.phase_bands,
                                         c.reweigh_given ? c.reweigh : loop.reweigh);
    return options;
}

int RunSimulate(const SimulateCommand& c) {
    if (c.sweep) return RunSweep(c);
    if (c.from_store.empty() == c.data.empty()) {
        std::cerr << "cloudopt: simulate needs one of --data FILE (a trace) or --from-store DATA_DIR (what a service "
                     "recorded)\n";
        return kUsageError;
    }
    if (!c.from_store.empty()) return RunSimulateFromStore(c);
    std::vector<std::string> requested;
    for (std::string_view p : Split(c.policies, ',')) {
        std::string name(Trim(p));
        if (!IsKnownPolicy(name)) {
            std::cerr << "cloudopt: unknown policy '" << name << "'; known: " << kPolicies << "\n";
            return kUsageError;
        }
        requested.push_back(name);
    }
    // The service's settings (its config, or its defaults), then the flags given over single keys.
    auto config = LoadConfig(c.config_path, ProcessEnvironment());
    if (!config) {
        std::cerr << "cloudopt: " << config.error().message << "\n";
        return kUsageError;
    }
    const ControlLoopOptions loop = LoopOptionsFrom(*config);
    std::optional<InstanceType> priced;  // --instance-type: the catalog row that prices an instance-hour
    if (!c.instance_type.empty()) {
        const std::string path =
            config->catalog_file.empty() ? BundledDataPath("catalog/instances.csv") : config->catalog_file;
        auto text = ReadWholeFile(path, "catalog");
        auto catalog = text ? ParseCatalogCsv(*text) : Result<Catalog>(text.error());
        if (!catalog) {
            std::cerr << "cloudopt: " << path << ": " << catalog.error().message << "\n";
            return kUsageError;
        }
        priced = catalog->FindEntry("", c.instance_type);
        if (!priced) {
            std::cerr
                << "cloudopt: --instance-type '" << c.instance_type << "' is not in the catalog " << path
                << "; name one of its rows (e.g. m5.large, lambda.pc.x86.1024mb, cloudrun.min.1vcpu.512mi, EP1)\n";
            return kUsageError;
        }
    }
    auto replay_options = ReplayOptionsFor(c, loop);
    if (!replay_options) {
        std::cerr << "cloudopt: " << replay_options.error().message << "\n";
        return kUsageError;
    }
    ReplayOptions& options = *replay_options;
    const EngineOptions& e = options.engine;
    const double quantile = PointQuantile({0, 0.5, 0.9, 0.95, 0.99}, e.quantile);
    auto all = LoadSeries(c.data, c.missing_value);
    if (!all) {
        std::cerr << "cloudopt: " << all.error().message << "\n";
        return kUsageError;
    }
    if (Status s = AddFleetNetwork(*all, requested, options); !s) {
        std::cerr << "cloudopt: lstm_fleet: " << s.error().message << "\n";
        return kUsageError;
    }
    if (options.models.fleet)
        std::fprintf(stderr, "simulate: trained one network across %zu series in %.0f s\n", all->size(),
                     options.models.fleet.seconds);
    // Static is the yardstick of cost_rel, so it always runs.
    std::vector<std::string> run = requested;
    if (std::find(run.begin(), run.end(), "static") == run.end()) run.insert(run.begin(), "static");

    struct Sums {
        double cost = 0, cost_rel = 0, unmet = 0, hot = 0, util = 0, actions_per_day = 0, flaps_per_day = 0;
        long long actions = 0;
        double cold_starts = 0, cold_share = 0;
    };
    std::map<std::string, Sums> sums;
    nlohmann::json per_series = nlohmann::json::object();
    std::vector<ReportSeries> charts;
    const bool terminal = isatty(fileno(stderr)) != 0;

    // Series are independent: replay them on `jobs` threads (one model training each, so the cores are not
    // oversubscribed), then fold the results in file order so the output does not depend on the scheduling.
    std::vector<std::pair<std::string, const RegularSeries*>> order;
    for (const auto& [id, series] : *all) order.emplace_back(id, &series);
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int jobs =
        std::clamp(c.jobs > 0 ? c.jobs : cores, 1, static_cast<int>(std::max<std::size_t>(1, order.size())));
    if (jobs > 1) options.models.lstm.train.threads = 1;
    std::vector<std::optional<Result<SeriesReplay>>> replays(order.size());
    std::atomic<std::size_t> next{0}, finished{0};
    std::mutex progress;
    auto worker = [&] {
        for (std::size_t i = next++; i < order.size(); i = next++) {
            replays[i] = ReplaySeries(*order[i].second, run, options);
            std::lock_guard lock(progress);
            std::fprintf(stderr, terminal ? "\rsimulate: %zu/%zu series (%s)   " : "simulate: %zu/%zu series (%s)\n",
                         ++finished, order.size(), order[i].first.c_str());
            std::fflush(stderr);
            if (!*replays[i]) next = order.size();  // stop handing out work: the run fails anyway
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < jobs; ++t) pool.emplace_back(worker);
    worker();
    for (std::thread& t : pool) t.join();
    if (terminal) std::fprintf(stderr, "\n");

    std::size_t done = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
        const std::string& id = order[i].first;
        if (!replays[i]) continue;  // not started after another series failed
        auto& replay = *replays[i];
        if (!replay) {
            std::cerr << "cloudopt: series '" << id << "': " << replay.error().message << "\n";
            return kUsageError;
        }
        const double static_cost = replay->policies.at("static").cost;
        nlohmann::json row = nlohmann::json::object();
        for (const std::string& name : requested) {
            const PolicyResult& p = replay->policies.at(name);
            Sums& s = sums[name];
            const double rel = static_cost > 0 ? p.cost / static_cost : 1.0;
            s.cost += p.cost;
            s.cost_rel += rel;
            s.unmet += p.unmet;
            s.hot += p.hot;
            s.util += p.util;
            s.actions += p.actions;
            // Per resource-day, so series of different lengths weigh alike (like cost_rel).
            const double per_day = p.days > 0 ? 1.0 / p.days : 0.0;
            s.actions_per_day += p.actions * per_day;
            s.flaps_per_day += p.flaps * per_day;
            row[name] = {{"cost_rel", RoundTo(rel)},
                         {"unmet", RoundTo(p.unmet)},
                         {"hot", RoundTo(p.hot)},
                         {"actions_per_day", RoundTo(p.actions * per_day, 2)},
                         {"flaps_per_day", RoundTo(p.flaps * per_day, 2)}};
            if (c.serverless) {
                const ColdStarts cold = CountColdStarts(*order[i].second, replay->first_scored, p.ready,
                                                        replay->capacity_per_instance, c.keep_warm_s);
                s.cold_starts += cold.starts;
                s.cold_share += cold.cold_share;
                row[name]["cold_starts"] = RoundTo(cold.starts, 0);
                row[name]["cold_share"] = RoundTo(cold.cold_share);
            }
        }
        per_series[id] = row;
        ++done;
    }
    // The report charts the first rows of its table per series: where predictive cost most above the oracle.
    constexpr std::size_t kChartedSeries = 4;
    for (const std::string& id : SeriesInReportOrder(per_series, requested)) {
        if (charts.size() == kChartedSeries) break;
        const auto at = std::find_if(order.begin(), order.end(), [&](const auto& o) { return o.first == id; });
        const std::size_t i = static_cast<std::size_t>(at - order.begin());
        charts.push_back({id, std::move(**replays[i])});
    }
    const double n = static_cast<double>(done);
    nlohmann::json policies = nlohmann::json::object();
    for (const std::string& name : requested) {
        const Sums& s = sums[name];
        policies[name] = {{"cost", RoundTo(s.cost, 2)},
                          {"cost_rel", RoundTo(s.cost_rel / n)},
                          {"unmet", RoundTo(s.unmet / n)},
                          {"hot", RoundTo(s.hot / n)},
                          {"util", RoundTo(s.util / n)},
                          {"actions", s.actions},
                          {"actions_per_day", RoundTo(s.actions_per_day / n, 2)},
                          {"flaps_per_day", RoundTo(s.flaps_per_day / n, 2)}};
        if (priced) policies[name]["cost_usd"] = RoundTo(s.cost * priced->price_per_hour, 2);
        if (c.serverless) {
            policies[name]["cold_starts"] = RoundTo(s.cold_starts, 0);
            policies[name]["cold_share"] = RoundTo(s.cold_share / n);
        }
    }
    nlohmann::json out = {{"series", done},
                          {"boot_delay_s", c.boot_delay_s},
                          {"target", c.target},
                          {"quantile", quantile},
                          {"unmet_budget", e.service_level.budget},
                          {"stabilization_s", e.stabilization_seconds},
                          {"flap_window_s", e.flap_guard.window_seconds},
                          {"hysteresis", e.flap_guard.hysteresis},
                          {"flap_backoff", e.flap_guard.max_backoff},
                          {"scale_in_lookahead_s", e.flap_guard.lookahead_seconds},
                          {"flap_budget_per_day", e.flap_guard.flap_budget_per_day},
                          {"flap_hold_s", e.flap_guard.flap_hold_seconds},
                          {"min_scale_in_share", e.flap_guard.min_scale_in_share},
                          {"scale_out_tolerance", e.flap_guard.scale_out_tolerance},
                          {"epochs", ReplayEpochs(c, loop)},
                          {"policies", policies},
                          {"per_series", per_series}};
    if (options.models.fleet) out["fleet_seconds"] = RoundTo(options.models.fleet.seconds, 2);
    if (c.serverless) out["keep_warm_s"] = c.keep_warm_s;
    if (priced)
        out["price"] = {{"instance_type", priced->name},
                        {"provider", priced->provider},
                        {"price_per_hour", priced->price_per_hour}};
    if (!c.report.empty()) {
        if (Status s = WriteWholeFile(c.report, RenderReport(c.data, out.dump(), charts, requested), "report"); !s) {
            std::cerr << "cloudopt: " << s.error().message << "\n";
            return kUsageError;
        }
    }
    if (c.json) {
        std::cout << out.dump() << "\n";
    } else {
        std::printf("%zu series, boot delay %llds, target %.2f, quantile %.2f, unmet budget %.2f%%\n", done,
                    c.boot_delay_s, c.target, quantile, 100 * e.service_level.budget);
        std::printf("%-16s %12s %9s %8s %8s %8s %9s %9s %9s\n", "policy", "cost (i-h)", "cost_rel", "unmet", "hot",
                    "util", "actions", "changes/d", "flaps/d");
        for (const std::string& name : requested) {
            const nlohmann::json& p = policies[name];
            std::printf("%-16s %12.1f %9.3f %8.4f %8.4f %8.3f %9lld %9.1f %9.2f\n", name.c_str(),
                        p["cost"].get<double>(), p["cost_rel"].get<double>(), p["unmet"].get<double>(),
                        p["hot"].get<double>(), p["util"].get<double>(), p["actions"].get<long long>(),
                        p["actions_per_day"].get<double>(), p["flaps_per_day"].get<double>());
        }
        if (priced) {
            std::printf("\ncost at %s (%s, $%.4f per instance-hour):\n", priced->name.c_str(), priced->provider.c_str(),
                        priced->price_per_hour);
            for (const std::string& name : requested)
                std::printf("%-16s %12.2f USD\n", name.c_str(), policies[name]["cost_usd"].get<double>());
        }
        if (c.serverless) {
            // The serverless form of unmet: load beyond the warm units ran on environments started cold.
            std::printf("\nserverless: cold starts (on-demand environments kept warm %llds after last use)\n",
                        c.keep_warm_s);
            std::printf("%-16s %12s %12s\n", "policy", "cold starts", "cold share");
            for (const std::string& name : requested)
                std::printf("%-16s %12.0f %12.4f\n", name.c_str(), policies[name]["cold_starts"].get<double>(),
                            policies[name]["cold_share"].get<double>());
        }
        if (!c.report.empty()) std::printf("report: %s\n", c.report.c_str());
    }
    return 0;
}

}  // namespace cloudopt
