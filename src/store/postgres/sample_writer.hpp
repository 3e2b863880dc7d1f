#pragma once
// One batch of samples written inside the caller's transaction in a fixed number of statements, whatever the number
// of series in it (docs/PERFORMANCE.md, "Ingest"): one statement finds every series of the batch (one more creates
// those that are new), one takes the writers' advisory locks of all of them (in key order, so two batches never
// deadlock), one deletes the stored samples the batch overwrites, then one COPY writes the batch. A batch of 100
// series used to make about 300 round trips; it now makes 3 plus the COPY.
//
// Thread-safety: free functions; the transaction is the caller's, used by one thread.

#include <cstdint>
#include <pqxx/pqxx>
#include <span>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"
#include "store/store.hpp"

namespace cloudopt::pg {

// The two-key advisory locks of sample writers, one per series (keys: this space, the series id folded to int).
// Every writer of samples (a batch, a deletion) takes its series' lock before it reads what is stored.
constexpr int kSampleLockSpace = 0x636c6f75;  // "clou"
inline int SampleLockKey(std::int64_t series_id) { return static_cast<int>(series_id & 0x7fffffff); }

// The SQL text of a text array literal ('{"a","b"}'), each element quoted, for `$1::text[]`.
std::string TextArray(const std::vector<std::string>& values);

// Writes `batch` (all or nothing: an error leaves the transaction to be rolled back). Within a series a later
// sample at the same time wins; a stored sample at a time the batch names is replaced. A series of a resource that
// does not exist is kNotFound. `changed` receives each written series with its oldest sample, in series id order.
Status WriteSampleBatch(pqxx::work& tx, std::span<const SeriesSamples> batch,
                        std::vector<std::pair<SeriesKey, UnixSeconds>>& changed);

}  // namespace cloudopt::pg
