#include "anomaly/nab_scorer.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

namespace cloudopt {

namespace {

constexpr double kProbationaryShare = 0.15;
constexpr std::size_t kMaxProbationaryRows = 750;  // NAB: 0.15 x 5000
constexpr double kFirstRowPosition = -1.0;

// The TP value of the first row of a window, by which NAB divides so that an alarm there is worth tp_weight.
double MaxTruePositive() { return NabScaledSigmoid(kFirstRowPosition); }

}  // namespace

std::string NormalizeNabTimestamp(std::string_view timestamp) {
    const auto dot = timestamp.find('.');
    if (dot == std::string_view::npos) return std::string(timestamp);
    const std::string_view fraction = timestamp.substr(dot + 1);
    if (std::all_of(fraction.begin(), fraction.end(), [](char c) { return c == '0'; })) {
        return std::string(timestamp.substr(0, dot));
    }
    return std::string(timestamp);
}

double NabScaledSigmoid(double relative_position) {
    if (relative_position > 3.0) return -1.0;
    return 2.0 / (1.0 + std::exp(5.0 * relative_position)) - 1.0;
}

std::size_t NabProbationaryRows(std::size_t rows) {
    const auto share = static_cast<std::size_t>(std::floor(kProbationaryShare * static_cast<double>(rows)));
    return std::min(share, kMaxProbationaryRows);
}

double NabFileLayout::SweepScore(std::size_t row, const NabProfile& profile) const {
    if (window_of_row[row] != kOutside) return unweighted[row] * profile.tp_weight / MaxTruePositive();
    return unweighted[row] * profile.fp_weight;
}

Result<NabFileLayout> LayOutNabFile(std::span<const std::string> timestamps, std::span<const NabWindow> windows) {
    NabFileLayout layout;
    layout.rows = timestamps.size();
    layout.probationary = NabProbationaryRows(timestamps.size());
    layout.window_of_row.assign(timestamps.size(), NabFileLayout::kOutside);
    layout.unweighted.assign(timestamps.size(), -1.0);

    // NAB finds a window's rows by the first row carrying each of its timestamps (list.index).
    std::unordered_map<std::string, std::size_t> first_row;
    first_row.reserve(timestamps.size());
    for (std::size_t row = 0; row < timestamps.size(); ++row) first_row.emplace(timestamps[row], row);
    std::size_t previous_end = 0;
    for (std::size_t window_idx = 0; window_idx < windows.size(); ++window_idx) {
        const std::string start = NormalizeNabTimestamp(windows[window_idx].start);
        const std::string end = NormalizeNabTimestamp(windows[window_idx].end);
        const auto start_it = first_row.find(start);
        const auto end_it = first_row.find(end);
        if (start_it == first_row.end() || end_it == first_row.end()) {
            return MakeError(ErrorCode::kInvalidArgument, "anomaly window [" + start + ", " + end +
                                                              "] names a timestamp that is no row of the data file");
        }
        if (end_it->second < start_it->second || (window_idx > 0 && start_it->second <= previous_end)) {
            return MakeError(ErrorCode::kInvalidArgument, "anomaly window [" + start + ", " + end +
                                                              "] ends before it starts or overlaps the one before");
        }
        previous_end = end_it->second;
        layout.window_first_row.push_back(start_it->second);
        layout.window_last_row.push_back(end_it->second);
        layout.window_scored.push_back(end_it->second >= layout.probationary ? 1 : 0);
    }

    std::size_t next_window = 0;
    bool have_previous = false;
    std::size_t previous_last = 0;
    double previous_width = 0.0;
    for (std::size_t row = 0; row < layout.rows; ++row) {
        if (next_window < windows.size() && row >= layout.window_first_row[next_window] &&
            row <= layout.window_last_row[next_window]) {
            const double width =
                static_cast<double>(layout.window_last_row[next_window] - layout.window_first_row[next_window] + 1);
            const double position = -static_cast<double>(layout.window_last_row[next_window] - row + 1) / width;
            layout.window_of_row[row] = static_cast<std::int32_t>(next_window);
            layout.unweighted[row] = NabScaledSigmoid(position);
            if (row == layout.window_last_row[next_window]) {
                have_previous = true;
                previous_last = row;
                previous_width = width;
                ++next_window;
            }
            continue;
        }
        if (!have_previous || previous_width <= 1.0) {
            layout.unweighted[row] = -1.0;
        } else {
            layout.unweighted[row] =
                NabScaledSigmoid(static_cast<double>(row - previous_last) / (previous_width - 1.0));
        }
    }
    return layout;
}

std::vector<double> NabSweepScores(const NabFileLayout& layout, const NabProfile& profile) {
    std::vector<double> out(layout.rows);
    for (std::size_t row = 0; row < layout.rows; ++row) out[row] = layout.SweepScore(row, profile);
    return out;
}

std::vector<double> NabContributionsAtThreshold(const NabFileLayout& layout, std::span<const double> scores,
                                                const NabProfile& profile, double threshold) {
    std::vector<double> out(layout.rows, 0.0);
    const std::size_t window_count = layout.window_first_row.size();
    std::vector<double> best(window_count, -profile.fn_weight);
    for (std::size_t row = layout.probationary; row < layout.rows && row < scores.size(); ++row) {
        if (scores[row] < threshold) continue;
        const std::int32_t window = layout.window_of_row[row];
        if (window == NabFileLayout::kOutside) {
            out[row] = layout.SweepScore(row, profile);
        } else {
            const auto w = static_cast<std::size_t>(window);
            best[w] = std::max(best[w], layout.SweepScore(row, profile));
        }
    }
    for (std::size_t window_idx = 0; window_idx < window_count; ++window_idx) {
        if (layout.window_scored[window_idx]) out[layout.window_first_row[window_idx]] = best[window_idx];
    }
    return out;
}

Status NabCorpusScorer::Add(const NabFileLayout& layout, std::span<const double> scores) {
    if (scores.size() != layout.rows) {
        return MakeError(ErrorCode::kInvalidArgument, "the detector gave " + std::to_string(scores.size()) +
                                                          " scores for a file of " + std::to_string(layout.rows) +
                                                          " rows: NAB matches scores to rows by position");
    }
    for (const double score : scores) {
        if (!std::isfinite(score)) {
            return MakeError(ErrorCode::kInvalidArgument, "an anomaly score is not a finite number");
        }
    }
    const auto window_base = static_cast<std::int32_t>(window_scored_.size());
    window_scored_.insert(window_scored_.end(), layout.window_scored.begin(), layout.window_scored.end());
    for (std::size_t row = layout.probationary; row < layout.rows; ++row) {
        const std::int32_t window = layout.window_of_row[row];
        rows_.push_back(
            Row{scores[row], layout.unweighted[row], window == NabFileLayout::kOutside ? -1 : window_base + window});
    }
    ++files_;
    return Status::Ok();
}

double NabCorpusScorer::Weighted(const Row& row, const NabProfile& profile) const {
    if (row.window >= 0) return row.unweighted * profile.tp_weight / MaxTruePositive();
    return row.unweighted * profile.fp_weight;
}

NabProfileScore NabCorpusScorer::Baselines(const NabProfile& profile) const {
    NabProfileScore result;
    result.profile = profile;
    std::vector<double> best(window_scored_.size(), -profile.fn_weight);
    for (const Row& row : rows_) {
        if (row.window >= 0) {
            const auto w = static_cast<std::size_t>(row.window);
            best[w] = std::max(best[w], Weighted(row, profile));
        }
    }
    for (std::size_t window_idx = 0; window_idx < window_scored_.size(); ++window_idx) {
        if (!window_scored_[window_idx]) continue;
        result.null_raw -= profile.fn_weight;
        result.perfect_raw += best[window_idx];
    }
    return result;
}

namespace {

double Normalize(double raw, double null_raw, double perfect_raw) {
    if (perfect_raw == null_raw) return 0.0;
    return 100.0 * (raw - null_raw) / (perfect_raw - null_raw);
}

}  // namespace

NabProfileScore NabCorpusScorer::Optimize(const NabProfile& profile) const {
    NabProfileScore result = Baselines(profile);
    std::vector<std::size_t> order(rows_.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [this](std::size_t a, std::size_t b) { return rows_[a].score > rows_[b].score; });

    std::vector<double> best(window_scored_.size(), -profile.fn_weight);
    double raw = result.null_raw;
    NabCounts counts;
    for (const Row& row : rows_) (row.window >= 0 ? counts.fn : counts.tn) += 1;

    double threshold = 1.1;
    result.threshold = threshold;
    result.raw = raw;
    result.counts = counts;
    for (std::size_t pos = 0; pos < order.size(); ++pos) {
        const Row& row = rows_[order[pos]];
        if (row.window >= 0) {
            const auto w = static_cast<std::size_t>(row.window);
            const double value = Weighted(row, profile);
            if (value > best[w]) {
                raw += value - best[w];
                best[w] = value;
            }
            ++counts.tp;
            --counts.fn;
        } else {
            raw += Weighted(row, profile);
            ++counts.fp;
            --counts.tn;
        }
        threshold = row.score;
        // A threshold's score counts every row at or above it: evaluate once all rows of this score are in.
        const bool last_of_score = pos + 1 == order.size() || rows_[order[pos + 1]].score != threshold;
        if (last_of_score && raw > result.raw) {
            result.raw = raw;
            result.threshold = threshold;
            result.counts = counts;
        }
    }
    result.normalized = Normalize(result.raw, result.null_raw, result.perfect_raw);
    return result;
}

NabProfileScore NabCorpusScorer::ScoreAt(const NabProfile& profile, double threshold) const {
    NabProfileScore result = Baselines(profile);
    result.threshold = threshold;
    std::vector<double> best(window_scored_.size(), -profile.fn_weight);
    double fp_cost = 0.0;
    for (const Row& row : rows_) {
        const bool alarm = row.score >= threshold;
        if (row.window >= 0) {
            const auto w = static_cast<std::size_t>(row.window);
            if (alarm) best[w] = std::max(best[w], Weighted(row, profile));
            (alarm ? result.counts.tp : result.counts.fn) += 1;
        } else {
            if (alarm) fp_cost += Weighted(row, profile);
            (alarm ? result.counts.fp : result.counts.tn) += 1;
        }
    }
    result.raw = fp_cost;
    for (std::size_t window_idx = 0; window_idx < window_scored_.size(); ++window_idx) {
        if (window_scored_[window_idx]) result.raw += best[window_idx];
    }
    result.normalized = Normalize(result.raw, result.null_raw, result.perfect_raw);
    return result;
}

}  // namespace cloudopt
