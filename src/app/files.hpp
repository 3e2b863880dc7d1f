#pragma once
// Reading and writing whole files (catalog, demo traces, model files), with errors that name the file.

#include <string>

#include "core/error.hpp"

namespace cloudopt {

// The whole file, or kNotFound naming `what` (e.g. "catalog file") and the path.
Result<std::string> ReadWholeFile(const std::string& path, const std::string& what);
// Writes through a temporary file renamed over `path`, so a reader never sees half a file.
Status WriteWholeFile(const std::string& path, const std::string& bytes, const std::string& what);

}  // namespace cloudopt
