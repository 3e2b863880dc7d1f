#pragma once
// Reads workload traces: CSV "timestamp,series,value" (unix seconds), or "timestamp,value" for one series.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/sample.hpp"

namespace cloudopt {

// Series id -> samples sorted by time (duplicate timestamps keep the last value). A header line is optional.
// A bad line is an error naming its line number.
using TraceSet = std::map<std::string, std::vector<Sample>>;
Result<TraceSet> ParseTraceCsv(std::string_view text, std::string_view default_series = "series");

// The traces of a CSV text, each put on its most common sampling interval with gaps filled and marked missing
// (Regularize, docs/FORECASTING.md). Samples equal to `missing_value`, when given, are dropped first: some exports
// write a marker such as 0 where they have no data. kInvalidArgument naming the line or series.
Result<std::map<std::string, RegularSeries>> SeriesFromCsv(std::string_view text,
                                                           std::optional<double> missing_value = std::nullopt);

}  // namespace cloudopt
