#pragma once
// The PostgreSQL side of the store's anomaly alerts, remediation steps and per-resource anomaly settings
// (core/alert.hpp, core/remediation.hpp), on the store's connection pool: one transaction per call. The same
// contract as the SQLite backend (store/store.hpp).

#include <optional>
#include <vector>

#include "core/alert.hpp"
#include "core/remediation.hpp"
#include "store/postgres/connection.hpp"

namespace cloudopt::pg {

Result<Alert> WriteAlert(Pool& pool, const Alert& alert);
Result<std::vector<Alert>> ReadAlerts(Pool& pool, const AlertQuery& query);
Result<Remediation> WriteRemediation(Pool& pool, const Remediation& step);
Result<std::vector<Remediation>> ReadRemediations(Pool& pool, const RemediationQuery& query);
Status WriteAnomalySettings(Pool& pool, ResourceId id, const AnomalySettings& settings);
Result<std::optional<AnomalySettings>> ReadAnomalySettings(Pool& pool, ResourceId id);

}  // namespace cloudopt::pg
