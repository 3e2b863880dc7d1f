#include "simulate/service_replay.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "allocate/capacity_planner.hpp"
#include "simulate/simulated_cloud.hpp"

namespace cloudopt {

namespace {

// The samples with from <= ts < to, of a sorted vector.
std::span<const Sample> Between(const std::vector<Sample>& sorted, UnixSeconds from, UnixSeconds to) {
    auto lo =
        std::lower_bound(sorted.begin(), sorted.end(), from, [](const Sample& s, UnixSeconds t) { return s.ts < t; });
    auto hi = std::lower_bound(lo, sorted.end(), to, [](const Sample& s, UnixSeconds t) { return s.ts < t; });
    return {lo, hi};
}

}  // namespace

Result<ServiceReplay> ReplayRecordedLoad(const Resource& resource, const std::vector<Sample>& load,
                                         int initial_capacity, UnixSeconds from, UnixSeconds to,
                                         TrainedModelRef trained, const Forecaster& fallback,
                                         const ServiceReplayOptions& o) {
    if (o.engine.tick_seconds <= 0 || o.forecast.step <= 0 || o.horizon_steps <= 0 || o.history_seconds <= 0)
        return MakeError(ErrorCode::kInvalidArgument, "tick, step, horizon and history must be positive");
    if (to < from) return MakeError(ErrorCode::kInvalidArgument, "the replay must end after it starts");
    if (!(resource.capacity_per_instance > 0))
        return MakeError(ErrorCode::kInvalidArgument, "capacity per instance must be positive");
    if (load.empty()) return MakeError(ErrorCode::kUnprocessable, "no recorded load to replay");
    if ((to - from) / o.engine.tick_seconds > 10'000'000)
        return MakeError(ErrorCode::kInvalidArgument, "more than ten million ticks: replay a shorter window");

    // The simulated cloud's capacity model: launches serve after the boot delay, billing per second.
    SimulatedGroupSpec spec;
    spec.ref = "replay";
    spec.price_per_hour = 1.0;  // instance-hours
    spec.capacity_per_instance = resource.capacity_per_instance;
    spec.boot_delay_s = static_cast<int>(resource.boot_delay_s);
    spec.demand.step = o.forecast.step;
    spec.demand.values = {0.0};
    spec.initial_capacity = std::max(0, initial_capacity);
    SimulatedGroup group(spec, from);

    Resource auto_resource = resource;
    auto_resource.mode = Mode::kAuto;
    CapacityPlanner planner;
    ScalingEngine engine(planner, o.engine);
    ServiceReplay out;
    for (UnixSeconds now = from; now <= to; now += o.engine.tick_seconds) {
        EngineInput in;
        in.resource = auto_resource;
        in.now = now;
        in.state.desired = group.desired();
        in.state.ready = group.ReadyAt(now);
        // The forecast from complete steps only, as the loop reads its history.
        const UnixSeconds history_end = FloorTo(now, o.forecast.step);
        const auto history = Between(load, history_end - o.history_seconds, history_end);
        if (!history.empty()) {
            const RegularSeries series = Regularize(history, o.forecast.step);
            if (auto made = ForecastLoad(series, now, o.horizon_steps, trained, fallback, o.forecast))
                in.forecast = std::move(made->forecast);
        }
        const auto fresh = Between(load, now - o.stale_after_seconds, now + 1);
        if (!fresh.empty()) in.current_load = fresh.back().value;
        const EngineDecision decided = engine.Decide(in);
        ReplayedTick tick;
        tick.ts = now;
        tick.current = in.state.desired;
        tick.desired = decided.plan.desired;
        tick.verdict = decided.verdict;
        tick.bound_by = decided.plan.bound_by;
        tick.ready = in.state.ready;
        tick.load = in.current_load.value_or(std::numeric_limits<double>::quiet_NaN());
        out.starved_ticks +=
            in.current_load && *in.current_load > in.state.ready * resource.capacity_per_instance + 1e-9;
        if (decided.verdict == Verdict::kApply) {
            group.SetDesired(decided.plan.desired, now);
            engine.Applied(now, in.state.desired, decided.plan.desired);
            ++out.changes;
            out.flaps += engine.counts().last_was_flap;
            tick.summary = SummarizeDecision(decided.plan.explanation);
        }
        out.ticks.push_back(std::move(tick));
    }
    out.instance_hours = group.CostUntil(to);
    return out;
}

}  // namespace cloudopt
