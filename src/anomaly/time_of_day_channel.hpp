#pragma once
// The streaming detector's second view (docs/ANOMALY.md, "The method"): is the recent level new for this time of
// day? It finds what the value channel cannot: anomalies that stay inside the series' past range but come at the
// wrong hour (a daily peak that does not come, a holiday-shaped day, spikes that get denser, a slow slide into a
// level this part of the day has not had).
//
// The day (UTC) is cut into blocks (by default 6 blocks of 4 hours). The level is the mean of the last
// `mean_points` values (2 hours of 5-minute points). Each block remembers the last `per_block` levels seen in it
// (two weeks of a 4-hour block's 5-minute points), and a new level is measured against the nearest one its block
// remembers. Those include the levels earlier in today's block, so a level that moves smoothly stays near its own
// recent past. The comparison bites where it should: at the first point of a block, against the same block on
// earlier days, and whenever the level jumps.
//
// Memory: (blocks x per_block + mean_points) doubles, fixed at construction. Not thread-safe: one per series, fed
// in time order.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cloudopt {

struct TimeOfDaySettings {
    bool enabled = true;
    std::int64_t block_seconds = 4 * 3600;  // length of a block of the day; blocks start at 00:00 UTC
    std::size_t mean_points = 24;           // the level: the mean of this many latest values
    std::size_t per_block = 672;            // levels remembered per block (14 days x 48 five-minute points)
    double weight = 0.4;                    // the channel's distance / range is scaled by this before the max
    std::size_t rest = 100;                 // the channel's own rest period (see DetectorSettings::rest)
};

class TimeOfDayChannel {
  public:
    explicit TimeOfDayChannel(const TimeOfDaySettings& settings);
    // Records the value seen at `unix_seconds`. Returns the distance from the current level to the nearest level
    // the time's block remembers, or -1 while there is no level yet or the block remembers fewer than two.
    double Update(double value, std::int64_t unix_seconds);

  private:
    std::size_t BlockOf(std::int64_t unix_seconds) const;

    TimeOfDaySettings settings_;
    std::size_t blocks_;
    std::vector<double> recent_;  // ring: the last mean_points values
    std::size_t seen_ = 0;
    std::vector<double> levels_;        // blocks_ x per_block rings
    std::vector<std::size_t> written_;  // per block: levels ever written (the next slot is written_ % per_block)
};

}  // namespace cloudopt
