#pragma once
// RFC 3339 timestamps as the cloud APIs write them ("2026-11-28T10:05:00Z", "2026-11-28T10:05:00.123456Z",
// "2026-11-28T11:05:00+01:00"), to and from unix seconds.

#include <optional>
#include <string>
#include <string_view>

#include "core/time.hpp"

namespace cloudopt {

// "2026-11-28T10:05:00Z" (UTC, whole seconds).
std::string FormatRfc3339(UnixSeconds t);

// Accepts a date, 'T' or ' ', a time, optional fractional seconds (dropped) and 'Z' or a ±HH:MM offset.
// nullopt for anything else.
std::optional<UnixSeconds> ParseRfc3339(std::string_view text);

}  // namespace cloudopt
