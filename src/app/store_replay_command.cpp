#include "app/store_replay_command.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app/cli_common.hpp"
#include "app/config.hpp"
#include "app/data_dir.hpp"
#include "app/loop_settings.hpp"
#include "control/trained_models.hpp"
#include "forecast/auto_forecaster.hpp"
#include "simulate/service_replay.hpp"

namespace cloudopt {
namespace {

constexpr int kFailed = 1;

std::string Utc(UnixSeconds t) {
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
    return text;
}

// What the service did to one resource over the window: its applied changes, and the capacity it had when the
// window opened (the first change's starting point).
struct LiveRecord {
    int changes = 0;
    int flaps = 0;
    std::optional<int> capacity_at_start;
};

Result<LiveRecord> LiveRecordOf(Store& store, ResourceId id, UnixSeconds from, UnixSeconds to) {
    auto actions = store.ListActions({id, from, 1'000'000});
    if (!actions) return actions.error();
    std::vector<AllocationAction> applied;
    for (AllocationAction& a : *actions)
        if (a.status == ActionStatus::kApplied && a.to_capacity != a.from_capacity) applied.push_back(std::move(a));
    std::sort(applied.begin(), applied.end(), [](const auto& a, const auto& b) { return a.ts < b.ts; });
    LiveRecord live;
    std::optional<CapacityChange> previous;
    for (const AllocationAction& a : applied) {
        if (a.ts < from) continue;
        if (a.ts > to) break;
        if (!live.capacity_at_start) live.capacity_at_start = a.from_capacity;
        const CapacityChange change{a.ts, a.from_capacity, a.to_capacity};
        ++live.changes;
        live.flaps += previous && IsFlap(*previous, change);
        previous = change;
    }
    return live;
}

ServiceReplayOptions ReplayOptionsFrom(const ControlLoopOptions& loop, const EngineOptions& engine) {
    ServiceReplayOptions o;
    o.engine = engine;
    o.forecast = {loop.forecast_step, loop.band_tracking_seconds, loop.reweigh};
    o.horizon_steps = loop.horizon_steps;
    o.history_seconds = loop.history_seconds;
    o.stale_after_seconds = loop.stale_after_seconds;
    return o;
}

}  // namespace

int RunSimulateFromStore(const SimulateCommand& c) {
    SendLogToStderr();  // the opened store's warnings must not break --json
    if (!(c.hours > 0) || c.hours > 24 * 366) {
        std::cerr << "cloudopt: --hours must be between 0 and 8784 (got " << c.hours << ")\n";
        return kUsageError;
    }
    auto config = LoadConfig(c.config_path, ProcessEnvironment());
    if (!config) {
        std::cerr << "cloudopt: " << config.error().message << "\n";
        return kUsageError;
    }
    const ControlLoopOptions loop = LoopOptionsFrom(*config);
    auto engine = EngineOptionsFor(c, loop.engine);
    if (!engine) {
        std::cerr << "cloudopt: " << engine.error().message << "\n";
        return kUsageError;
    }
    DataDirOptions dir;
    dir.data_dir = c.from_store;
    dir.command = "simulate --from-store";
    dir.read_only_ok_without_lock = true;  // the service may own it: this only reads
    UseConfiguredStore(*config, dir);
    std::error_code ec;
    if (dir.store_url.empty() && !std::filesystem::exists(DatabasePath(c.from_store), ec)) {
        std::cerr << "cloudopt: there is no cloudopt store in " << c.from_store
                  << " (expected its data directory, the --data-dir of `cloudopt serve`)\n";
        return kUsageError;
    }
    SystemClock clock;
    auto owned = OpenDataDir(dir, clock);
    if (!owned) {
        std::cerr << "cloudopt: " << owned.error().message << "\n";
        return kFailed;
    }
    Store& store = *owned->store;
    auto resources = store.ListResources();
    if (!resources) {
        std::cerr << "cloudopt: " << resources.error().message << "\n";
        return kFailed;
    }
    if (!c.resource.empty()) {
        std::erase_if(*resources, [&](const Resource& r) { return r.name != c.resource; });
        if (resources->empty()) {
            std::cerr << "cloudopt: no resource named '" << c.resource << "' in " << c.from_store << "\n";
            return kUsageError;
        }
    }
    TrainedModels models;
    std::vector<std::string> problems;
    if (auto loaded = models.LoadFrom(store, problems); !loaded) {
        std::cerr << "cloudopt: " << loaded.error().message << "\n";
        return kFailed;
    }
    for (const std::string& p : problems) std::cerr << "simulate: model skipped: " << p << "\n";
    const ServiceReplayOptions options = ReplayOptionsFrom(loop, *engine);
    AutoForecaster fallback;

    nlohmann::json rows = nlohmann::json::array();
    for (const Resource& r : *resources) {
        auto newest = store.LatestSample({r.id, r.load_metric});
        if (!newest) {
            std::cerr << "cloudopt: " << newest.error().message << "\n";
            return kFailed;
        }
        if (!*newest) {
            std::fprintf(stderr, "simulate: %s has no recorded %s: skipped\n", r.name.c_str(), r.load_metric.c_str());
            continue;
        }
        const UnixSeconds to = (*newest)->ts;
        UnixSeconds from = to - static_cast<UnixSeconds>(std::llround(c.hours * 3600.0));
        // The loop records the capacity it saw at every tick: the replay starts on the loop's first tick in the
        // window, from the capacity the loop had there, and each replayed tick is compared with the loop's.
        auto seen = store.QuerySamples({r.id, "desired_capacity"}, from, to + 1);
        if (!seen) {
            std::cerr << "cloudopt: " << seen.error().message << "\n";
            return kFailed;
        }
        std::map<UnixSeconds, int> live_capacity;
        for (const Sample& sample : *seen) live_capacity[sample.ts] = static_cast<int>(std::lround(sample.value));
        if (!live_capacity.empty()) from = live_capacity.begin()->first;
        auto live = LiveRecordOf(store, r.id, from, to);
        if (!live) {
            std::cerr << "cloudopt: " << live.error().message << "\n";
            return kFailed;
        }
        auto load = store.QuerySamples({r.id, r.load_metric}, from - options.history_seconds, to + 1);
        if (!load) {
            std::cerr << "cloudopt: " << load.error().message << "\n";
            return kFailed;
        }
        const auto model = models.Get(r.id, r.load_metric);
        const TrainedModelRef trained =
            model ? TrainedModelRef{model->model.get(), model->trained_at} : TrainedModelRef{};
        const int initial =
            !live_capacity.empty() ? live_capacity.begin()->second : live->capacity_at_start.value_or(r.min_capacity);
        auto replay = ReplayRecordedLoad(r, *load, initial, from, to, trained, fallback, options);
        if (!replay) {
            std::cerr << "cloudopt: " << r.name << ": " << replay.error().message << "\n";
            return kFailed;
        }
        int compared = 0, equal = 0;
        nlohmann::json applied = nlohmann::json::array();
        for (const ReplayedTick& t : replay->ticks) {
            if (t.verdict == Verdict::kApply)
                applied.push_back({{"ts", t.ts},
                                   {"from_capacity", t.current},
                                   {"to_capacity", t.desired},
                                   {"bound_by", t.bound_by},
                                   {"summary", t.summary}});
            auto it = live_capacity.find(t.ts);
            if (it == live_capacity.end()) continue;
            ++compared;
            equal += it->second == t.current;
        }
        const double days = static_cast<double>(to - from) / 86400.0;
        rows.push_back({{"resource", r.name},
                        {"from", from},
                        {"to", to},
                        {"ticks", replay->ticks.size()},
                        {"initial_capacity", initial},
                        {"model", model ? "trained " + Utc(model->trained_at) : "untrained (no model stored)"},
                        {"live", {{"changes", live->changes}, {"flaps", live->flaps}}},
                        // Ticks at which the loop recorded its capacity, and of them those where the replay had the
                        // same capacity.
                        {"ticks_compared", compared},
                        {"ticks_equal", equal},
                        {"replay",
                         {{"changes", replay->changes},
                          {"flaps", replay->flaps},
                          {"changes_per_day", RoundTo(replay->changes / days, 2)},
                          {"flaps_per_day", RoundTo(replay->flaps / days, 2)},
                          {"instance_hours", RoundTo(replay->instance_hours, 2)},
                          {"starved_ticks", replay->starved_ticks},
                          {"actions", std::move(applied)}}}});
    }
    const EngineOptions& e = options.engine;
    nlohmann::json settings = {{"tick_seconds", e.tick_seconds},
                               {"quantile", QuantileLevelName(e.quantile)},
                               {"stabilization_seconds", e.stabilization_seconds},
                               {"scale_in_hysteresis", e.flap_guard.hysteresis},
                               {"flap_window_seconds", e.flap_guard.window_seconds},
                               {"scale_in_lookahead_seconds", e.flap_guard.lookahead_seconds},
                               {"flap_budget_per_day", e.flap_guard.flap_budget_per_day},
                               {"flap_hold_s", e.flap_guard.flap_hold_seconds},
                               {"min_scale_in_share", e.flap_guard.min_scale_in_share},
                               {"scale_out_tolerance", e.flap_guard.scale_out_tolerance},
                               {"max_actions_per_resource_per_hour", e.max_actions_per_resource_per_hour}};
    if (c.json) {
        std::cout << nlohmann::json{{"engine", settings}, {"resources", rows}}.dump() << "\n";
        return 0;
    }
    std::printf(
        "What the service recorded in %s, replayed through its engine: quantile %s, stabilization %llds, "
        "hysteresis %.2f, flap budget %d/day, tick %llds\n",
        c.from_store.c_str(), QuantileLevelName(e.quantile), static_cast<long long>(e.stabilization_seconds),
        e.flap_guard.hysteresis, e.flap_guard.flap_budget_per_day, static_cast<long long>(e.tick_seconds));
    std::printf("%-16s %-32s %8s %6s %9s %7s %11s %8s %s\n", "resource", "window", "live ch", "flaps", "replay ch",
                "flaps", "instance-h", "starved", "capacity as live");
    for (const nlohmann::json& row : rows) {
        const std::string window =
            Utc(row["from"].get<UnixSeconds>()) + " +" + std::to_string(row["ticks"].get<std::size_t>()) + " ticks";
        std::printf("%-16s %-32s %8d %6d %9d %7d %11.1f %8d %d of %d ticks\n",
                    row["resource"].get<std::string>().c_str(), window.c_str(), row["live"]["changes"].get<int>(),
                    row["live"]["flaps"].get<int>(), row["replay"]["changes"].get<int>(),
                    row["replay"]["flaps"].get<int>(), row["replay"]["instance_hours"].get<double>(),
                    row["replay"]["starved_ticks"].get<int>(), row["ticks_equal"].get<int>(),
                    row["ticks_compared"].get<int>());
    }
    std::printf(
        "The replay forecasts with each resource's stored model for the whole window; where the service "
        "retrained within it, or ran in recommend mode, its decisions differ from the live ones.\n");
    return 0;
}

}  // namespace cloudopt
