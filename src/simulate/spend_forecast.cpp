#include "simulate/spend_forecast.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "allocate/capacity_planner.hpp"

namespace cloudopt {

namespace {

constexpr UnixSeconds kDay = 86400;
constexpr int kMaxSpanDays = 62;
constexpr int kWeek = 7;

double StepSpend(double load, const SpendSizing& s, UnixSeconds step) {
    const int sized = std::clamp(InstancesFor(load, s.capacity_per_instance, s.target), s.min_instances,
                                 std::max(s.min_instances, s.max_instances));
    return sized * s.price_per_instance_hour * static_cast<double>(step) / 3600.0;
}

SpendBand BandOf(std::vector<double> values) {
    if (values.empty()) return {};
    return {Quantile(values, 0.1), Quantile(values, 0.5), Quantile(values, 0.9)};
}

// Mean measured load of [from, to) in `history`, or NaN without a measured step.
double MeanLoad(const RegularSeries& history, UnixSeconds from, UnixSeconds to) {
    double sum = 0.0;
    std::size_t n = 0;
    for (std::size_t i = 0; i < history.values.size(); ++i) {
        const UnixSeconds t = history.TimeOf(i);
        if (t < from || t >= to || history.IsMissing(i)) continue;
        sum += history.values[i];
        ++n;
    }
    return n ? sum / static_cast<double>(n) : std::nan("");
}

// Log-ratios of the mean load of consecutive blocks of `block_days` days, newest blocks ending at `end`: how much
// the level moved from one block to the next.
std::vector<double> LevelMoves(const RegularSeries& history, UnixSeconds end, int block_days, int history_days) {
    std::vector<double> moves;
    const UnixSeconds block = block_days * kDay;
    double newer = MeanLoad(history, end - block, end);
    for (UnixSeconds older_end = end - block;
         older_end - block >= history.start &&
         end - (older_end - block) <= static_cast<UnixSeconds>(history_days) * kDay;
         older_end -= block) {
        const double older = MeanLoad(history, older_end - block, older_end);
        if (newer > 0 && older > 0) moves.push_back(std::log(newer / older));
        newer = older;
    }
    return moves;
}

}  // namespace

double SizedSpend(const RegularSeries& load, const SpendSizing& sizing) {
    double spend = 0.0;
    for (double v : load.values) spend += StepSpend(v, sizing, load.step);
    return spend;
}

std::vector<SpendBand> SpendPaths::Days() const {
    std::vector<SpendBand> out;
    if (path_days.empty()) return out;
    for (std::size_t d = 0; d < path_days.front().size(); ++d) {
        std::vector<double> values;
        for (const auto& path : path_days) values.push_back(path[d]);
        out.push_back(BandOf(std::move(values)));
    }
    return out;
}

SpendBand SpendPaths::Total() const {
    std::vector<double> totals;
    for (const auto& path : path_days) {
        double sum = 0.0;
        for (double v : path) sum += v;
        totals.push_back(sum);
    }
    return BandOf(std::move(totals));
}

Result<SpendPaths> ForecastSpend(const RegularSeries& history, const SpendSizing& sizing, const SpendOptions& o) {
    if (!(o.to > o.from) || o.to - o.from > kMaxSpanDays * kDay)
        return MakeError(ErrorCode::kInvalidArgument, "the forecast span must be positive and at most 62 days");
    if (!(sizing.capacity_per_instance > 0) || !(sizing.target > 0) || !(sizing.price_per_instance_hour >= 0))
        return MakeError(ErrorCode::kInvalidArgument,
                         "sizing needs a positive capacity per instance and target, and a price not below 0");
    if (o.paths < 10 || o.history_days < 1)
        return MakeError(ErrorCode::kInvalidArgument, "a spend forecast needs at least 10 paths and 1 day of history");
    if (history.step <= 0 || kDay % history.step != 0)
        return MakeError(ErrorCode::kUnprocessable, "the load's step must divide a day (60, 300, 900, 3600 s)");
    const UnixSeconds history_end = std::min(o.from, history.end());
    const int whole_days = static_cast<int>((history_end - history.start) / kDay);
    if (whole_days < 1)
        return MakeError(ErrorCode::kUnprocessable,
                         "a spend forecast needs at least one whole day of load history (" +
                             std::to_string(std::max<UnixSeconds>(0, history_end - history.start)) + " s here)");
    const int usable_days = std::min(whole_days, o.history_days);
    const bool weekly = usable_days >= 2 * kWeek;
    const std::vector<double> moves = LevelMoves(history, history_end, weekly ? kWeek : 1, o.history_days);

    SpendPaths out;
    out.from = o.from;
    out.to = o.to;
    out.first_day = o.from - ((o.from % kDay) + kDay) % kDay;
    const std::size_t days = static_cast<std::size_t>((o.to - 1 - out.first_day) / kDay + 1);
    const UnixSeconds step = history.step;
    // The lag (in days) a step at `t` of future day-block `block` reads its load from: `block` counts whole days from
    // history_end, so every lag in [block + 1, block + usable_days] reads history before history_end.
    auto lag_choices = [&](int block) {
        std::vector<int> lags;
        for (int lag = block + 1; lag <= block + usable_days; ++lag)
            if (!weekly || lag % kWeek == 0) lags.push_back(lag);
        return lags;
    };
    auto load_at = [&](UnixSeconds t, double fallback) {
        if (t < history.start) return fallback;
        const auto i = static_cast<std::size_t>((t - history.start) / step);
        if (i >= history.values.size()) return fallback;
        return history.values[i];  // a filled gap holds the value before it: what the load most likely was
    };
    std::mt19937_64 rng(o.seed);
    const double last_day_mean = MeanLoad(history, history_end - kDay, history_end);
    const double fallback = std::isnan(last_day_mean) ? 0.0 : last_day_mean;
    if (std::isnan(last_day_mean) && std::isnan(MeanLoad(history, history.start, history_end)))
        return MakeError(ErrorCode::kUnprocessable, "the load history holds no measured value");
    const int blocks = static_cast<int>((o.to - history_end + kDay - 1) / kDay);
    for (int path = 0; path < o.paths; ++path) {
        std::vector<double> spend(days, 0.0);
        const double level =
            moves.empty() ? 1.0 : std::exp(moves[std::uniform_int_distribution<std::size_t>(0, moves.size() - 1)(rng)]);
        std::vector<int> lags(static_cast<std::size_t>(blocks));
        for (int b = 0; b < blocks; ++b) {
            const auto choices = lag_choices(b);
            // A weekly history too short for this block (lags beyond it): the nearest day back instead.
            lags[static_cast<std::size_t>(b)] =
                choices.empty() ? b + usable_days
                                : choices[std::uniform_int_distribution<std::size_t>(0, choices.size() - 1)(rng)];
        }
        for (UnixSeconds t = o.from; t < o.to; t += step) {
            const int block = static_cast<int>(std::max<UnixSeconds>(0, t - history_end) / kDay);
            const double load = level * load_at(t - lags[static_cast<std::size_t>(block)] * kDay, fallback);
            const std::size_t day = static_cast<std::size_t>((t - out.first_day) / kDay);
            spend[day] += StepSpend(load, sizing, std::min(step, o.to - t));
        }
        out.path_days.push_back(std::move(spend));
    }
    return out;
}

Result<SpendPaths> SumSpend(const std::vector<const SpendPaths*>& parts) {
    if (parts.empty()) return MakeError(ErrorCode::kInvalidArgument, "nothing to sum");
    SpendPaths out = *parts.front();
    for (std::size_t i = 1; i < parts.size(); ++i) {
        const SpendPaths& p = *parts[i];
        if (p.from != out.from || p.to != out.to || p.path_days.size() != out.path_days.size())
            return MakeError(ErrorCode::kInvalidArgument, "spend paths of different spans or path counts");
        for (std::size_t path = 0; path < p.path_days.size(); ++path)
            for (std::size_t d = 0; d < p.path_days[path].size() && d < out.path_days[path].size(); ++d)
                out.path_days[path][d] += p.path_days[path][d];
    }
    return out;
}

}  // namespace cloudopt
