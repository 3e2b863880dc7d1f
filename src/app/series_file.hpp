#pragma once
// Series from a CSV file for the forecasting commands (backtest, forecast, train): each series put on its most
// common sampling interval with gaps filled (docs/FORECASTING.md).

#include <map>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/sample.hpp"
#include "forecast/trained_model.hpp"

namespace cloudopt {

// By series id; samples equal to missing_value are gaps (SeriesFromCsv). kInvalidArgument with the file, line or
// series named.
Result<std::map<std::string, RegularSeries>> LoadSeries(const std::string& path,
                                                        std::optional<double> missing_value = std::nullopt);

// The series as members of one fleet network (lstm_fleet), in id order; only `only` when it is not empty.
std::vector<FleetSeries> AsFleet(const std::map<std::string, RegularSeries>& series, const std::string& only = "");

}  // namespace cloudopt
