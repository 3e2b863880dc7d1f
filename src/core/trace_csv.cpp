#include "core/trace_csv.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace cloudopt {

Result<TraceSet> ParseTraceCsv(std::string_view text, std::string_view default_series) {
    TraceSet traces;
    std::size_t line_no = 0;
    for (std::string_view line : SplitLines(text)) {
        ++line_no;
        line = Trim(line);
        if (line.empty() || line.front() == '#') continue;
        std::vector<std::string_view> cells = Split(line, ',');
        if (line_no == 1 && !ParseInt(cells[0])) continue;  // header
        auto bad = [&](const std::string& what) {
            return MakeError(ErrorCode::kInvalidArgument, "line " + std::to_string(line_no) + ": " + what);
        };
        if (cells.size() != 2 && cells.size() != 3)
            return bad("expected 'timestamp,series,value' or 'timestamp,value', got " +
                       std::to_string(cells.size()) + " fields");
        auto ts = ParseInt(cells[0]);
        if (!ts) return bad("timestamp '" + std::string(Trim(cells[0])) + "' is not integer unix seconds");
        auto value = ParseDouble(cells.back());
        if (!value) return bad("value '" + std::string(Trim(cells.back())) + "' is not a finite number");
        std::string series(cells.size() == 3 ? Trim(cells[1]) : default_series);
        if (series.empty()) return bad("series id is empty");
        traces[series].push_back({*ts, *value});
    }
    for (auto& [id, samples] : traces) {
        std::stable_sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.ts < b.ts; });
        // Keep the last of equal timestamps: a later line corrects an earlier one.
        std::vector<Sample> unique;
        unique.reserve(samples.size());
        for (const Sample& s : samples) {
            if (!unique.empty() && unique.back().ts == s.ts)
                unique.back() = s;
            else
                unique.push_back(s);
        }
        samples = std::move(unique);
    }
    return traces;
}

namespace {

// A series' sampling step: the most common gap between consecutive samples.
UnixSeconds InferStep(const std::vector<Sample>& samples) {
    std::map<UnixSeconds, int> gaps;
    for (std::size_t i = 1; i < samples.size(); ++i) ++gaps[samples[i].ts - samples[i - 1].ts];
    UnixSeconds step = 0;
    int best = 0;
    for (const auto& [gap, count] : gaps) {
        if (gap > 0 && count > best) {
            best = count;
            step = gap;
        }
    }
    return step;
}

}  // namespace

Result<std::map<std::string, RegularSeries>> SeriesFromCsv(std::string_view text, std::optional<double> missing_value) {
    auto traces = ParseTraceCsv(text);
    if (!traces) return traces.error();
    if (traces->empty()) return MakeError(ErrorCode::kInvalidArgument, "no samples");
    std::map<std::string, RegularSeries> out;
    for (auto& [id, samples] : *traces) {
        if (missing_value)
            std::erase_if(samples, [&](const Sample& s) { return s.value == *missing_value; });
        const UnixSeconds step = InferStep(samples);
        if (step <= 0)
            return MakeError(ErrorCode::kInvalidArgument,
                             "series '" + id + "' has fewer than 2 samples" +
                                 (missing_value ? " that are not the missing-value marker" : ""));
        out[id] = Regularize(samples, step);
    }
    return out;
}

}  // namespace cloudopt
