#pragma once
// A resource's allowed instance types as the stores keep them: one comma-separated column (names never contain
// commas: validated before they are stored). Shared by the SQLite and PostgreSQL stores so both read and write the
// same text, which `cloudopt db copy` moves as it is.

#include <string>
#include <string_view>
#include <vector>

namespace cloudopt {

inline std::string JoinTypes(const std::vector<std::string>& types) {
    std::string out;
    for (const std::string& t : types) out += (out.empty() ? "" : ",") + t;
    return out;
}

inline std::vector<std::string> SplitTypes(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        out.emplace_back(text.substr(0, comma));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

}  // namespace cloudopt
