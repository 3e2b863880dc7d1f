#pragma once
// Samples are stored in chunks: one row per (series, hour) holding that hour's samples as a blob, instead of
// one row per sample. A day of 1-minute samples is then 24 rows, not 1,440: reading rows dominated query time
// (SQLite spent ~100 ns per row), and fewer, larger rows also make ingest cheaper.
//
// Blob format (little-endian), sorted by time, one entry per timestamp:
//   repeat { uint32 offset_seconds_from_chunk_start; float64 value; }
// The format is versioned by the schema migration that introduced it; change it only with a new migration.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/sample.hpp"

namespace cloudopt {

inline constexpr UnixSeconds kChunkSeconds = 3600;

inline UnixSeconds ChunkStart(UnixSeconds ts) { return FloorTo(ts, kChunkSeconds); }

std::string EncodeChunk(UnixSeconds chunk_start, std::span<const Sample> sorted_samples);
// Appends the chunk's samples with from <= ts < to to `out`. kInternal when the blob is corrupt.
Status DecodeChunk(UnixSeconds chunk_start, std::string_view blob, UnixSeconds from, UnixSeconds to,
                   std::vector<Sample>& out);
// Merges `updates` (sorted, unique) into `existing` (sorted, unique): an update replaces an existing sample at
// the same timestamp.
std::vector<Sample> MergeSamples(std::span<const Sample> existing, std::span<const Sample> updates);

}  // namespace cloudopt
