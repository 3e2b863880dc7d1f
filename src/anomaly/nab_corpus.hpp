#pragma once
// Reading NAB-format data: data files ("timestamp,value" CSVs, one row per sample in file order), a folder of them
// (NAB's data/<category>/<name>.csv layout), and the labels (combined_windows.json: "<category>/<name>.csv" ->
// [[start, end], ...]). Format: ../shared/data/nab/README.md. Errors name the file and line.

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "anomaly/nab_scorer.hpp"
#include "core/error.hpp"

namespace cloudopt {

// One data file: its rows in file order (NAB matches scores to rows by position, so duplicate or backward
// timestamps are kept as they are).
struct NabSeries {
    std::string relative_path;            // e.g. "realKnownCause/nyc_taxi.csv": the key of its labels
    std::vector<std::string> timestamps;  // as written in the file
    std::vector<double> values;
};

// Parses one CSV text with a header whose first two columns are timestamp and value; further columns are ignored.
// kInvalidArgument naming the line for a row without a number, and for a file without rows.
Result<NabSeries> ParseNabCsv(std::string_view text, std::string relative_path);

// The rows' times in unix seconds, NAB's naive "YYYY-MM-DD HH:MM:SS" read as UTC (RFC 3339 with a zone is read
// with it), for the detector's time-of-day channel. nullopt when any row's timestamp is not such a time; the
// detector then takes the rows as 5 minutes apart.
std::optional<std::vector<std::int64_t>> NabUnixSeconds(const NabSeries& series);

// Reads a data file, or every *.csv under a folder (recursively, sorted by relative path). A file's relative path is
// taken from the folder given, or is its file name when a single file is given. kNotFound for a missing path,
// kInvalidArgument for a folder without CSV files or a malformed file.
Result<std::vector<NabSeries>> ReadNabData(const std::filesystem::path& file_or_dir);

// NAB's labels: relative path -> its windows, in file order. kInvalidArgument for malformed JSON or a wrong shape.
using NabLabels = std::map<std::string, std::vector<NabWindow>>;
Result<NabLabels> ParseNabLabels(std::string_view json_text);
Result<NabLabels> ReadNabLabels(const std::filesystem::path& path);

// The labels of a data file: by its relative path, else by the one label key that ends in "/" + its relative path
// (a single file given without its category folder). kNotFound when none or several match.
Result<std::vector<NabWindow>> WindowsFor(const NabLabels& labels, const std::string& relative_path);

// Scores a detector's output on a corpus the NAB way: every file laid out with its labels, then each profile's
// threshold optimized over all of them. `scores[i]` holds one score per row of `series[i]`. kNotFound for a file
// without labels, kInvalidArgument for a window naming no row or a score count that differs from the rows.
Result<std::array<NabProfileScore, 3>> ScoreNabCorpus(const std::vector<NabSeries>& series,
                                                      const std::vector<std::vector<double>>& scores,
                                                      const NabLabels& labels);

// Reads a whole file into a string; kNotFound / kInternal with the path.
Result<std::string> ReadTextFile(const std::filesystem::path& path);

}  // namespace cloudopt
