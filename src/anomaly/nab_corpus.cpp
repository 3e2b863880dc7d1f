#include "anomaly/nab_corpus.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/text.hpp"
#include "core/timestamp.hpp"

namespace cloudopt {

namespace {

std::string_view TrimCell(std::string_view cell) {
    while (!cell.empty() && (cell.front() == ' ' || cell.front() == '"')) cell.remove_prefix(1);
    while (!cell.empty() && (cell.back() == ' ' || cell.back() == '"' || cell.back() == '\r')) cell.remove_suffix(1);
    return cell;
}

}  // namespace

std::optional<std::vector<std::int64_t>> NabUnixSeconds(const NabSeries& series) {
    std::vector<std::int64_t> times;
    times.reserve(series.timestamps.size());
    for (const std::string& timestamp : series.timestamps) {
        std::optional<UnixSeconds> t = ParseRfc3339(timestamp);
        if (!t) t = ParseRfc3339(timestamp + "Z");  // NAB's times carry no zone
        if (!t) return std::nullopt;
        times.push_back(*t);
    }
    return times;
}

Result<NabSeries> ParseNabCsv(std::string_view text, std::string relative_path) {
    NabSeries series;
    series.relative_path = std::move(relative_path);
    std::size_t line_no = 0;
    std::size_t pos = 0;
    bool header_seen = false;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        const std::size_t comma = line.find(',');
        if (comma == std::string_view::npos) {
            return MakeError(ErrorCode::kInvalidArgument,
                             series.relative_path + " line " + std::to_string(line_no) + ": expected timestamp,value");
        }
        const std::string_view timestamp = TrimCell(line.substr(0, comma));
        std::string_view value_cell = line.substr(comma + 1);
        value_cell = TrimCell(value_cell.substr(0, value_cell.find(',')));
        if (!header_seen) {
            header_seen = true;
            if (timestamp == "timestamp") continue;
        }
        const std::optional<double> value = ParseDouble(value_cell);
        if (!value || !std::isfinite(*value) || timestamp.empty()) {
            return MakeError(ErrorCode::kInvalidArgument, series.relative_path + " line " + std::to_string(line_no) +
                                                              ": '" + std::string(value_cell) + "' is not a number");
        }
        series.timestamps.emplace_back(timestamp);
        series.values.push_back(*value);
    }
    if (series.values.empty()) {
        return MakeError(ErrorCode::kInvalidArgument, series.relative_path + ": no data rows");
    }
    return series;
}

Result<std::string> ReadTextFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return MakeError(ErrorCode::kNotFound, "cannot read " + path.string());
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) return MakeError(ErrorCode::kInternal, "error while reading " + path.string());
    return buffer.str();
}

Result<std::vector<NabSeries>> ReadNabData(const std::filesystem::path& file_or_dir) {
    std::error_code ec;
    std::vector<std::pair<std::string, std::filesystem::path>> files;
    if (std::filesystem::is_directory(file_or_dir, ec)) {
        for (auto it = std::filesystem::recursive_directory_iterator(file_or_dir, ec);
             !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
            if (!it->is_regular_file() || it->path().extension() != ".csv") continue;
            files.emplace_back(std::filesystem::relative(it->path(), file_or_dir).generic_string(), it->path());
        }
        if (ec) return MakeError(ErrorCode::kInternal, "cannot list " + file_or_dir.string() + ": " + ec.message());
        if (files.empty()) {
            return MakeError(ErrorCode::kInvalidArgument, file_or_dir.string() + " holds no .csv data files");
        }
        std::sort(files.begin(), files.end());
    } else if (std::filesystem::is_regular_file(file_or_dir, ec)) {
        files.emplace_back(file_or_dir.filename().generic_string(), file_or_dir);
    } else {
        return MakeError(ErrorCode::kNotFound, file_or_dir.string() + " is neither a data file nor a folder");
    }
    std::vector<NabSeries> out;
    out.reserve(files.size());
    for (const auto& [relative, path] : files) {
        Result<std::string> text = ReadTextFile(path);
        if (!text) return text.error();
        Result<NabSeries> series = ParseNabCsv(*text, relative);
        if (!series) return series.error();
        out.push_back(std::move(series).value());
    }
    return out;
}

Result<NabLabels> ParseNabLabels(std::string_view json_text) {
    // NAB's labels nest three deep; refuse deeper text before parsing (core/text.hpp says why).
    constexpr int kMaxLabelDepth = 8;
    if (JsonNestsDeeperThan(json_text, kMaxLabelDepth)) {
        return MakeError(ErrorCode::kInvalidArgument, "labels: JSON nested deeper than NAB's format");
    }
    const nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "labels: expected a JSON object from data file to a list of [start, end] windows");
    }
    NabLabels labels;
    for (const auto& [file, windows] : doc.items()) {
        if (!windows.is_array()) {
            return MakeError(ErrorCode::kInvalidArgument, "labels of " + file + ": expected a list of windows");
        }
        std::vector<NabWindow>& out = labels[file];
        for (const auto& window : windows) {
            if (!window.is_array() || window.size() != 2 || !window[0].is_string() || !window[1].is_string()) {
                return MakeError(ErrorCode::kInvalidArgument,
                                 "labels of " + file + ": each window must be [\"start\", \"end\"]");
            }
            out.push_back(NabWindow{window[0].get<std::string>(), window[1].get<std::string>()});
        }
    }
    return labels;
}

Result<NabLabels> ReadNabLabels(const std::filesystem::path& path) {
    Result<std::string> text = ReadTextFile(path);
    if (!text) return text.error();
    Result<NabLabels> labels = ParseNabLabels(*text);
    if (!labels) return MakeError(labels.error().code, path.string() + ": " + labels.error().message);
    return labels;
}

Result<std::vector<NabWindow>> WindowsFor(const NabLabels& labels, const std::string& relative_path) {
    if (const auto it = labels.find(relative_path); it != labels.end()) return it->second;
    const std::vector<NabWindow>* found = nullptr;
    for (const auto& [key, windows] : labels) {
        if (key.size() > relative_path.size() && key.ends_with(relative_path) &&
            key[key.size() - relative_path.size() - 1] == '/') {
            if (found) return MakeError(ErrorCode::kNotFound, "several labelled files end in " + relative_path);
            found = &windows;
        }
    }
    if (!found) return MakeError(ErrorCode::kNotFound, "the labels name no file " + relative_path);
    return *found;
}

Result<std::array<NabProfileScore, 3>> ScoreNabCorpus(const std::vector<NabSeries>& series,
                                                      const std::vector<std::vector<double>>& scores,
                                                      const NabLabels& labels) {
    if (scores.size() != series.size()) {
        return MakeError(ErrorCode::kInvalidArgument, "one list of scores per data file is needed");
    }
    NabCorpusScorer scorer;
    for (std::size_t file_idx = 0; file_idx < series.size(); ++file_idx) {
        Result<std::vector<NabWindow>> windows = WindowsFor(labels, series[file_idx].relative_path);
        if (!windows) return windows.error();
        Result<NabFileLayout> layout = LayOutNabFile(series[file_idx].timestamps, *windows);
        if (!layout) {
            return MakeError(layout.error().code, series[file_idx].relative_path + ": " + layout.error().message);
        }
        if (Status added = scorer.Add(*layout, scores[file_idx]); !added) {
            return MakeError(added.error().code, series[file_idx].relative_path + ": " + added.error().message);
        }
    }
    std::array<NabProfileScore, 3> out;
    for (std::size_t profile_idx = 0; profile_idx < kNabProfiles.size(); ++profile_idx) {
        out[profile_idx] = scorer.Optimize(kNabProfiles[profile_idx]);
    }
    return out;
}

}  // namespace cloudopt
