#pragma once
// Where the NAB dev half lives (../shared/data/nab, next to the repository) and helpers to read NAB results files.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "anomaly/nab_corpus.hpp"
#include "core/text.hpp"

namespace cloudopt::testing {

inline std::filesystem::path NabDir() { return std::filesystem::path(CLOUDOPT_NAB_DIR); }

// A results CSV's columns by header name, each a column of numbers (the timestamp column is skipped).
inline std::map<std::string, std::vector<double>> ReadResultColumns(const std::filesystem::path& path) {
    std::map<std::string, std::vector<double>> columns;
    Result<std::string> text = ReadTextFile(path);
    if (!text) {
        ADD_FAILURE() << text.error().message;
        return columns;
    }
    const std::vector<std::string_view> lines = SplitLines(*text);
    std::vector<std::string> names;
    for (std::size_t line_idx = 0; line_idx < lines.size(); ++line_idx) {
        std::string_view line = lines[line_idx];
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        std::vector<std::string_view> cells;
        std::size_t pos = 0;
        while (true) {
            const std::size_t comma = line.find(',', pos);
            cells.push_back(line.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
            if (comma == std::string_view::npos) break;
            pos = comma + 1;
        }
        if (names.empty()) {
            for (std::string_view cell : cells) names.emplace_back(cell);
            continue;
        }
        for (std::size_t col = 1; col < cells.size() && col < names.size(); ++col) {
            const std::optional<double> v = ParseDouble(cells[col]);
            columns[names[col]].push_back(v ? *v : 0.0);
        }
    }
    return columns;
}

}  // namespace cloudopt::testing
