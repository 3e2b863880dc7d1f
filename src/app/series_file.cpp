#include "app/series_file.hpp"

#include "app/files.hpp"
#include "core/trace_csv.hpp"

namespace cloudopt {

Result<std::map<std::string, RegularSeries>> LoadSeries(const std::string& path, std::optional<double> missing_value) {
    auto text = ReadWholeFile(path, "data file");
    if (!text) return text.error();
    auto series = SeriesFromCsv(*text, missing_value);
    if (!series) return MakeError(ErrorCode::kInvalidArgument, path + ": " + series.error().message);
    return series;
}

std::vector<FleetSeries> AsFleet(const std::map<std::string, RegularSeries>& series, const std::string& only) {
    std::vector<FleetSeries> members;
    for (const auto& [id, s] : series)
        if (only.empty() || id == only) members.push_back({s.values, s.start, s.step});
    return members;
}

}  // namespace cloudopt
