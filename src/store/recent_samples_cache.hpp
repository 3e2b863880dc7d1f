#pragma once
// Keeps the recent samples of frequently read series in memory, decoded, so that dashboard-style queries
// ("the last day of this metric") are served without touching the database. Measured on GET /api/metrics for a
// day of 1-minute points: SQLite read transactions and row decoding were a third of the request's CPU time.
//
// Per series the cache holds every sample with ts >= start (complete from `start` on), so a query whose window
// begins at or after `start` is answered exactly from memory. Writes are applied after they commit. The total
// size is bounded: least recently read series are evicted first, and each series keeps only `window` seconds
// behind its newest sample. Thread-safe.

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "core/sample.hpp"

namespace cloudopt {

class RecentSamplesCache {
public:
    RecentSamplesCache(std::size_t max_bytes, UnixSeconds window);

    // Samples of `series` with from <= ts < to, or nullopt when the cache cannot answer completely.
    std::optional<std::vector<Sample>> Get(std::int64_t series, UnixSeconds from, UnixSeconds to);
    // The newest sample, if the series is cached (and has any).
    std::optional<std::optional<Sample>> Latest(std::int64_t series);
    // Installs what storage holds for `series` from `start` on (sorted, unique).
    void Install(std::int64_t series, UnixSeconds start, std::vector<Sample> samples);
    // Applies committed samples (sorted, unique) to a cached series; does nothing for others.
    void Apply(std::int64_t series, std::span<const Sample> updates);
    void Erase(std::int64_t series);

    std::size_t bytes() const;

private:
    struct Entry {
        UnixSeconds start = 0;
        std::vector<Sample> samples;
        std::list<std::int64_t>::iterator lru;
    };
    void Touch(Entry& entry);
    void Trim(Entry& entry);
    void EvictOverBudget();

    const std::size_t max_bytes_;
    const UnixSeconds window_;
    mutable std::mutex mutex_;
    std::map<std::int64_t, Entry> entries_;
    std::list<std::int64_t> lru_;  // most recently read first
    std::size_t bytes_ = 0;
};

}  // namespace cloudopt
