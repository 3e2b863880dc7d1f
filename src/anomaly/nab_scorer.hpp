#pragma once
// The Numenta Anomaly Benchmark's scoring (NAB v1.1, numenta/NAB nab/sweeper.py and nab/optimizer.py), so that
// cloudopt can score a detector on NAB-format labels without Python and reproduce NAB's published numbers
// (tests/anomaly/nab_scorer_test.cpp checks them against ../shared/data/nab/reference).
//
// The rules, as NAB applies them:
// - The first min(floor(0.15 x rows), 750) rows of a file are probationary: never scored.
// - A row whose anomaly score is at or above the threshold is an alarm.
// - Each labelled window rewards only its earliest alarm: tp_weight x sigmoid(position) / sigmoid(first row), a
//   scaled sigmoid of the relative position in the window (1 at its first row, near 0 at its last). A window
//   without an alarm costs fn_weight.
// - An alarm outside every window costs fp_weight x a scaled sigmoid of the distance past the previous window's
//   end in that window's widths (near 0 just after a window, 1 far from it; 1 before the first window).
// - A corpus' raw score for a threshold is the sum over its files; NAB picks, per profile, the threshold among
//   every distinct anomaly score that maximizes it, and reports 100 x (raw - null) / (perfect - null), the null
//   detector never alarming and the perfect one alarming on the first scored row of every window.
//
// Everything here is a pure function of its arguments or a value type; no I/O, thread-compatible.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cloudopt {

// A cost profile: the weights of a detected window, a false alarm and a missed window.
struct NabProfile {
    std::string_view name;
    double tp_weight = 1.0;
    double fp_weight = 0.11;
    double fn_weight = 1.0;
};

// NAB's three profiles (config/profiles.json), in the order cloudopt reports them.
inline constexpr std::array<NabProfile, 3> kNabProfiles = {{
    {"standard", 1.0, 0.11, 1.0},
    {"reward_low_FP_rate", 1.0, 0.22, 1.0},
    {"reward_low_FN_rate", 1.0, 0.11, 2.0},
}};

// One labelled anomaly window: the timestamps of its first and last rows, both inside, as the data file writes
// them (NAB's labels add ".000000"; NormalizeNabTimestamp removes it).
struct NabWindow {
    std::string start;
    std::string end;
};

// "2014-10-30 15:30:00.000000" -> "2014-10-30 15:30:00": a fraction of zeros is dropped, anything else is kept.
std::string NormalizeNabTimestamp(std::string_view timestamp);

// NAB's scaled sigmoid of a relative position: 2 / (1 + exp(5x)) - 1 for x <= 3, -1 past 3.
double NabScaledSigmoid(double relative_position);

// The probationary rows of a file of `rows` rows: min(floor(0.15 x rows), 750).
std::size_t NabProbationaryRows(std::size_t rows);

// One file's rows as NAB's sweeper sees them, independent of the detector and the profile: which window each row
// is in and its unweighted sweep value (scaled sigmoid of its position in its window, or past the previous one).
struct NabFileLayout {
    static constexpr std::int32_t kOutside = -1;
    std::size_t rows = 0;
    std::size_t probationary = 0;               // rows [0, probationary) are never scored
    std::vector<std::int32_t> window_of_row;    // kOutside or the index of the row's window in this file
    std::vector<double> unweighted;             // per row: the scaled sigmoid before the profile's weight
    std::vector<std::size_t> window_first_row;  // per window
    std::vector<std::size_t> window_last_row;   // per window
    std::vector<std::uint8_t> window_scored;    // per window: 1 when any of its rows is past the probation

    // The row's sweep score under `profile` (NAB's per-row S(t) in its current results files): the TP value of an
    // alarm there if inside a window, else the (negative) FP cost of an alarm there.
    double SweepScore(std::size_t row, const NabProfile& profile) const;
    bool Scored(std::size_t row) const { return row >= probationary; }
};

// Lays out a file of the given timestamps (one per row, file order) and windows. kInvalidArgument when a window's
// start or end matches no row, or windows overlap or are out of order.
Result<NabFileLayout> LayOutNabFile(std::span<const std::string> timestamps, std::span<const NabWindow> windows);

// Every row's sweep score under `profile` (what NAB writes as S(t)_<profile> in its current results files).
std::vector<double> NabSweepScores(const NabFileLayout& layout, const NabProfile& profile);

// Each row's contribution to the file's raw score at `threshold` (NAB v1.0's S(t) columns): the earliest alarm's
// value or -fn_weight on the first row of each scored window, the cost of each false alarm on its row, 0 elsewhere.
// Sums to the file's raw score. `scores` has one anomaly score per row.
std::vector<double> NabContributionsAtThreshold(const NabFileLayout& layout, std::span<const double> scores,
                                                const NabProfile& profile, double threshold);

// Rows counted as NAB counts them (scored rows only: an alarm inside a window is a TP row, outside an FP row).
struct NabCounts {
    std::size_t tp = 0;
    std::size_t fp = 0;
    std::size_t fn = 0;
    std::size_t tn = 0;
};

// A profile's result on a corpus.
struct NabProfileScore {
    NabProfile profile;
    double threshold = 1.1;    // alarms are rows with a score >= threshold (1.1: none)
    double raw = 0.0;          // summed over the files
    double null_raw = 0.0;     // the detector that never alarms
    double perfect_raw = 0.0;  // the detector that alarms on the first scored row of every window
    double normalized = 0.0;   // 100 x (raw - null_raw) / (perfect_raw - null_raw)
    NabCounts counts;
};

// A corpus of scored files: add each file's layout with the detector's scores, then optimize or evaluate. Copies
// what it needs; not thread-safe for concurrent Add, const methods may run concurrently.
class NabCorpusScorer {
  public:
    // kInvalidArgument when the number of scores differs from the file's rows or a score is not finite.
    Status Add(const NabFileLayout& layout, std::span<const double> scores);

    // NAB's threshold optimization: the threshold among 1.1 and every distinct score of the scored rows that
    // maximizes the raw score (on ties the highest threshold, as NAB's stable sort keeps it), with its score.
    NabProfileScore Optimize(const NabProfile& profile) const;
    // The score at a fixed threshold (a threshold tuned on one corpus applied to another).
    NabProfileScore ScoreAt(const NabProfile& profile, double threshold) const;

    std::size_t files() const { return files_; }
    std::size_t windows() const { return window_scored_.size(); }

  private:
    struct Row {
        double score;
        double unweighted;
        std::int32_t window;  // corpus-wide window index, or -1 outside
    };
    double Weighted(const Row& row, const NabProfile& profile) const;
    NabProfileScore Baselines(const NabProfile& profile) const;

    std::vector<Row> rows_;                    // scored rows only, in file order
    std::vector<std::uint8_t> window_scored_;  // corpus-wide, per window
    std::size_t files_ = 0;
};

}  // namespace cloudopt
