#pragma once
// How both store backends keep the name lists of a resource's anomaly settings (core/remediation.hpp): one text
// column, comma-separated. Metric and action names are validated to hold no comma (IsValidMetricName,
// IsRemediationAction), so the encoding is exact.

#include <string>
#include <string_view>
#include <vector>

#include "core/text.hpp"

namespace cloudopt {

inline std::string JoinNameList(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) {
        if (!out.empty()) out += ',';
        out += n;
    }
    return out;
}

inline std::vector<std::string> SplitNameList(std::string_view text) {
    std::vector<std::string> out;
    if (text.empty()) return out;
    for (std::string_view part : Split(text, ',')) out.emplace_back(part);
    return out;
}

}  // namespace cloudopt
