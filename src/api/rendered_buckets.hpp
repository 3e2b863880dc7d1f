#pragma once
// Downsampled buckets kept as the JSON text GET /api/metrics sends, so a chart that asks for the same day again
// (every viewer of a dashboard, every refresh) pays only for the buckets that changed since. Measured on a day of
// 1-minute points downsampled to 5 minutes: formatting the 288 values was a fifth of the request's CPU time, and
// reading and aggregating the 1,440 raw points another tenth.
//
// Per (series, step, aggregation) the cache holds the complete buckets starting in [first, end): every bucket
// of that range that has data, each rendered "[ts,value]," (trailing comma). A bucket is complete when the
// query window covered all of it. The store tells the cache about each committed write
// (Store::OnSamplesChanged), which cuts the cached range back to the bucket of the oldest changed sample: live
// samples arriving at the end of a series invalidate only the last bucket.
//
// Concurrency: a query reads storage without the cache's lock, so a write can commit in between. Every series
// carries a generation, taken from one counter that never repeats; a query stores what it computed only if its
// series' generation is unchanged since it started. Thread-safe.

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.hpp"
#include "core/sample.hpp"

namespace cloudopt::api {

class RenderedBuckets {
  public:
    // Computes the downsampled buckets of a series for [from, to), `from` aligned to the step.
    using Compute = std::function<Result<std::vector<Sample>>(UnixSeconds from, UnixSeconds to)>;

    explicit RenderedBuckets(std::size_t max_bytes);

    // Where the buckets of one answer came from, for the service's metrics.
    struct Counts {
        std::size_t cached = 0;
        std::size_t computed = 0;
    };

    // Appends the JSON array of the buckets of [FloorTo(from, step), to) to `out`: "[[ts,v],...]", exactly what
    // rendering compute(FloorTo(from, step), to) would give. Computes only what the cache does not hold.
    Status Render(const SeriesKey& key, UnixSeconds step, Aggregation agg, UnixSeconds from, UnixSeconds to,
                  const Compute& compute, std::string& out, Counts* counts = nullptr);

    // Samples of `key` at or after `since` changed (an empty metric: every metric of the resource; resource id 0
    // with an empty metric: every series, e.g. when changes another replica sent were lost).
    void Invalidate(const SeriesKey& key, UnixSeconds since);

    std::size_t bytes() const;
    std::size_t entries() const;

  private:
    using SeriesId = std::pair<ResourceId, std::string>;
    using EntryKey = std::tuple<ResourceId, std::string, UnixSeconds, int>;  // series, step, aggregation
    struct Entry {
        UnixSeconds first = 0;  // buckets starting in [first, end) are all here
        UnixSeconds end = 0;
        std::string text;                                            // "[ts,v]," per bucket with data, in time order
        std::vector<std::pair<UnixSeconds, std::uint32_t>> offsets;  // bucket start -> offset in text
        std::list<EntryKey>::iterator lru;
    };

    static std::size_t IndexOf(const Entry& entry, UnixSeconds t);   // of the first bucket starting at or after t
    static std::size_t OffsetOf(const Entry& entry, UnixSeconds t);  // of that bucket's text
    static void CutBack(Entry& entry, UnixSeconds end);
    std::uint64_t Generation(const SeriesId& series);  // creates it if missing; lock held
    void Keep(const EntryKey& key, std::uint64_t generation, UnixSeconds from, UnixSeconds complete_end,
              const std::string& items, const std::vector<std::pair<UnixSeconds, std::uint32_t>>& offsets);
    void Erase(std::map<EntryKey, Entry>::iterator it);  // lock held
    void EvictOverBudget();                              // lock held

    const std::size_t max_bytes_;
    mutable std::mutex mutex_;
    std::map<EntryKey, Entry> entries_;
    std::map<SeriesId, std::uint64_t> generations_;
    std::uint64_t next_generation_ = 0;
    std::list<EntryKey> lru_;  // most recently used first
    std::size_t bytes_ = 0;
};

// "[ts,value]," for one sample, as GET /api/metrics writes points: values always with a fraction ("12.0"), and
// null for NaN or infinity.
void AppendSampleItem(std::string& out, const Sample& sample);

}  // namespace cloudopt::api
