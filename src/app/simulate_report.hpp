#pragma once
// The HTML report of `cloudopt simulate --report`: one self-contained file (inline SVG, no scripts, no network)
// with the policy comparison as bars, a table per series (ranked by what the predictive policy cost above the
// oracle, when both ran) and, for the series given (the first rows of that table), demand against each policy's
// ready capacity.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "simulate/replay.hpp"

namespace cloudopt {

struct ReportSeries {
    std::string id;
    SeriesReplay replay;
};

// The series of `per_series` (simulate --json's) in the order the report lists them: by what predictive cost above
// the oracle, the most first, when `policies` has both; else by name. The report charts the first of them.
std::vector<std::string> SeriesInReportOrder(const nlohmann::json& per_series,
                                             const std::vector<std::string>& policies);

std::string RenderReport(const std::string& data_file, const std::string& summary_json,
                         const std::vector<ReportSeries>& series, const std::vector<std::string>& policies);

}  // namespace cloudopt

namespace cloudopt {

// The HTML report of `cloudopt simulate --sweep --report`: the cost/risk frontier as one chart (cost relative to
// static against unmet demand, every point of every policy, a line through each policy's cheapest points for their
// unmet), the cheapest setting within the unmet budget, and the points as a table. `sweep_json` is the sweep's
// --json output (app/sweep_command.hpp).
std::string RenderSweepReport(const std::string& data_file, const std::string& sweep_json);

}  // namespace cloudopt
