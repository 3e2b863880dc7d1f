#pragma once
// The weekly partitions of the samples table (declarative range partitioning on ts): samples_w<N> holds
// ts in [N * 604800, (N + 1) * 604800) (samples_wm<N> for weeks before 1970). A partition is created ahead of the
// first sample that needs it; retention drops whole partitions, which frees their space at once (a DELETE would
// leave dead rows for VACUUM).
//
// Creating or dropping a partition locks the samples table briefly: do it in a transaction of its own, never in
// one that also writes samples. Concurrent creators are serialized by an advisory lock. Throws pqxx exceptions.

#include <cstdint>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "core/sample.hpp"

namespace cloudopt::pg {

inline constexpr std::int64_t kPartitionSeconds = 7 * 86400;

// The week number of `ts` (floor division, also for negative ts).
std::int64_t PartitionOf(UnixSeconds ts);
std::string PartitionName(std::int64_t week);

// Creates the partitions among `weeks` that do not exist yet; returns how many it created.
int CreatePartitions(pqxx::work& tx, const std::set<std::int64_t>& weeks);

// The weeks that have a partition now.
std::set<std::int64_t> ExistingPartitions(pqxx::work& tx);

// Drops every partition whose range ends at or before `before`; returns the weeks dropped.
std::vector<std::int64_t> DropPartitionsBefore(pqxx::work& tx, UnixSeconds before);

}  // namespace cloudopt::pg
