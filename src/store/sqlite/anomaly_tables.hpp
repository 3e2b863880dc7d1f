#pragma once
// The SQLite side of the store's remediation steps and per-resource anomaly settings (core/remediation.hpp), on
// the store's connections: writes on the writer with the store's write lock held by the caller, reads on a
// borrowed reader. Alerts live in sqlite_store.cpp, where they were built first.

#include <optional>
#include <vector>

#include "core/remediation.hpp"
#include "store/sqlite/connection.hpp"

namespace cloudopt::sqlite {

Result<Remediation> WriteRemediation(Connection& writer, const Remediation& step);
Result<std::vector<Remediation>> ReadRemediations(Connection& reader, const RemediationQuery& query);
Status WriteAnomalySettings(Connection& writer, ResourceId id, const AnomalySettings& settings);
Result<std::optional<AnomalySettings>> ReadAnomalySettings(Connection& reader, ResourceId id);

}  // namespace cloudopt::sqlite
