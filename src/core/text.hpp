#pragma once
// Small string helpers shared by the parsers (CSV, catalog, config, query strings).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cloudopt {

std::string_view Trim(std::string_view s);
std::vector<std::string_view> Split(std::string_view s, char sep);
// Splits on \n, dropping a trailing \r from each line.
std::vector<std::string_view> SplitLines(std::string_view s);
// Whole-string parses: trailing garbage, empty input, NaN and infinities are rejected.
std::optional<double> ParseDouble(std::string_view s);
std::optional<long long> ParseInt(std::string_view s);
// Whether JSON text nests arrays and objects deeper than `max_depth` (strings and escapes skipped; the text need
// not be valid). Checked before parsing: parsed values are serialized and destroyed by recursion, so a body
// nested 100,000 deep would overflow the stack after a parser accepted it.
bool JsonNestsDeeperThan(std::string_view text, int max_depth);
// What every JSON the service reads from outside may nest: far beyond any document it expects.
inline constexpr int kMaxJsonNesting = 64;
// "$1.920/h": an hourly cost as reasons show it.
std::string MoneyPerHour(double usd);

}  // namespace cloudopt
