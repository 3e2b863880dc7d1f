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
const double kMaxMove = std::log(2.0);

int StepInstances(double load, const SpendSizing& s) {
    return std::clamp(InstancesFor(load, s.capacity_per_instance, s.target), s.min_instances,
                      std::max(s.min_instances, s.max_instances));
}

double StepSpend(double load, const SpendSizing& s, UnixSeconds step) {
    return StepInstances(load, s) * s.price_per_instance_hour * static_cast<double>(step) / 3600.0;
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

// How much the mean load of a window as long as the forecast moved against the window just before it (a week
// before, rounded up to whole weeks, when the load has a weekly cycle), at every whole-day origin of the last
// `usable_days`: the log-ratios are the level changes a forecast of that span has met in this history. They are
// what the naive projection's errors would have been, so the band covers what the history says a span can move.
std::vector<double> LevelMoves(const RegularSeries& history, UnixSeconds end, int usable_days, int span_days,
                               bool weekly) {
    std::vector<double> daily;  // daily[d]: mean of day d, oldest first
    for (int d = usable_days; d >= 1; --d) daily.push_back(MeanLoad(history, end - d * kDay, end - (d - 1) * kDay));
    const int span = std::max(1, std::min(span_days, usable_days / 2));
    const int shift = weekly ? (span + kWeek - 1) / kWeek * kWeek : span;
    auto mean = [&](int from, int n) {
        double sum = 0.0;
        int used = 0;
        for (int d = from; d < from + n; ++d)
            if (!std::isnan(daily[static_cast<std::size_t>(d)])) {
                sum += daily[static_cast<std::size_t>(d)];
                ++used;
            }
        return used ? sum / used : std::nan("");
    };
    std::vector<double> moves;
    for (int origin = shift; origin + span <= usable_days; ++origin) {
        const double after = mean(origin, span), before = mean(origin - shift, span);
        // Clipped at halving or doubling: a window of an outage (nasa_http's days without load) is no level to move
        // by, and its ratio of near-zero means would swamp the rest.
        if (after > 0 && before > 0) moves.push_back(std::clamp(std::log(after / before), -kMaxMove, kMaxMove));
    }
    // Centred on their median: the spread is the level's uncertainty; a drift of the past is no forecast of the
    // next span (extrapolating it doubled the p50's error on the Azure VM traces).
    if (!moves.empty()) {
        const double median = Quantile(moves, 0.5);
        const std::size_t n = moves.size();
        for (std::size_t i = 0; i < n; ++i) {
            moves[i] -= median;
            moves.push_back(-moves[i]);  // as likely up as down: the band is symmetric about the analogs' median
        }
    }
    return moves;
}

}  // namespace

double SizedSpend(const RegularSeries& load, const SpendSizing& sizing) {
    double spend = 0.0;
    for (double v : load.values) spend += StepSpend(v, sizing, load.step);
    return spend;
}

std::vector<int> SizedInstances(const RegularSeries& load, const SpendSizing& sizing) {
    std::vector<int> out;
    out.reserve(load.values.size());
    for (double v : load.values) out.push_back(StepInstances(v, sizing));
    return out;
}

namespace {
// p10/p90 of `leveled`, p50 of `base`, ordered.
SpendBand Banded(std::vector<double> leveled, std::vector<double> base) {
    SpendBand b = BandOf(std::move(leveled));
    if (!base.empty()) b.p50 = Quantile(std::move(base), 0.5);
    b.p10 = std::min(b.p10, b.p50);
    b.p90 = std::max(b.p90, b.p50);
    return b;
}
double SumOf(const std::vector<double>& v) {
    double sum = 0.0;
    for (double x : v) sum += x;
    return sum;
}
}  // namespace

std::vector<SpendBand> SpendPaths::Days() const {
    std::vector<SpendBand> out;
    if (path_days.empty()) return out;
    for (std::size_t d = 0; d < path_days.front().size(); ++d) {
        std::vector<double> leveled, base;
        for (const auto& path : path_days) leveled.push_back(path[d]);
        for (const auto& path : base_days) base.push_back(path[d]);
        out.push_back(Banded(std::move(leveled), std::move(base)));
    }
    return out;
}

SpendBand SpendPaths::Total() const {
    std::vector<double> leveled, base;
    for (const auto& path : path_days) leveled.push_back(SumOf(path));
    for (const auto& path : base_days) base.push_back(SumOf(path));
    return Banded(std::move(leveled), std::move(base));
}

namespace {

// The paths with each level factor's log scaled by `width` (1: as the history's moves are).
Result<SpendPaths> SpendPathsWithWidth(const RegularSeries& history, const SpendSizing& sizing, const SpendOptions& o,
                                       double width) {
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
    const int span_days = static_cast<int>((o.to - o.from + kDay - 1) / kDay);
    const std::vector<double> moves = LevelMoves(history, history_end, usable_days, span_days, weekly);

    SpendPaths out;
    out.from = o.from;
    out.to = o.to;
    out.first_day = o.from - ((o.from % kDay) + kDay) % kDay;
    const std::size_t days = static_cast<std::size_t>((o.to - 1 - out.first_day) / kDay + 1);
    const UnixSeconds step = history.step;
    if (o.instance_steps) out.instance_step = step;
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
    // An analog L days back is scaled by how the level moved since: the mean of the last week over that of the week
    // before the analog (clipped as the moves are). A load that grows keeps growing into the forecast; without this
    // the p50 missed bitbrains_rnd's spend by 29% instead of 20%.
    const UnixSeconds level_window = std::min<UnixSeconds>(kWeek, usable_days) * kDay;
    const double recent = MeanLoad(history, history_end - level_window, history_end);
    std::vector<double> lag_level(static_cast<std::size_t>(blocks + usable_days + 1), 1.0);
    for (std::size_t lag = 1; lag < lag_level.size(); ++lag) {
        const UnixSeconds then = history_end - static_cast<UnixSeconds>(lag) * kDay;
        if (then - level_window < history.start) continue;
        const double before = MeanLoad(history, then - level_window, then);
        if (recent > 0 && before > 0)
            lag_level[lag] = std::exp(std::clamp(std::log(recent / before), -kMaxMove, kMaxMove));
    }
    for (int path = 0; path < o.paths; ++path) {
        std::vector<double> spend(days, 0.0), base(days, 0.0);
        std::map<int, double> instance_hours;
        std::vector<int> instances;
        const double level =
            moves.empty()
                ? 1.0
                : std::exp(width * moves[std::uniform_int_distribution<std::size_t>(0, moves.size() - 1)(rng)]);
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
            const int lag = lags[static_cast<std::size_t>(block)];
            const double load = lag_level[static_cast<std::size_t>(lag)] * load_at(t - lag * kDay, fallback);
            const std::size_t day = static_cast<std::size_t>((t - out.first_day) / kDay);
            spend[day] += StepSpend(level * load, sizing, std::min(step, o.to - t));
            if (o.instance_hours)
                instance_hours[StepInstances(level * load, sizing)] +=
                    static_cast<double>(std::min(step, o.to - t)) / 3600.0;
            if (o.instance_steps) instances.push_back(StepInstances(level * load, sizing));
            base[day] += StepSpend(load, sizing, std::min(step, o.to - t));
        }
        out.path_days.push_back(std::move(spend));
        out.base_days.push_back(std::move(base));
        if (o.instance_hours) out.path_instance_hours.push_back(std::move(instance_hours));
        if (o.instance_steps) out.path_instances.push_back(std::move(instances));
    }
    return out;
}

RegularSeries SpendSlice(const RegularSeries& s, std::size_t from, std::size_t to) {
    RegularSeries out{s.TimeOf(from),
                      s.step,
                      std::vector<double>(s.values.begin() + static_cast<std::ptrdiff_t>(from),
                                          s.values.begin() + static_cast<std::ptrdiff_t>(to)),
                      {}};
    if (s.missing.size() >= to)
        out.missing.assign(s.missing.begin() + static_cast<std::ptrdiff_t>(from),
                           s.missing.begin() + static_cast<std::ptrdiff_t>(to));
    return out;
}

constexpr double kMaxWidth = 8.0;
constexpr std::size_t kCalibrationOrigins = 14;  // bounds the cost: each origin is a forecast of 100 paths
constexpr int kCalibrationPaths = 100;

// Split-conformal width of the band, as the forecasters' bands are calibrated (docs/FORECASTING.md): the ensemble
// is run at whole-day origins inside the history, over spans as long as the forecast's, and the width is the 80th
// percentile of how far each span's actual spend lay from the p50, in units of the band's half-width on its side.
// 1 (the history's own moves) with fewer than three such origins, e.g. early in a month whose rest is longer than
// the history allows.
double CalibratedWidth(const RegularSeries& history, const SpendSizing& sizing, const SpendOptions& o) {
    const UnixSeconds end = std::min(o.from, history.end());
    const int whole_days = static_cast<int>((end - history.start) / kDay);
    const int span_days = static_cast<int>((o.to - o.from + kDay - 1) / kDay);
    const int before_days = std::max(1, std::min(kWeek, whole_days / 2));  // history each origin forecasts from
    std::vector<double> ratios;
    for (int back = span_days; back <= whole_days - before_days && ratios.size() < kCalibrationOrigins; ++back) {
        const UnixSeconds origin = end - static_cast<UnixSeconds>(back) * kDay;
        const auto cut = static_cast<std::size_t>((origin - history.start) / history.step);
        const auto stop =
            std::min(history.values.size(), cut + static_cast<std::size_t>(span_days * kDay / history.step));
        if (cut == 0 || stop <= cut) continue;
        SpendOptions at = o;
        at.from = history.TimeOf(cut);
        at.to = history.TimeOf(stop);
        at.paths = std::min(o.paths, kCalibrationPaths);
        at.seed = o.seed + static_cast<std::uint64_t>(back);
        auto paths = SpendPathsWithWidth(SpendSlice(history, 0, cut), sizing, at, 1.0);
        if (!paths) continue;
        const SpendBand band = paths->Total();
        const double actual = SizedSpend(SpendSlice(history, cut, stop), sizing);
        if (!(actual > 0) || !(band.p50 > 0)) continue;
        const double side = actual >= band.p50 ? band.p90 : band.p10;
        const double needed = std::abs(std::log(actual / band.p50));
        const double have = side > 0 ? std::abs(std::log(side / band.p50)) : 0.0;
        ratios.push_back(have > 1e-9 ? needed / have : (needed > 1e-9 ? kMaxWidth : 0.0));
    }
    if (ratios.size() < 3) return 1.0;
    return std::clamp(Quantile(ratios, 0.8), 0.5, kMaxWidth);
}

}  // namespace

Result<SpendPaths> ForecastSpend(const RegularSeries& history, const SpendSizing& sizing, const SpendOptions& o) {
    auto paths = SpendPathsWithWidth(history, sizing, o, 1.0);  // also checks every input
    if (!paths) return paths;
    const double width = CalibratedWidth(history, sizing, o);
    if (width == 1.0) return paths;
    auto widened = SpendPathsWithWidth(history, sizing, o, width);
    if (widened) widened->width = width;
    return widened;
}

Result<SpendPaths> SumSpend(const std::vector<const SpendPaths*>& parts) {
    if (parts.empty()) return MakeError(ErrorCode::kInvalidArgument, "nothing to sum");
    SpendPaths out = *parts.front();
    for (std::size_t i = 1; i < parts.size(); ++i) {
        const SpendPaths& p = *parts[i];
        if (p.from != out.from || p.to != out.to || p.path_days.size() != out.path_days.size() ||
            p.base_days.size() != out.base_days.size())
            return MakeError(ErrorCode::kInvalidArgument, "spend paths of different spans or path counts");
        for (std::size_t path = 0; path < p.path_days.size(); ++path)
            for (std::size_t d = 0; d < p.path_days[path].size() && d < out.path_days[path].size(); ++d)
                out.path_days[path][d] += p.path_days[path][d];
        for (std::size_t path = 0; path < p.base_days.size(); ++path)
            for (std::size_t d = 0; d < p.base_days[path].size() && d < out.base_days[path].size(); ++d)
                out.base_days[path][d] += p.base_days[path][d];
    }
    return out;
}

}  // namespace cloudopt
