#include "forecast/phase_bands.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "core/sample.hpp"

namespace cloudopt {

namespace {

// A grouping the calibration may choose: by the phase of a period, or (period 0) by the forecast's level. Phases
// of the hour are pooled with `neighbours` phases either side, so that a burst that starts a step early or late
// on some days still falls in its phase's sample.
struct Grouping {
    UnixSeconds period, width;
    std::size_t neighbours;
    bool by_level() const { return period == 0; }
};

// Fewer errors than this in a phase (after pooling) give a 95th percentile that is mostly noise.
constexpr std::size_t kMinErrorsPerPhase = 20;

std::vector<Grouping> GroupingsFor(UnixSeconds step) {
    std::vector<Grouping> out;
    if (step <= 0) return out;
    constexpr UnixSeconds kHour = 3600, kDay = 86400;
    if (kHour % step == 0 && kHour / step >= 4 && kHour / step <= kMaxPhases)
        out.push_back({kHour, step, kHour / step >= 12 ? std::size_t{1} : std::size_t{0}});
    if (kHour % step == 0) out.push_back({kDay, kHour, 0});
    out.push_back({0, 0, 0});  // by level: whatever the step
    return out;
}

// Bounds between kLevelGroups groups of equal size among the forecasts with ts in [from, to), without repeats (a
// series that idles at one value has fewer levels); empty when fewer than two groups remain.
std::vector<double> LevelBounds(const std::vector<std::vector<TimedError>>& errors, UnixSeconds from,
                                UnixSeconds to) {
    std::vector<double> forecasts;
    for (const auto& at_step : errors)
        for (const TimedError& e : at_step)
            if (e.ts >= from && e.ts < to) forecasts.push_back(e.forecast);
    if (forecasts.empty()) return {};
    std::sort(forecasts.begin(), forecasts.end());
    std::vector<double> bounds;
    for (std::size_t g = 1; g < kLevelGroups; ++g) {
        const double bound = forecasts[g * forecasts.size() / kLevelGroups];
        if (bound > forecasts.front() && (bounds.empty() || bound > bounds.back())) bounds.push_back(bound);
    }
    return bounds;
}

double Pinball(double error, double offset, double level) {
    return error > offset ? level * (error - offset) : (1.0 - level) * (offset - error);
}

// Offsets per step and group (phase or level) from the errors with ts in [from, to); inactive when some group has
// too few errors.
PhaseBands Fit(const std::vector<std::vector<TimedError>>& errors, const Grouping& g, UnixSeconds from,
               UnixSeconds to) {
    PhaseBands bands;
    if (g.by_level()) {
        bands.levels = LevelBounds(errors, from, to);
        if (bands.levels.empty()) return {};
    } else {
        bands.period = g.period;
        bands.width = g.width;
    }
    const std::size_t groups = bands.groups(), steps = errors.size();
    bands.q90.assign(steps * groups, 0.0);
    bands.q95.assign(steps * groups, 0.0);
    bands.q99.assign(steps * groups, 0.0);
    for (std::size_t k = 0; k < steps; ++k) {
        std::vector<std::vector<double>> by_group(groups);
        for (const TimedError& e : errors[k])
            if (e.ts >= from && e.ts < to) by_group[bands.GroupOf(e.ts, e.forecast)].push_back(e.error);
        for (std::size_t p = 0; p < groups; ++p) {
            std::vector<double> pooled;  // levels have no neighbours to pool with (g.neighbours is 0)
            for (std::size_t d = 0; d <= 2 * g.neighbours; ++d) {
                const auto& more = by_group[(p + groups + d - g.neighbours) % groups];
                pooled.insert(pooled.end(), more.begin(), more.end());
            }
            if (pooled.size() < kMinErrorsPerPhase) return {};
            const std::size_t at = k * groups + p;
            bands.q90[at] = ConformalOffset(pooled, 0.90);
            bands.q95[at] = std::max(bands.q90[at], ConformalOffset(pooled, 0.95));
            bands.q99[at] = std::max(bands.q95[at], ConformalOffset(std::move(pooled), 0.99));
        }
    }
    return bands;
}

// One offset per step, from the errors with ts in [from, to): the baseline a grouping has to beat.
PhaseBands FitPlain(const std::vector<std::vector<TimedError>>& errors, UnixSeconds from, UnixSeconds to) {
    PhaseBands bands;  // inactive: q90 / q95 / q99 hold one offset per step
    for (const auto& at_step : errors) {
        std::vector<double> within;
        for (const TimedError& e : at_step)
            if (e.ts >= from && e.ts < to) within.push_back(e.error);
        if (within.empty()) return {};
        bands.q90.push_back(ConformalOffset(within, 0.90));
        bands.q95.push_back(std::max(bands.q90.back(), ConformalOffset(within, 0.95)));
        bands.q99.push_back(std::max(bands.q95.back(), ConformalOffset(std::move(within), 0.99)));
    }
    return bands;
}

// Pinball loss at 0.90 and 0.95 of the errors with ts in [from, to) against `bands` (one offset per step when
// inactive).
double Loss(const std::vector<std::vector<TimedError>>& errors, const PhaseBands& bands, UnixSeconds from,
            UnixSeconds to) {
    double loss = 0.0;
    for (std::size_t k = 0; k < errors.size(); ++k) {
        for (const TimedError& e : errors[k]) {
            if (e.ts < from || e.ts >= to) continue;
            const std::size_t at = bands.active() ? k * bands.groups() + bands.GroupOf(e.ts, e.forecast) : k;
            loss += Pinball(e.error, bands.q90[at], 0.90) + Pinball(e.error, bands.q95[at], 0.95);
        }
    }
    return loss;
}

}  // namespace

double ConformalOffset(std::vector<double> errors, double level) {
    const double count = static_cast<double>(errors.size());
    return Quantile(std::move(errors), std::min(1.0, std::ceil((count + 1) * level) / count));
}

std::size_t PhaseBands::groups() const {
    if (by_level()) return levels.size() + 1;
    return active() ? static_cast<std::size_t>(period / width) : 0;
}

std::size_t PhaseBands::LevelOf(double median) const {
    return static_cast<std::size_t>(std::upper_bound(levels.begin(), levels.end(), median) - levels.begin());
}

std::size_t PhaseBands::PhaseOf(UnixSeconds ts) const {
    if (period <= 0 || width <= 0) return 0;
    const UnixSeconds within = ((ts % period) + period) % period;  // before 1970 too
    return static_cast<std::size_t>(within / width);
}

bool PhaseBands::Consistent(std::size_t steps) const {
    if (!active()) return period == 0 && width == 0 && q90.empty() && q95.empty() && q99.empty();
    auto finite = [](double v) { return std::isfinite(v); };
    if (by_level()) {
        const bool ascending =
            std::adjacent_find(levels.begin(), levels.end(), std::greater_equal<>()) == levels.end();
        if (period != 0 || width != 0 || levels.size() >= kLevelGroups || !ascending ||
            !std::all_of(levels.begin(), levels.end(), finite))
            return false;
    } else if (period % width != 0 || period / width > kMaxPhases) {
        return false;
    }
    if (q90.size() != steps * groups() || q95.size() != q90.size() || q99.size() != q90.size()) return false;
    return std::all_of(q90.begin(), q90.end(), finite) && std::all_of(q95.begin(), q95.end(), finite) &&
           std::all_of(q99.begin(), q99.end(), finite);
}

std::string PhaseBands::Describe() const {
    if (!active()) return "none";
    if (by_level()) return "forecast level";
    if (period == 3600 && width == 60) return "minute of the hour";
    if (period == 3600 && width % 60 == 0) return std::to_string(width / 60) + "-minute step of the hour";
    if (period == 86400 && width == 3600) return "hour of the day";
    return std::to_string(width) + " s phase of a " + std::to_string(period) + " s period";
}

PhaseBands ChoosePhaseBands(const std::vector<std::vector<TimedError>>& errors, UnixSeconds step) {
    UnixSeconds first = std::numeric_limits<UnixSeconds>::max(), last = std::numeric_limits<UnixSeconds>::min();
    for (const auto& at_step : errors) {
        for (const TimedError& e : at_step) {
            first = std::min(first, e.ts);
            last = std::max(last, e.ts);
        }
    }
    if (errors.empty() || first >= last) return {};
    const UnixSeconds middle = first + (last - first) / 2, end = last + 1;
    // Two-fold: fitted on each half, scored on the other, so that a pattern of one half alone does not choose.
    auto cross_loss = [&](const std::function<PhaseBands(UnixSeconds, UnixSeconds)>& fit) {
        const PhaseBands earlier = fit(first, middle), later = fit(middle, end);
        if (earlier.q90.empty() || later.q90.empty()) return std::numeric_limits<double>::infinity();
        return Loss(errors, earlier, middle, end) + Loss(errors, later, first, middle);
    };
    const double plain_loss = cross_loss([&](UnixSeconds from, UnixSeconds to) { return FitPlain(errors, from, to); });
    if (!std::isfinite(plain_loss)) return {};
    const Grouping* best = nullptr;
    double best_loss = plain_loss * (1.0 - kPhaseBandsMinGain);
    const std::vector<Grouping> groupings = GroupingsFor(step);
    for (const Grouping& g : groupings) {
        const double loss = cross_loss([&](UnixSeconds from, UnixSeconds to) { return Fit(errors, g, from, to); });
        if (loss < best_loss) {
            best_loss = loss;
            best = &g;
        }
    }
    if (!best) return {};
    return Fit(errors, *best, first, end);
}

}  // namespace cloudopt
