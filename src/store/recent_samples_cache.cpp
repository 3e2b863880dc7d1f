#include "store/recent_samples_cache.hpp"

#include <algorithm>

#include "store/sample_chunk.hpp"

namespace cloudopt {

namespace {
auto ByTs = [](const Sample& s, UnixSeconds ts) { return s.ts < ts; };
}

RecentSamplesCache::RecentSamplesCache(std::size_t max_bytes, UnixSeconds window)
    : max_bytes_(max_bytes), window_(window) {}

std::size_t RecentSamplesCache::bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}

void RecentSamplesCache::Touch(Entry& entry) { lru_.splice(lru_.begin(), lru_, entry.lru); }

std::optional<std::vector<Sample>> RecentSamplesCache::Get(std::int64_t series, UnixSeconds from, UnixSeconds to) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(series);
    if (it == entries_.end() || from < it->second.start) return std::nullopt;
    Touch(it->second);
    const std::vector<Sample>& s = it->second.samples;
    auto first = std::lower_bound(s.begin(), s.end(), from, ByTs);
    auto last = std::lower_bound(first, s.end(), to, ByTs);
    return std::vector<Sample>(first, last);
}

std::optional<std::optional<Sample>> RecentSamplesCache::Latest(std::int64_t series) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(series);
    if (it == entries_.end()) return std::nullopt;
    if (it->second.samples.empty()) return std::optional<Sample>();
    return std::optional<Sample>(it->second.samples.back());
}

void RecentSamplesCache::Install(std::int64_t series, UnixSeconds start, std::vector<Sample> samples) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(series);
    if (it != entries_.end()) {
        bytes_ -= it->second.samples.size() * sizeof(Sample);
        lru_.erase(it->second.lru);
        entries_.erase(it);
    }
    lru_.push_front(series);
    Entry& entry = entries_[series];
    entry.start = start;
    entry.samples = std::move(samples);
    entry.lru = lru_.begin();
    bytes_ += entry.samples.size() * sizeof(Sample);
    Trim(entry);
    EvictOverBudget();
}

void RecentSamplesCache::Apply(std::int64_t series, std::span<const Sample> updates) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(series);
    if (it == entries_.end()) return;
    Entry& entry = it->second;
    // Samples before `start` are outside what the entry promises to hold; drop them.
    auto first = std::lower_bound(updates.begin(), updates.end(), entry.start, ByTs);
    std::span<const Sample> relevant(first, updates.end());
    if (relevant.empty()) return;
    bytes_ -= entry.samples.size() * sizeof(Sample);
    if (entry.samples.empty() || relevant.front().ts > entry.samples.back().ts) {
        entry.samples.insert(entry.samples.end(), relevant.begin(), relevant.end());  // the common case: appends
    } else {
        entry.samples = MergeSamples(entry.samples, relevant);
    }
    bytes_ += entry.samples.size() * sizeof(Sample);
    Trim(entry);
    EvictOverBudget();
}

void RecentSamplesCache::Erase(std::int64_t series) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(series);
    if (it == entries_.end()) return;
    bytes_ -= it->second.samples.size() * sizeof(Sample);
    lru_.erase(it->second.lru);
    entries_.erase(it);
}

void RecentSamplesCache::Trim(Entry& entry) {
    if (entry.samples.empty()) return;
    // Keep whole chunks from (newest - window) on, so `start` stays chunk-aligned like the loads that fill it.
    const UnixSeconds keep_from = ChunkStart(entry.samples.back().ts - window_);
    if (keep_from <= entry.start) return;
    auto cut = std::lower_bound(entry.samples.begin(), entry.samples.end(), keep_from, ByTs);
    bytes_ -= static_cast<std::size_t>(cut - entry.samples.begin()) * sizeof(Sample);
    entry.samples.erase(entry.samples.begin(), cut);
    entry.start = keep_from;
}

void RecentSamplesCache::EvictOverBudget() {
    while (bytes_ > max_bytes_ && !lru_.empty()) {
        const std::int64_t victim = lru_.back();
        auto it = entries_.find(victim);
        bytes_ -= it->second.samples.size() * sizeof(Sample);
        lru_.pop_back();
        entries_.erase(it);
    }
}

}  // namespace cloudopt
