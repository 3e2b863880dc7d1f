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
// The largest level move a calibrated path may take (x 9 or / 9).
const double kMaxCalibratedMove = 2.0 * std::log(3.0);

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

// The level factors' logs a path draws from. Each path picks one of `sets` (one per calibration origin, the same
// pick for every resource of a fleet: a fleet-wide move at that origin moves them together) and a sign (shared too),
// then one value of the set with the resource's own generator, times `scale`. Empty: the history's level moves.
struct LevelDraws {
    std::vector<std::vector<double>> sets;
    double scale = 1.0;
    std::uint64_t member_seed = 0;  // the resource's own generator (its place in the fleet)
    double width = 1.0;             // the calibration's stretch (SpendPaths::width)
    int origins = 0;                // how many of its own spans were scored (SpendPaths::calibration_origins)
};

// The paths, their level factors drawn from `draws` when given and not empty, else from the history's level moves.
Result<SpendPaths> SpendPathsWithDraws(const RegularSeries& history, const SpendSizing& sizing, const SpendOptions& o,
                                       const LevelDraws* draws = nullptr) {
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
    // The level factors: the calibration's (CalibratedDraws) when there are any, else the history's moves.
    const bool calibrated = draws && !draws->sets.empty();
    const std::vector<double> moves =
        calibrated ? std::vector<double>{} : LevelMoves(history, history_end, usable_days, span_days, weekly);

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
    // Three generators: the analog days (the same for every resource of a fleet, so path i of each draws the same
    // past days), the level's origin and sign (the same too), and the resource's own pick within the origin's set.
    std::mt19937_64 rng(o.seed), level_rng(o.seed ^ 0x5851F42D4C957F2DULL),
        member_rng(o.seed ^ (draws ? draws->member_seed : 0) * 0x9E3779B97F4A7C15ULL);
    auto pick = [](std::mt19937_64& g, std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(g);
    };
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
        double level = 1.0;
        if (calibrated) {
            const auto& set = draws->sets[pick(level_rng, draws->sets.size())];
            const double sign = pick(level_rng, 2) == 0 ? 1.0 : -1.0;
            const double move = set.empty() ? 0.0 : set[pick(member_rng, set.size())];
            level = std::exp(std::clamp(sign * draws->scale * move, -kMaxCalibratedMove, kMaxCalibratedMove));
        } else if (!moves.empty()) {
            level = std::exp(moves[pick(level_rng, moves.size())]);
        }
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

constexpr std::size_t kCalibrationOrigins = 14;  // bounds the cost: each origin is a forecast of 100 paths
constexpr int kCalibrationPaths = 100;
constexpr int kMinCalibrationOrigins = 3;
constexpr int kMinCalibrationHistoryDays = 2;  // the least history a calibration origin forecasts from
// The share of calibration errors the band must hold, in the finite-sample conformal rank ceil((n + 1) q) / n. 0.85,
// not 0.8: the origins are a day apart, so week-long spans overlap and n overstates how many independent errors
// were seen, and the next span is less like the history than exchangeability assumes. Tuned on the rolling backtest
// of azure_vm2017_sample100 and bitbrains_rnd only, checked on the other files (docs/COSTS.md section 2).
constexpr double kCalibrationLevel = 0.85;
// How many errors' worth of the fleet's scale a resource's own scale is shrunk toward (CalibratedDraws). Chosen on
// the rolling backtest of azure_vm2017_sample100 and bitbrains_rnd (1: 79% and 88% of the spans inside p10-p90; 2:
// 80% and 89%; 4: 80% and 92%; 7: 84% and 95%), checked on the other files (docs/COSTS.md section 2).
constexpr double kScaleShrink = 2.0;
const double kMaxError = std::log(3.0);
// The most the calibration stretches the errors.
constexpr double kMaxCalibrationWidth = 8.0;

// The calibration's raw material: the ensemble is run at the last whole-day origins inside the history (at most 14),
// each from the load before it alone (two weeks of it when the history has 17 days, else two days at least), over
// spans as long as the forecast's, and the log-errors of their p50s against the spend that came, keyed by how many
// days before the history's end each span starts. When the history is too short for three such spans, the spans
// are shortened (to one day at least): a month's first weeks then still get a measured band (a raw one covered a
// third of the spans on the Azure VM traces).
std::map<int, double> CalibrationErrors(const RegularSeries& history, const SpendSizing& sizing,
                                        const SpendOptions& o) {
    const UnixSeconds end = std::min(o.from, history.end());
    const int whole_days = static_cast<int>((end - history.start) / kDay);
    const int full_span = static_cast<int>((o.to - o.from + kDay - 1) / kDay);
    // Two weeks before each origin when the history leaves three such origins: the forecast then draws the same
    // weekday (weekly analogs), and so must the forecasts whose errors set its band; errors of forecasts from a few
    // days of history would widen the band of a load that repeats exactly every week.
    const int before_days =
        whole_days >= 2 * kWeek + kMinCalibrationOrigins ? 2 * kWeek : std::min(kMinCalibrationHistoryDays, whole_days);
    const int span_days = std::max(1, std::min(full_span, whole_days - before_days - (kMinCalibrationOrigins - 1)));
    std::map<int, double> errors;
    for (int back = span_days; back <= whole_days - before_days && errors.size() < kCalibrationOrigins; ++back) {
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
        // The slice ends at the origin: the calibration forecast never sees the span it is scored on.
        auto paths = SpendPathsWithDraws(SpendSlice(history, 0, cut), sizing, at);
        if (!paths) continue;
        const double p50 = paths->Total().p50;
        const double actual = SizedSpend(SpendSlice(history, cut, stop), sizing);
        // Clipped at a third and three times: a span that far off (a burst in the first days, a VM's start) would
        // otherwise set every later band; clipping narrowed bitbrains_rnd's mean band from 222% to 127% of its p50
        // at the same coverage.
        if (actual > 0 && p50 > 0) errors[back] = std::clamp(std::log(actual / p50), -kMaxError, kMaxError);
    }
    return errors;
}

// The stretch that takes the 80% quantile of `sizes` to their finite-sample conformal quantile, bounded: with a
// handful of origins one clipped outlier sets the conformal quantile, and conformal / plain could reach 50 and more,
// sending a path to the group's max or min capacity for every step (a review finding). 0 when every size is 0; 1 (no
// stretch) when only a few are not.
double ConformalWidth(std::vector<double> sizes) {
    const double n = static_cast<double>(sizes.size());
    const double plain = Quantile(sizes, 0.8);
    const double conformal = Quantile(sizes, std::min(1.0, std::ceil((n + 1) * kCalibrationLevel) / n));
    if (!(*std::max_element(sizes.begin(), sizes.end()) > 0)) return 0.0;
    if (!(plain > 0)) return 1.0;
    return std::clamp(conformal / plain, 1.0, kMaxCalibrationWidth);
}

double RootMeanSquare(const std::map<int, double>& errors) {
    double sum = 0.0;
    for (const auto& [back, e] : errors) sum += e * e;
    return errors.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(errors.size()));
}

// Split-conformal calibration of a fleet's bands, as the forecasters' bands are calibrated (docs/FORECASTING.md),
// pooled over the fleet's resources. Each resource's errors (CalibrationErrors) are divided by its scale, their
// root mean square shrunk toward the fleet's (`kScaleShrink` errors' worth of the fleet's): one resource's dozen
// overlapping spans are a noisy measure of how wrong its forecast can be, and a fleet's resources that change
// level (a VM going idle, or starting) are what a calm history did not show. The pooled ratios, stretched to their
// conformal quantile, times a resource's own scale, are its level factors' logs, grouped by calibration origin. A
// fleet of one is the resource's own errors, stretched as before. Per member: empty with fewer than three origins
// in the whole fleet, or when every span was forecast exactly: the history's level moves are the band then. Resources
// whose own forecasts never erred add no ratios to the pool (their zeros would narrow the others' bands).
std::vector<LevelDraws> CalibratedDraws(const std::vector<std::map<int, double>>& errors) {
    std::vector<LevelDraws> out(errors.size());
    double fleet_sum = 0.0;
    std::size_t fleet_n = 0;
    for (const auto& member : errors)
        for (const auto& [back, e] : member) {
            fleet_sum += e * e;
            ++fleet_n;
        }
    if (fleet_n < static_cast<std::size_t>(kMinCalibrationOrigins)) return out;
    const double fleet_rms = std::sqrt(fleet_sum / static_cast<double>(fleet_n));
    std::vector<double> scales;
    for (const auto& member : errors) {
        const double n = static_cast<double>(member.size()), rms = RootMeanSquare(member);
        scales.push_back(std::sqrt((n * rms * rms + kScaleShrink * fleet_rms * fleet_rms) / (n + kScaleShrink)));
    }
    std::map<int, std::vector<double>> ratios;  // by calibration origin (days back)
    std::vector<double> sizes;
    for (std::size_t m = 0; m < errors.size(); ++m) {
        // A resource whose own forecasts never erred (pinned at its min or max instances) adds no ratios: a pool
        // full of its zeros would narrow every other resource's band. It still gets a band through its scale.
        if (!(scales[m] > 0) || !(RootMeanSquare(errors[m]) > 0)) continue;
        for (const auto& [back, e] : errors[m]) {
            ratios[back].push_back(e / scales[m]);
            sizes.push_back(std::abs(e / scales[m]));
        }
    }
    if (sizes.size() < static_cast<std::size_t>(kMinCalibrationOrigins)) return out;
    const double width = ConformalWidth(sizes);
    if (!(width > 0)) return out;
    for (std::size_t m = 0; m < errors.size(); ++m) {
        if (!(scales[m] > 0)) continue;
        LevelDraws& d = out[m];
        for (const auto& [back, set] : ratios) d.sets.push_back(set);
        d.scale = width * scales[m];
        d.member_seed = m + 1;
        d.width = width;
        d.origins = static_cast<int>(errors[m].size());
    }
    return out;
}

}  // namespace

std::vector<Result<SpendPaths>> ForecastFleetSpend(const std::vector<SpendMember>& fleet, const SpendOptions& o) {
    std::vector<Result<SpendPaths>> out;
    std::vector<std::map<int, double>> errors(fleet.size());
    for (std::size_t m = 0; m < fleet.size(); ++m) {
        if (!fleet[m].history) {
            out.emplace_back(MakeError(ErrorCode::kInvalidArgument, "a fleet member without a load history"));
            continue;
        }
        out.emplace_back(SpendPathsWithDraws(*fleet[m].history, fleet[m].sizing, o));  // also checks every input
        if (out.back()) errors[m] = CalibrationErrors(*fleet[m].history, fleet[m].sizing, o);
    }
    const std::vector<LevelDraws> draws = CalibratedDraws(errors);
    for (std::size_t m = 0; m < fleet.size(); ++m) {
        if (!out[m] || draws[m].sets.empty()) continue;
        auto calibrated = SpendPathsWithDraws(*fleet[m].history, fleet[m].sizing, o, &draws[m]);
        if (calibrated) {
            calibrated->width = draws[m].width;
            calibrated->calibration_origins = draws[m].origins;
        }
        out[m] = std::move(calibrated);
    }
    return out;
}

Result<SpendPaths> ForecastSpend(const RegularSeries& history, const SpendSizing& sizing, const SpendOptions& o) {
    return std::move(ForecastFleetSpend({SpendMember{&history, sizing}}, o).front());
}

std::vector<Result<std::vector<SpendBacktestPoint>>> BacktestFleetSpend(const std::vector<RegularSeries>& fleet,
                                                                        const SpendBacktestOptions& b) {
    std::vector<Result<std::vector<SpendBacktestPoint>>> out;
    if (b.days < 1 || b.days > 31 || b.origins < 1 || b.every_days < 1) {
        for (std::size_t m = 0; m < fleet.size(); ++m)
            out.push_back(MakeError(ErrorCode::kInvalidArgument,
                                    "a spend backtest needs 1 to 31 days per span, at least one origin, and origins at "
                                    "least a day apart"));
        return out;
    }
    const UnixSeconds span = b.days * kDay;
    // What one series needs at one origin: its history, the load that came, the sizing and the naive projection.
    struct Case {
        RegularSeries history, actual_load;
        SpendSizing sizing;
        double naive = 0.0;
    };
    std::vector<bool> scorable(fleet.size(), true);
    for (const RegularSeries& series : fleet) {
        if (series.step <= 0 || kDay % series.step != 0)
            out.push_back(MakeError(ErrorCode::kUnprocessable, "step does not divide a day"));
        else if (series.values.size() < static_cast<std::size_t>((span + kDay) / series.step))
            out.push_back(MakeError(ErrorCode::kUnprocessable, "under " + std::to_string(b.days + 1) + " days"));
        else
            out.push_back(std::vector<SpendBacktestPoint>{});
        scorable[out.size() - 1] = static_cast<bool>(out.back());
    }
    for (int k = 0; k < b.origins; ++k) {
        // The fleet's series whose origin k falls at the same time are forecast together (their bands calibrated
        // on each other's errors); a series of another length is its own fleet.
        std::map<std::pair<UnixSeconds, UnixSeconds>, std::vector<std::size_t>> spans;
        std::vector<Case> cases(fleet.size());
        for (std::size_t m = 0; m < fleet.size(); ++m) {
            if (!scorable[m]) continue;
            const RegularSeries& series = fleet[m];
            const auto span_steps = static_cast<std::size_t>(span / series.step);
            const auto day_steps = static_cast<std::size_t>(kDay / series.step);
            const std::size_t back = span_steps + static_cast<std::size_t>(k) * b.every_days * day_steps;
            if (back + day_steps > series.values.size()) continue;  // under a day of history before this origin
            const std::size_t cut = series.values.size() - back;
            // The forecast, its sizing and the naive projection see only this slice: nothing at or after the origin.
            Case& c = cases[m];
            c.history = SpendSlice(series, 0, cut);
            c.actual_load = SpendSlice(series, cut, cut + span_steps);
            c.sizing.capacity_per_instance = Quantile(c.history.values, 0.99) / 20.0;
            if (!(c.sizing.capacity_per_instance > 0)) c.sizing.capacity_per_instance = 1.0;
            c.sizing.target = 0.75;
            const std::size_t so_far_steps =
                std::min(cut, static_cast<std::size_t>(std::max(1, b.month_days - b.days)) * day_steps);
            c.naive = SizedSpend(SpendSlice(c.history, cut - so_far_steps, cut), c.sizing) *
                      static_cast<double>(span_steps) / static_cast<double>(so_far_steps);
            spans[{c.history.end(), c.actual_load.end()}].push_back(m);
        }
        for (const auto& [when, members] : spans) {
            SpendOptions options;
            options.from = when.first;
            options.to = when.second;
            options.paths = b.paths;
            options.history_days = b.history_days;
            std::vector<SpendMember> group;
            for (std::size_t m : members) group.push_back({&cases[m].history, cases[m].sizing});
            auto forecasts = ForecastFleetSpend(group, options);
            for (std::size_t i = 0; i < members.size(); ++i) {
                const std::size_t m = members[i];
                const Case& c = cases[m];
                const double actual = SizedSpend(c.actual_load, c.sizing);
                if (!forecasts[i] || !(actual > 0)) {
                    if (k > 0) continue;
                    out[m] = MakeError(ErrorCode::kUnprocessable,
                                       forecasts[i] ? "no spend in the span" : forecasts[i].error().message);
                    scorable[m] = false;
                    continue;
                }
                out[m]->push_back({.origin = options.from,
                                   .history_days = static_cast<double>(c.history.values.size() * c.history.step) /
                                                   static_cast<double>(kDay),
                                   .actual = actual,
                                   .naive = c.naive,
                                   .band = forecasts[i]->Total(),
                                   .width = forecasts[i]->width});
            }
        }
    }
    return out;
}

Result<std::vector<SpendBacktestPoint>> BacktestSpend(const RegularSeries& series, const SpendBacktestOptions& b) {
    return std::move(BacktestFleetSpend({series}, b).front());
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
