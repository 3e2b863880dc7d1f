#pragma once

// The test series of tests/forecast: five-minute points, 288 of them to a day. Defined once, because the debug
// preset compiles a suite's files together in batches (a unity build, CMakePresets.json).

namespace cloudopt::testing {

inline constexpr long long kStep = 300;
inline constexpr int kDay = 288;

}  // namespace cloudopt::testing
