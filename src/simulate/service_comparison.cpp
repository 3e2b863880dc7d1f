#include "simulate/service_comparison.hpp"

#include <algorithm>
#include <cmath>

#include "simulate/replay.hpp"

namespace cloudopt {

namespace {

// The series on a regular grid from its first bucket to its last; a missing bucket repeats the one before it (a
// scrape that failed does not mean the load vanished) and is marked missing, so it is not scored.
RegularSeries OnGrid(const std::vector<Sample>& samples, UnixSeconds step) {
    RegularSeries out;
    out.step = step;
    if (samples.empty()) return out;
    out.start = samples.front().ts;
    const std::size_t n = static_cast<std::size_t>((samples.back().ts - out.start) / step) + 1;
    out.values.assign(n, std::nan(""));
    for (const Sample& s : samples) out.values[static_cast<std::size_t>((s.ts - out.start) / step)] = s.value;
    for (std::size_t i = 1; i < n; ++i) {
        if (!std::isnan(out.values[i])) continue;
        out.values[i] = out.values[i - 1];
        if (out.missing.empty()) out.missing.assign(n, 0);
        out.missing[i] = 1;
    }
    return out;
}

}  // namespace

Result<ServiceComparison> CompareWithBaselines(const Resource& r, double price, const std::vector<Sample>& demand,
                                               const std::vector<Sample>& ready,
                                               const std::vector<Sample>& cost_per_hour, UnixSeconds step) {
    if (step <= 0) return MakeError(ErrorCode::kInvalidArgument, "step must be positive");
    if (ready.empty()) return MakeError(ErrorCode::kUnprocessable, "no capacity recorded in the window yet");
    // Compare over the span cloudopt managed: from its first capacity record on.
    std::vector<Sample> managed;
    for (const Sample& s : demand)
        if (s.ts >= ready.front().ts) managed.push_back(s);
    const RegularSeries load = OnGrid(managed, step);
    auto baselines =
        ReplayBaselines(load, r.capacity_per_instance, r.boot_delay_s, r.target_utilization(), r.target_high);
    if (!baselines) return baselines.error();
    ServiceComparison out;
    out.from = load.start;
    out.step = step;
    out.steps = load.values.size() - 1;  // the replay scores every step but the first
    for (const auto& [name, result] : *baselines)
        out.policies[name] = {result.cost * price, result.cost, result.unmet, result.actions};

    // What cloudopt ran, per scored step (each series held from its last known value): billed by its recorded
    // hourly cost, scored against its ready instances.
    const RegularSeries capacity = OnGrid(ready, step), paid = OnGrid(cost_per_hour, step);
    auto at = [&](const RegularSeries& s, UnixSeconds ts) {
        if (s.values.empty() || ts < s.start) return 0.0;
        return s.values[std::min(s.values.size() - 1, static_cast<std::size_t>((ts - s.start) / step))];
    };
    PolicyOutcome ran;
    int previous = -1;
    std::size_t unmet = 0;
    for (std::size_t i = 1; i < load.values.size(); ++i) {
        const UnixSeconds ts = load.start + static_cast<UnixSeconds>(i) * step;
        const double instances = at(capacity, ts);
        ran.cost += at(paid, ts) * static_cast<double>(step) / 3600.0;
        out.ran_cost_per_hour.push_back({ts, at(paid, ts)});
        unmet += load.values[i] > instances * r.capacity_per_instance + 1e-9;
        // Saturated: the capacity series is data, and a value past int would make lround's result undefined.
        const int count = static_cast<int>(std::lround(std::clamp(instances, 0.0, 1e9)));
        if (previous >= 0 && count != previous) ++ran.actions;
        previous = count;
    }
    ran.instance_hours = price > 0 ? ran.cost / price : 0.0;
    ran.unmet = static_cast<double>(unmet) / static_cast<double>(out.steps);
    out.policies["actual"] = ran;
    return out;
}

}  // namespace cloudopt
