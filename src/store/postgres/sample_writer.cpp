#include "store/postgres/sample_writer.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>

#include "store/postgres/connection.hpp"

namespace cloudopt::pg {

namespace {

using KeyOf = std::pair<std::int64_t, std::string>;  // (resource_id, metric): orders the batch's series

// Every series of the batch with its id: the existing ones read, the missing ones of existing resources created.
// Only series that do not exist yet are inserted, so a batch of known series burns no sequence values. A series
// that a concurrent writer created after this statement's snapshot is not returned (ON CONFLICT DO NOTHING): the
// caller reads those again in a later statement, which sees that writer's commit.
constexpr const char* kFindOrCreateSeries =
    "WITH want AS (SELECT DISTINCT w.resource_id, w.metric FROM unnest($1::bigint[], $2::text[]) AS w(resource_id, "
    "metric)), made AS (INSERT INTO series (resource_id, metric) SELECT w.resource_id, w.metric FROM want w WHERE "
    "EXISTS (SELECT 1 FROM resources r WHERE r.id = w.resource_id) AND NOT EXISTS (SELECT 1 FROM series s WHERE "
    "s.resource_id = w.resource_id AND s.metric = w.metric) ORDER BY w.resource_id, w.metric ON CONFLICT "
    "(resource_id, metric) DO NOTHING RETURNING id, resource_id, metric) SELECT id, resource_id, metric FROM made "
    "UNION ALL SELECT s.id, s.resource_id, s.metric FROM series s JOIN want w ON s.resource_id = w.resource_id AND "
    "s.metric = w.metric";

constexpr const char* kFindSeries =
    "SELECT s.id, s.resource_id, s.metric FROM series s JOIN unnest($1::bigint[], $2::text[]) AS w(resource_id, "
    "metric) ON s.resource_id = w.resource_id AND s.metric = w.metric";

void ReadIds(const pqxx::result& rows, std::map<KeyOf, std::int64_t>& ids) {
    for (const auto& row : rows) ids[{row[1].as<std::int64_t>(), row[2].as<std::string>()}] = row[0].as<std::int64_t>();
}

// The keys' columns as two array literals, for unnest($1::bigint[], $2::text[]).
std::pair<std::string, std::string> KeyArrays(const std::vector<KeyOf>& keys) {
    std::vector<std::int64_t> resources;
    std::vector<std::string> metrics;
    for (const KeyOf& k : keys) {
        resources.push_back(k.first);
        metrics.push_back(k.second);
    }
    return {BigintArray(resources), TextArray(metrics)};
}

}  // namespace

std::string TextArray(const std::vector<std::string>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        out += i ? ",\"" : "\"";
        for (char c : values[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

Status WriteSampleBatch(pqxx::work& tx, std::span<const SeriesSamples> batch,
                        std::vector<std::pair<SeriesKey, UnixSeconds>>& changed) {
    // Each series' samples, merged across the batch's entries for it, by time with the later one winning.
    std::map<KeyOf, std::vector<Sample>> by_key;
    for (const SeriesSamples& series : batch) {
        auto& samples = by_key[{series.key.resource_id, series.key.metric}];
        samples.insert(samples.end(), series.samples.begin(), series.samples.end());
    }
    if (by_key.empty()) return Status::Ok();
    std::vector<KeyOf> keys;
    for (auto& [key, samples] : by_key) {
        keys.push_back(key);
        std::stable_sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.ts < b.ts; });
        std::size_t unique = 0;
        for (std::size_t i = 0; i < samples.size(); ++i) {
            if (unique > 0 && samples[unique - 1].ts == samples[i].ts)
                samples[unique - 1] = samples[i];
            else
                samples[unique++] = samples[i];
        }
        samples.resize(unique);
    }

    // 1. The series' ids: a plain look-up (a batch of known series, the usual case, costs only that), then the missing
    // ones created, then those a concurrent writer created meanwhile read again.
    std::map<KeyOf, std::int64_t> ids;
    const auto missing = [&] {
        std::vector<KeyOf> out;
        for (const KeyOf& k : keys) {
            if (!ids.count(k)) out.push_back(k);
        }
        return out;
    };
    {
        const auto [resources, metrics] = KeyArrays(keys);
        ReadIds(tx.exec_params(kFindSeries, resources, metrics), ids);
    }
    for (const char* statement : {kFindOrCreateSeries, kFindSeries}) {
        const std::vector<KeyOf> absent = missing();
        if (absent.empty()) break;
        const auto [resources, metrics] = KeyArrays(absent);
        ReadIds(tx.exec_params(statement, resources, metrics), ids);
    }
    if (const std::vector<KeyOf> absent = missing(); !absent.empty())
        return MakeError(ErrorCode::kNotFound, "resource " + std::to_string(absent.front().first) + " does not exist");

    // 2. The writers' locks of every series, in ascending key order (two batches over the same series wait for each
    // other instead of deadlocking), before anything stored is read.
    std::vector<std::int64_t> lock_keys;
    for (const auto& [key, id] : ids) lock_keys.push_back(SampleLockKey(id));
    std::sort(lock_keys.begin(), lock_keys.end());
    lock_keys.erase(std::unique(lock_keys.begin(), lock_keys.end()), lock_keys.end());
    tx.exec_params("SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::int[]) AS k", kSampleLockSpace,
                   BigintArray(lock_keys));

    // 3. The stored samples the batch replaces, in one statement: per series, a range scan of its primary key over
    // the batch's span of that series with the batch's times as a filter (new samples after the stored ones, the
    // usual case, cost one index descent per series), bounded by the batch's span so that only the partitions it
    // touches are probed.
    // By series id: the COPY's order, and the listeners'.
    std::map<std::int64_t, std::pair<const KeyOf*, const std::vector<Sample>*>> by_id;
    UnixSeconds lo = INT64_MAX;
    UnixSeconds hi = INT64_MIN;
    for (const auto& [key, samples] : by_key) {
        if (samples.empty()) continue;
        by_id[ids.at(key)] = {&key, &samples};
        lo = std::min(lo, samples.front().ts);
        hi = std::max(hi, samples.back().ts);
    }
    if (by_id.empty()) return Status::Ok();
    std::vector<std::int64_t> probe_series;
    std::vector<std::int64_t> probe_from;
    std::vector<std::int64_t> probe_to;
    std::vector<std::string> probe_times;
    for (const auto& [id, written] : by_id) {
        const std::vector<Sample>& samples = *written.second;
        probe_series.push_back(id);
        probe_from.push_back(samples.front().ts);
        probe_to.push_back(samples.back().ts);
        std::vector<std::int64_t> times;
        times.reserve(samples.size());
        for (const Sample& s : samples) times.push_back(s.ts);
        probe_times.push_back(BigintArray(times));
    }
    tx.exec_params(
        "DELETE FROM samples s USING unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[]) AS d(series_id, lo, "
        "hi, times) WHERE s.series_id = d.series_id AND s.ts >= d.lo AND s.ts <= d.hi AND s.ts = "
        "ANY(d.times::bigint[]) "
        "AND s.ts >= $5 AND s.ts <= $6",
        BigintArray(probe_series), BigintArray(probe_from), BigintArray(probe_to), TextArray(probe_times), lo, hi);

    // 4. The batch, with COPY.
    pqxx::stream_to copy(tx, "samples", std::vector<std::string>{"series_id", "ts", "value"});
    for (const auto& [id, written] : by_id) {
        for (const Sample& s : *written.second) copy << std::make_tuple(id, s.ts, s.value);
    }
    copy.complete();
    for (const auto& [id, written] : by_id)
        changed.emplace_back(SeriesKey{written.first->first, written.first->second}, written.second->front().ts);
    return Status::Ok();
}

}  // namespace cloudopt::pg
