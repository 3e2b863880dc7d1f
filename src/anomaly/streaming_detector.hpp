#pragma once
// A streaming anomaly detector for one metric series: one pass, no look-ahead, constant memory, and a score in
// [0, 1] per point, meant to be thresholded once for a whole fleet of series (docs/ANOMALY.md has the method and
// its NAB results).
//
// Two views of each point give evidence, both in units of the range the series has covered so far:
// - The value channel: how far the recent pattern (by default the value itself) lies from its nearest neighbour
//   among the last `memory` patterns. 0 for a value seen before, 0.05 for one 5% of the range away from any
//   remembered value, above 1 for a value that doubles the range. This is the density score of KNN-CAD (Burnaev and
//   Ishimtsev, "Conformalized density- and distance-based anomaly detection in time-series data", 2016) reduced to
//   its simplest window. Dividing by the range seen so far is what makes one threshold serve series of any unit and
//   noise: it asks "is this new compared with everything this series has done".
// - The time-of-day channel (anomaly/time_of_day_channel.hpp): whether the level of the last two hours is new for
//   this block of the day. It finds anomalies inside the past range that come at the wrong hour.
//
// An alarm stands for an incident, not for each of its points: each channel's evidence passes only when it exceeds
// every evidence of that channel in its last `rest` points (otherwise it is multiplied by `suppression_factor`), so
// a burst raises one alarm at its start and another only if it grows (CAD OSE's rest period does the same). The
// score is 1 - exp(-max of the passed evidences / evidence_scale).
//
// Memory: memory x window doubles per value channel, the time-of-day channel's blocks x per_block, and the rest
// periods, fixed at construction. Not thread-safe: one detector per series, fed in time order.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "anomaly/time_of_day_channel.hpp"

namespace cloudopt {

// One view of the recent past: the last window x paa values, averaged `paa` at a time into `window` elements,
// its distance scaled by `weight` before the channels' evidence is combined (maximum).
struct PatternChannel {
    std::size_t window = 1;
    std::size_t paa = 1;
    double weight = 1.0;
};

struct DetectorSettings {
    std::vector<PatternChannel> channels = {PatternChannel{}};
    std::size_t warmup = 64;          // points scored 0 while the range and the memory fill
    std::size_t memory = 4000;        // past patterns remembered per channel (two weeks of 5-minute points)
    std::size_t rest = 100;           // points after an evidence that a later one must exceed to pass
    double suppression_factor = 0.0;  // what is left of an evidence that does not
    double evidence_scale = 0.2;      // score = 1 - exp(-evidence / scale): 0.2 puts 10% of the range at 0.39
    TimeOfDaySettings time_of_day;    // the second view; time_of_day.enabled = false leaves the value channels
    // The spacing Update(value) assumes between points when it is given no time: the service's 5-minute grid.
    std::int64_t implicit_step_seconds = 300;
};

class StreamingDetector {
  public:
    explicit StreamingDetector(const DetectorSettings& settings = {});
    // The anomaly score of `value`, the next point of the series, seen at `unix_seconds`, from it and the points
    // before it only. Non-finite values are skipped (score 0, state unchanged).
    double Update(double value, std::int64_t unix_seconds);
    // The same for a series without times: the points are taken as implicit_step_seconds apart from the first one
    // at time 0, so the time-of-day blocks are relative to the first point.
    double Update(double value);
    // The evidence behind the last score (before the rest periods): the larger of the channels' distances / range.
    double last_evidence() const { return last_evidence_; }
    // The range the series has covered so far (both 0 before the first value) and how many values were scored.
    double range_min() const { return min_; }
    double range_max() const { return max_; }
    std::size_t seen() const { return seen_; }

    // The score a given evidence maps to (monotone, so thresholds can be set on either).
    static double ScoreOfEvidence(double evidence, double evidence_scale);

  private:
    // The last `memory` patterns of one view and the distance of the current one to its nearest neighbour.
    class Channel {
      public:
        Channel(const PatternChannel& shape, std::size_t memory);
        // Records the value; returns the nearest-neighbour distance (RMS per element), or -1 before it has one.
        double Update(double value);
        double weight() const { return shape_.weight; }

      private:
        double NearestSquared(std::size_t first_slot, std::size_t end_slot) const;

        PatternChannel shape_;
        std::size_t memory_;
        std::size_t seen_ = 0;
        std::vector<double> recent_;    // ring: the last window x paa values
        std::vector<double> patterns_;  // ring: memory x window, slot next_ is the oldest once full
        std::size_t stored_ = 0;
        std::size_t next_ = 0;
        std::vector<double> current_;
    };

    // One channel's rest period: an evidence passes only if it exceeds all of the last `rest` evidences.
    class RestPeriod {
      public:
        explicit RestPeriod(std::size_t rest) : ring_(std::max<std::size_t>(rest, 1), 0.0) {}
        // Records the evidence; returns it if it passes, else it times `suppression_factor`.
        double Pass(double evidence, double suppression_factor);

      private:
        std::vector<double> ring_;
        std::size_t seen_ = 0;
    };

    DetectorSettings settings_;
    std::vector<Channel> channels_;
    RestPeriod channels_rest_;
    TimeOfDayChannel time_of_day_;
    RestPeriod time_of_day_rest_;
    std::size_t seen_ = 0;
    std::size_t calls_ = 0;  // points given, skipped ones included: Update(value)'s clock
    double max_ = 0.0;
    double min_ = 0.0;
    double last_evidence_ = 0.0;
};

// Scores a whole series with a fresh detector: one score per value. Without times the points are taken as
// implicit_step_seconds apart; `unix_seconds`, when given, holds one time per value (times of another count are
// ignored, as if none were given).
std::vector<double> DetectAnomalies(const std::vector<double>& values, const DetectorSettings& settings = {});
std::vector<double> DetectAnomalies(const std::vector<double>& values, std::span<const std::int64_t> unix_seconds,
                                    const DetectorSettings& settings = {});

}  // namespace cloudopt
