#pragma once
// What `cloudopt simulate --sweep --adopt` chose for a service, kept in its data directory: adopted.yaml sets
// loop.quantile and loop.unmet_budget, and evidence/sweep-<UTC time>.json holds the sweep that chose them. `cloudopt
// serve` applies adopted.yaml over the config file and the environment at start and logs where it came from;
// deleting the file goes back to the config's settings. The running service writes it too (SettingsAdoptionFor,
// POST /api/settings/adopt); replicas sharing a PostgreSQL store keep it in the store instead, where each applies
// the newest (app/cluster_setup.hpp FollowAdoptions). Not thread-safe: the service's route makes one call at a time.

#include <cstddef>
#include <optional>
#include <string>

#include "api/settings_adoption.hpp"
#include "app/config.hpp"
#include "core/error.hpp"
#include "store/coordination.hpp"

namespace cloudopt {

struct AdoptedSettings {
    double quantile = 0.95;  // 0.5, 0.9, 0.95, 0.99 or 0.999 (p99.9, extrapolated: core/forecast.hpp)
    double unmet_budget = 0.005;
    std::string reason;  // one line: what was chosen against which budget on which trace
    std::string written_by = "`cloudopt simulate --sweep --adopt`";  // named in the file's first line
};

inline constexpr const char* kAdoptedSettingsFile = "adopted.yaml";
// How many evidence/sweep-*.json files the data directory keeps: the newest by the UTC time in their names. The one
// adopted.yaml names is kept besides, however old.
inline constexpr std::size_t kKeptEvidence = 20;

// Writes DATA_DIR/adopted.yaml and the evidence beside it (creating the directories), then prunes the evidence
// (PruneEvidence); the path of adopted.yaml. kInvalidArgument for a quantile the loop does not plan at; an I/O error
// names the path.
Result<std::string> WriteAdoptedSettings(const std::string& data_dir, const AdoptedSettings& settings,
                                         const std::string& evidence_json);

// Writes a sweep's JSON to DATA_DIR/evidence/sweep-<UTC time>.json (creating the directories); its path relative to
// DATA_DIR ("evidence/sweep-...json"). An I/O error names the path.
Result<std::string> WriteEvidence(const std::string& data_dir, const std::string& evidence_json);

// A sweep's {source, unmet_budget, cheapest_predictive} as JSON text, what GET /api/settings/adopt shows of the
// evidence; empty when `evidence_json` is not a sweep's JSON object.
std::string EvidenceSummaryJson(const std::string& evidence_json);

// Deletes DATA_DIR/evidence/sweep-*.json beyond the newest `keep`, never the one adopted.yaml names. Returns how many
// it deleted; one it cannot delete stays (the next adoption tries again).
int PruneEvidence(const std::string& data_dir, std::size_t keep = kKeptEvidence);

// Applies config.data_dir/adopted.yaml to `config` when it exists: one line for the log saying what was set and
// from where, or nullopt without the file. kInvalidArgument naming the file and key when it holds anything else.
Result<std::optional<std::string>> ApplyAdoptedSettings(Config& config);

// What DATA_DIR/adopted.yaml holds (its setting, the reason and evidence its comments name, and a summary of the
// evidence); nullopt without the file. kInvalidArgument naming the file when it cannot be read as written.
Result<std::optional<api::AdoptedRecord>> ReadAdoptedSettings(const std::string& data_dir);

// How the running service adopts a sweep's setting (POST /api/settings/adopt): written to config.data_dir as
// `--adopt` writes it, so the next start applies it too. With replicas (`shared`: the coordination of cluster.enabled
// on PostgreSQL, not owned) it is recorded in the shared store for every replica instead, by `member`, with the
// sweep's JSON in this replica's evidence/; GET shows the newest there (or, before any, this replica's adopted.yaml).
api::SettingsAdoption SettingsAdoptionFor(const Config& config, Coordination* shared = nullptr,
                                          const std::string& member = {});

}  // namespace cloudopt
