#pragma once
// A streaming anomaly detector for one metric series: one pass, no look-ahead, constant memory, and a score in
// [0, 1] per point, meant to be thresholded once for a whole fleet of series (docs/ANOMALY.md has the method and
// its NAB results).
//
// The evidence at each point is how far the recent pattern (by default the value itself) lies from its nearest
// neighbour among the last `memory` patterns, in units of the range the series has covered so far: 0 for a
// value seen before, 0.05 for one 5% of the range away from any remembered value, above 1 for a value that
// doubles the range. The nearest-neighbour distance is the density score of KNN-CAD (Burnaev and Ishimtsev,
// "Conformalized density- and distance-based anomaly detection in time-series data", 2016) reduced to its
// simplest window; dividing by the range seen so far (rather than by the file's min/max as NAB's own detectors
// are handed, or by the spread of the distances) is what makes one threshold serve series of any unit and
// noise: it asks "is this new compared with everything this series has done", which is what NAB's anomalies
// and a metric's incidents (a new peak, a drop below any earlier level, a plateau where there was none) share.
//
// An alarm stands for an incident, not for each of its points: a score passes only when its evidence exceeds
// every evidence of the last `rest` points (otherwise it is multiplied by `suppression_factor`), so a burst
// raises one alarm at its start and another only if it grows (CAD OSE's rest period does the same).
//
// Memory: memory x window doubles per channel plus `rest` doubles, fixed at construction. Not thread-safe: one
// detector per series, fed in time order.

#include <cstddef>
#include <vector>

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
};

class StreamingDetector {
  public:
    explicit StreamingDetector(const DetectorSettings& settings = {});
    // The anomaly score of `value`, the next point of the series, from it and the points before it only.
    // Non-finite values are skipped (score 0, state unchanged).
    double Update(double value);
    // The evidence behind the last score (before the rest period): the nearest-neighbour distance / range seen.
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

    DetectorSettings settings_;
    std::vector<Channel> channels_;
    std::size_t seen_ = 0;
    double max_ = 0.0;
    double min_ = 0.0;
    std::vector<double> evidence_ring_;  // the last `rest` evidences
    double last_evidence_ = 0.0;
};

// Scores a whole series with a fresh detector: one score per value.
std::vector<double> DetectAnomalies(const std::vector<double>& values, const DetectorSettings& settings = {});

}  // namespace cloudopt
