#pragma once
// The HTML report of `cloudopt simulate --report`: one self-contained file (inline SVG, no scripts, no network)
// with the policy comparison as bars, a table per series (ranked by what the predictive policy cost above the
// oracle, when both ran) and, for the series given (the first rows of that table), demand against each policy's
// ready capacity.

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
