#include "api/http.hpp"

#include <string_view>

namespace cloudopt::api {

namespace {

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool Decode(std::string_view in, bool plus_is_space, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) return false;
            const int hi = HexValue(in[i + 1]);
            const int lo = HexValue(in[i + 2]);
            if (hi < 0 || lo < 0) return false;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return true;
}

}  // namespace

bool ParseTarget(const std::string& target, std::string& path, std::map<std::string, std::string>& query) {
    const std::size_t q = target.find('?');
    if (!Decode(std::string_view(target).substr(0, q), false, path)) return false;
    query.clear();
    if (q == std::string::npos) return true;
    std::string_view rest = std::string_view(target).substr(q + 1);
    while (!rest.empty()) {
        const std::size_t amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        std::string key, value;
        if (!Decode(pair.substr(0, eq), true, key)) return false;
        if (eq != std::string_view::npos && !Decode(pair.substr(eq + 1), true, value)) return false;
        query[key] = value;
    }
    return true;
}

}  // namespace cloudopt::api
