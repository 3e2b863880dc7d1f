#pragma once
// Band offsets that depend on when a forecast step falls: Mondrian split conformal (Vovk et al., "Algorithmic
// learning in a random world", §4.5), with the calibration errors grouped by the phase of a clock period. Loads
// whose bursts follow the clock (a cron job at minute 30, an hourly batch, a busy evening) have errors that are
// small at most phases and large at a few. One offset for all phases must cover the bursts everywhere and so
// pays for them all the time; an offset per phase pays for them where they happen. The grouping is chosen per
// series, on the calibration window alone, and only where it predicts the errors better than one offset does.
//
// The errors can also be grouped by the level of the point forecast itself. A VM that idles and runs pegged at its
// maximum by turns has large errors above an idle forecast (it may jump to the top) and none above a pegged one
// (nothing above its maximum ever comes); a model that overshoots after each burst errs downwards at its highest
// forecasts. One offset covers the idle steps' jumps at the pegged steps too; an offset per level does not.

#include <cstddef>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace cloudopt {

// More phases than this (an hour of 1-second steps) spread a calibration window too thin to be worth trying.
inline constexpr UnixSeconds kMaxPhases = 120;
// How many levels of the forecast the errors are grouped by: the calibration forecasts' sextiles.
inline constexpr std::size_t kLevelGroups = 6;

struct PhaseBands {
    UnixSeconds period = 0;  // 0: the offsets do not depend on time (plain split conformal)
    UnixSeconds width = 0;   // of one phase: period / width phases, counted from the Unix epoch (UTC)
    // When not empty (and period 0), the offsets depend on the point forecast's level instead: ascending bounds, a
    // forecast under levels[0] is in group 0, one at or above levels.back() in the last group.
    std::vector<double> levels;
    // Per horizon step k and group g (a phase, or a level), at k * groups() + g: added to the point forecast.
    std::vector<double> q90, q95, q99;

    bool by_level() const { return !levels.empty(); }
    bool active() const { return by_level() || (period > 0 && width > 0); }
    std::size_t groups() const;
    // The group of a forecast `median` for the step that starts at `ts`.
    std::size_t GroupOf(UnixSeconds ts, double median) const { return by_level() ? LevelOf(median) : PhaseOf(ts); }
    std::size_t PhaseOf(UnixSeconds ts) const;
    std::size_t LevelOf(double median) const;
    // Whether the tables fit `steps` horizon steps, the phases divide the period (or the levels ascend), and every
    // offset is finite.
    bool Consistent(std::size_t steps) const;
    // "minute of the hour", "5-minute step of the hour", "hour of the day", "forecast level", or "none": for people
    // reading a forecast.
    std::string Describe() const;
    bool operator==(const PhaseBands&) const = default;
};

// Split conformal: the ceil((n+1)level)-th smallest of n errors, an offset that covers `level` of the next error on
// exchangeable data (the largest error when n is too small for the level: 99 errors or fewer at 0.99).
double ConformalOffset(std::vector<double> errors, double level);

// One calibration error: forecast step k's actual minus its point forecast, when that actual happened, and the
// point forecast.
struct TimedError {
    UnixSeconds ts = 0;
    double error = 0.0;
    double forecast = 0.0;
};

// The grouping (by phase, or by level) that predicts the calibration errors best out of sample, refitted on the
// whole window: two-fold, offsets fitted on each half of the window are scored on the other by the pinball loss at
// 0.90 and 0.95 (the loss a quantile minimizes). Inactive when no grouping beats one offset per step by
// kPhaseBandsMinGain. The p99 offsets follow the grouping the p90 / p95 ones chose: a few hundred errors say too
// little about 1% tails to choose by, and a group with fewer than 100 errors gets its largest error as its p99
// offset.
// `errors[k]` are step k's errors; `step` is the series' sampling interval (it decides which periods have phases
// to group by).
PhaseBands ChoosePhaseBands(const std::vector<std::vector<TimedError>>& errors, UnixSeconds step);

// How much lower the held-out pinball loss of a grouping must be than that of one offset per step, so that noise
// in a few hundred errors does not pick a grouping (checked on bitbrains, the tuning set: docs/SAVINGS.md).
inline constexpr double kPhaseBandsMinGain = 0.05;

}  // namespace cloudopt
