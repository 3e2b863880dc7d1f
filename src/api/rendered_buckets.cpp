#include "api/rendered_buckets.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>

#include "core/time.hpp"

namespace cloudopt::api {

void AppendSampleItem(std::string& out, const Sample& sample) {
    char buf[64];
    char* p = buf;
    *p++ = '[';
    p = std::to_chars(p, buf + sizeof buf, sample.ts).ptr;
    *p++ = ',';
    if (std::isfinite(sample.value)) {
        char* number = p;
        p = std::to_chars(p, buf + sizeof buf, sample.value).ptr;
        bool integral = true;  // "12" is written "12.0" so clients always see a float
        for (const char* c = number; c < p; ++c) integral &= *c != '.' && *c != 'e';
        if (integral) {
            *p++ = '.';
            *p++ = '0';
        }
    } else {
        p = std::copy_n("null", 4, p);
    }
    *p++ = ']';
    *p++ = ',';
    out.append(buf, p);
}

RenderedBuckets::RenderedBuckets(std::size_t max_bytes) : max_bytes_(max_bytes) {}

std::size_t RenderedBuckets::IndexOf(const Entry& entry, UnixSeconds t) {
    auto it = std::lower_bound(entry.offsets.begin(), entry.offsets.end(), t,
                               [](const auto& offset, UnixSeconds value) { return offset.first < value; });
    return static_cast<std::size_t>(it - entry.offsets.begin());
}

std::size_t RenderedBuckets::OffsetOf(const Entry& entry, UnixSeconds t) {
    const std::size_t i = IndexOf(entry, t);
    return i == entry.offsets.size() ? entry.text.size() : entry.offsets[i].second;
}

void RenderedBuckets::CutBack(Entry& entry, UnixSeconds end) {
    const std::size_t i = IndexOf(entry, end);
    if (i < entry.offsets.size()) entry.text.resize(entry.offsets[i].second);
    entry.offsets.resize(i);
    entry.end = end;
}

std::uint64_t RenderedBuckets::Generation(const SeriesId& series) {
    auto [it, inserted] = generations_.try_emplace(series, 0);
    if (inserted) it->second = ++next_generation_;
    return it->second;
}

Status RenderedBuckets::Render(const SeriesKey& key, UnixSeconds step, Aggregation agg, UnixSeconds from,
                               UnixSeconds to, const Compute& compute, std::string& out, Counts* counts) {
    const UnixSeconds start = FloorTo(from, step);
    // A bucket is complete (all of it inside the window) when it starts before the bucket holding `to`.
    const UnixSeconds complete_end = std::max(start, FloorTo(to, step));
    const EntryKey entry_key{key.resource_id, key.metric, step, static_cast<int>(agg)};
    const std::size_t opening = out.size();
    out += '[';
    UnixSeconds rest_from = start;
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(mutex_);
        generation = Generation({key.resource_id, key.metric});
        auto it = entries_.find(entry_key);
        if (it != entries_.end() && it->second.first <= start && start <= it->second.end) {
            Entry& entry = it->second;
            const UnixSeconds upto = std::min(entry.end, complete_end);
            if (upto > start) {
                const std::size_t begin = OffsetOf(entry, start);
                out.append(entry.text, begin, OffsetOf(entry, upto) - begin);
                if (counts) counts->cached = IndexOf(entry, upto) - IndexOf(entry, start);
                rest_from = upto;
            }
            lru_.splice(lru_.begin(), lru_, entry.lru);
        }
    }

    // The rest (new buckets, and the incomplete last one) from storage, without the lock.
    auto buckets = compute(rest_from, to);
    if (!buckets) {
        out.resize(opening);
        if (counts) *counts = {};
        return buckets.error();
    }
    if (counts) counts->computed = buckets->size();
    std::string complete_items;
    std::vector<std::pair<UnixSeconds, std::uint32_t>> offsets;
    std::size_t i = 0;
    for (; i < buckets->size() && (*buckets)[i].ts < complete_end; ++i) {
        offsets.emplace_back((*buckets)[i].ts, static_cast<std::uint32_t>(complete_items.size()));
        AppendSampleItem(complete_items, (*buckets)[i]);
    }
    out += complete_items;
    for (; i < buckets->size(); ++i) AppendSampleItem(out, (*buckets)[i]);
    if (out.back() == ',')
        out.back() = ']';
    else
        out += ']';

    if (rest_from < complete_end) Keep(entry_key, generation, rest_from, complete_end, complete_items, offsets);
    return Status::Ok();
}

void RenderedBuckets::Keep(const EntryKey& key, std::uint64_t generation, UnixSeconds from, UnixSeconds complete_end,
                           const std::string& items,
                           const std::vector<std::pair<UnixSeconds, std::uint32_t>>& offsets) {
    std::lock_guard lock(mutex_);
    // A write committed while we read storage: what we computed may be older than it, so keep none of it.
    auto generation_it = generations_.find({std::get<0>(key), std::get<1>(key)});
    if (generation_it == generations_.end() || generation_it->second != generation) return;
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.first <= from && it->second.end == from) {
        Entry& entry = it->second;  // contiguous: extend
        const auto base = static_cast<std::uint32_t>(entry.text.size());
        for (const auto& [ts, offset] : offsets) entry.offsets.emplace_back(ts, base + offset);
        entry.text += items;
        entry.end = complete_end;
        bytes_ += items.size() + offsets.size() * sizeof(offsets[0]);
    } else {
        if (it != entries_.end()) Erase(it);
        lru_.push_front(key);
        Entry entry{from, complete_end, items, offsets, lru_.begin()};
        bytes_ += items.size() + offsets.size() * sizeof(offsets[0]);
        it = entries_.emplace(key, std::move(entry)).first;
    }
    // One series must not crowd out every other (a chart of years at a fine step is recomputed instead), and
    // offsets are 32-bit.
    if (it->second.text.size() > std::min<std::size_t>(max_bytes_ / 4, std::size_t{1} << 30)) Erase(it);
    EvictOverBudget();
}

void RenderedBuckets::Invalidate(const SeriesKey& key, UnixSeconds since) {
    std::lock_guard lock(mutex_);
    if (key.resource_id == 0 && key.metric.empty()) {  // every series (another replica's changes were lost)
        for (auto& generation : generations_) generation.second = ++next_generation_;
        while (!entries_.empty()) Erase(entries_.begin());
        return;
    }
    const bool whole_resource = key.metric.empty();
    for (auto g = generations_.lower_bound({key.resource_id, key.metric});
         g != generations_.end() && g->first.first == key.resource_id &&
         (whole_resource || g->first.second == key.metric);
         ++g)
        g->second = ++next_generation_;
    auto it = entries_.lower_bound({key.resource_id, key.metric, LLONG_MIN, INT_MIN});
    while (it != entries_.end() && std::get<0>(it->first) == key.resource_id &&
           (whole_resource || std::get<1>(it->first) == key.metric)) {
        Entry& entry = it->second;
        const UnixSeconds step = std::get<2>(it->first);
        // The bucket holding `since` changed, and every later one may have.
        const UnixSeconds cut = since <= entry.first ? entry.first : FloorTo(since, step);
        if (cut <= entry.first) {
            auto next = std::next(it);
            Erase(it);
            it = next;
            continue;
        }
        if (cut < entry.end) {
            const std::size_t before = entry.text.size() + entry.offsets.size() * sizeof(entry.offsets[0]);
            CutBack(entry, cut);
            bytes_ -= before - (entry.text.size() + entry.offsets.size() * sizeof(entry.offsets[0]));
        }
        ++it;
    }
}

void RenderedBuckets::Erase(std::map<EntryKey, Entry>::iterator it) {
    bytes_ -= it->second.text.size() + it->second.offsets.size() * sizeof(it->second.offsets[0]);
    lru_.erase(it->second.lru);
    const SeriesId series{std::get<0>(it->first), std::get<1>(it->first)};
    entries_.erase(it);
    // Forget the series' generation with its last entry (a query in flight then just does not store).
    auto rest = entries_.lower_bound({series.first, series.second, LLONG_MIN, INT_MIN});
    if (rest == entries_.end() || std::get<0>(rest->first) != series.first || std::get<1>(rest->first) != series.second)
        generations_.erase(series);
}

void RenderedBuckets::EvictOverBudget() {
    while (bytes_ > max_bytes_ && !lru_.empty()) Erase(entries_.find(lru_.back()));
}

std::size_t RenderedBuckets::bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}

std::size_t RenderedBuckets::entries() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace cloudopt::api
