#pragma once
// Little-endian fixed-size values and length-prefixed strings, for the model file formats. Readers consume
// from a string_view and return false when the input is too short, so a damaged file is an error, not a crash.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace cloudopt::binary {

// Bounds a saved model's time grid must keep: a step of at most a year and a start within +-3,000 years of 1970,
// so that start + index * step cannot overflow for any series a model could be asked about.
inline constexpr std::int64_t kMaxStepSeconds = 366LL * 86400;
inline constexpr std::int64_t kMaxAbsStart = 100'000'000'000LL;
inline bool PlausibleGrid(std::int64_t start, std::int64_t step) {
    return step > 0 && step <= kMaxStepSeconds && start >= -kMaxAbsStart && start <= kMaxAbsStart;
}

template <typename T>
void Put(std::string& out, T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

inline void PutString(std::string& out, std::string_view s) {
    Put<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
    out.append(s);
}

template <typename T>
bool Get(std::string_view& in, T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (in.size() < sizeof v) return false;
    std::memcpy(&v, in.data(), sizeof v);
    in.remove_prefix(sizeof v);
    return true;
}

inline bool GetString(std::string_view& in, std::string& s) {
    std::uint32_t n = 0;
    if (!Get(in, n) || in.size() < n) return false;
    s.assign(in.data(), n);
    in.remove_prefix(n);
    return true;
}

}  // namespace cloudopt::binary
