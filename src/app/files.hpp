#pragma once
// Reading the files the app loads at start-up (catalog, demo traces), with errors that name the file.

#include <string>

#include "core/error.hpp"

namespace cloudopt {

// The whole file, or kNotFound naming `what` (e.g. "catalog file") and the path.
Result<std::string> ReadWholeFile(const std::string& path, const std::string& what);

}  // namespace cloudopt
