#pragma once
// The HTML report of `cloudopt simulate --report`: one self-contained file (inline SVG, no scripts, no network)
// with the policy comparison as bars and, for the first series, demand against each policy's ready capacity.

#include <string>
#include <vector>

#include "simulate/replay.hpp"

namespace cloudopt {

struct ReportSeries {
    std::string id;
    SeriesReplay replay;
};

std::string RenderReport(const std::string& data_file, const std::string& summary_json,
                         const std::vector<ReportSeries>& series, const std::vector<std::string>& policies);

}  // namespace cloudopt
