#pragma once
// What `cloudopt simulate --sweep --adopt` chose for a service, kept in its data directory: adopted.yaml sets
// loop.quantile and loop.unmet_budget, and evidence/sweep-<UTC time>.json holds the sweep that chose them. `cloudopt
// serve` applies adopted.yaml over the config file and the environment at start and logs where it came from;
// deleting the file goes back to the config's settings. Not thread-safe: called once at start or by the CLI.

#include <optional>
#include <string>

#include "app/config.hpp"
#include "core/error.hpp"

namespace cloudopt {

struct AdoptedSettings {
    double quantile = 0.95;  // 0.5, 0.9, 0.95, 0.99 or 0.999 (p99.9, extrapolated: core/forecast.hpp)
    double unmet_budget = 0.005;
    std::string reason;  // one line: what was chosen against which budget on which trace
};

inline constexpr const char* kAdoptedSettingsFile = "adopted.yaml";

// Writes DATA_DIR/adopted.yaml and the evidence beside it (creating the directories); the path of adopted.yaml.
// kInvalidArgument for a quantile the loop does not plan at; an I/O error names the path.
Result<std::string> WriteAdoptedSettings(const std::string& data_dir, const AdoptedSettings& settings,
                                         const std::string& evidence_json);

// Applies config.data_dir/adopted.yaml to `config` when it exists: one line for the log saying what was set and
// from where, or nullopt without the file. kInvalidArgument naming the file and key when it holds anything else.
Result<std::optional<std::string>> ApplyAdoptedSettings(Config& config);

}  // namespace cloudopt
