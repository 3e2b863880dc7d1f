#include "app/series_file.hpp"

#include "app/files.hpp"
#include "core/trace_csv.hpp"

namespace cloudopt {

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

Result<std::map<std::string, RegularSeries>> LoadSeries(const std::string& path) {
    auto text = ReadWholeFile(path, "data file");
    if (!text) return text.error();
    auto traces = ParseTraceCsv(*text);
    if (!traces) return MakeError(ErrorCode::kInvalidArgument, path + ": " + traces.error().message);
    if (traces->empty()) return MakeError(ErrorCode::kInvalidArgument, path + ": no samples");
    std::map<std::string, RegularSeries> out;
    for (const auto& [id, samples] : *traces) {
        const UnixSeconds step = InferStep(samples);
        if (step <= 0) return MakeError(ErrorCode::kInvalidArgument, path + ": series '" + id + "' has fewer than 2 samples");
        // Gaps are filled by linear interpolation (docs/FORECASTING.md).
        out[id] = Regularize(samples, step);
    }
    return out;
}

}  // namespace cloudopt
