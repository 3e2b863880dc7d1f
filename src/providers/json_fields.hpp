#pragma once
// Reading fields of JSON that came from outside (cloud APIs, Prometheus) without trusting its shape:
// nlohmann's value() and get<>() throw when a field has another type, and a cloud answer must never be able to
// throw through an adapter. Each accessor gives a neutral value (empty, nullopt, an empty array) instead.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/text.hpp"

namespace cloudopt::providers::jsonf {

using nlohmann::json;

// Parses an answer from outside: a discarded value (is_discarded()) when it is not JSON or nests deeper than
// kMaxJsonNesting, which a recursive serialization or destruction of it could not survive.
inline json Parse(const std::string& text) {
    if (JsonNestsDeeperThan(text, kMaxJsonNesting)) return json(json::value_t::discarded);
    return json::parse(text, nullptr, false);
}

inline const json& Field(const json& j, const char* key) {
    static const json kNull;
    if (!j.is_object()) return kNull;
    auto it = j.find(key);
    return it == j.end() ? kNull : *it;
}

// The field at a JSON pointer ("/status/readyReplicas"), or null.
inline const json& At(const json& j, const char* pointer) {
    static const json kNull;
    const json* node = &j;
    // Walk object keys only: cloud answers are objects all the way down where cloudopt reads them.
    const std::string path(pointer);
    std::size_t start = 1;
    while (start <= path.size()) {
        const std::size_t slash = path.find('/', start);
        const std::string key = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (!node->is_object()) return kNull;
        auto it = node->find(key);
        if (it == node->end()) return kNull;
        node = &*it;
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return *node;
}

inline std::string Str(const json& field, const std::string& fallback = "") {
    return field.is_string() ? field.get<std::string>() : fallback;
}
inline std::string Str(const json& j, const char* key, const std::string& fallback = "") { return Str(Field(j, key), fallback); }

inline std::optional<double> Num(const json& field) {
    if (field.is_number()) return field.get<double>();
    return std::nullopt;
}
inline std::optional<double> Num(const json& j, const char* key) { return Num(Field(j, key)); }

// Integers only (2, not 2.5 or "2"), within int.
inline std::optional<int> Int(const json& field) {
    if (!field.is_number_integer()) return std::nullopt;
    const long long v = field.get<long long>();
    if (v < INT32_MIN || v > INT32_MAX) return std::nullopt;
    return static_cast<int>(v);
}
inline std::optional<int> Int(const json& j, const char* key) { return Int(Field(j, key)); }

// The array (or an empty one): safe to range-for over.
inline const json& Arr(const json& field) {
    static const json kEmpty = json::array();
    return field.is_array() ? field : kEmpty;
}
inline const json& Arr(const json& j, const char* key) { return Arr(Field(j, key)); }

}  // namespace cloudopt::providers::jsonf
