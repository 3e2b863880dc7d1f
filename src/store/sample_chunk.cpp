#include "store/sample_chunk.hpp"

#include <cassert>
#include <cstdint>
#include <cstring>

namespace cloudopt {

namespace {
constexpr std::size_t kEntryBytes = sizeof(std::uint32_t) + sizeof(double);
static_assert(sizeof(double) == 8);
}  // namespace

std::string EncodeChunk(UnixSeconds chunk_start, std::span<const Sample> samples) {
    std::string blob(samples.size() * kEntryBytes, '\0');
    char* p = blob.data();
    for (const Sample& s : samples) {
        assert(s.ts >= chunk_start && s.ts < chunk_start + kChunkSeconds);
        const auto offset = static_cast<std::uint32_t>(s.ts - chunk_start);
        std::memcpy(p, &offset, sizeof offset);
        std::memcpy(p + sizeof offset, &s.value, sizeof s.value);
        p += kEntryBytes;
    }
    return blob;
}

Status DecodeChunk(UnixSeconds chunk_start, std::string_view blob, UnixSeconds from, UnixSeconds to,
                   std::vector<Sample>& out) {
    if (blob.size() % kEntryBytes != 0)
        return MakeError(ErrorCode::kInternal, "stored sample chunk at " + std::to_string(chunk_start) +
                                                   " is corrupt (size " + std::to_string(blob.size()) + ")");
    const char* p = blob.data();
    for (std::size_t i = 0; i < blob.size() / kEntryBytes; ++i, p += kEntryBytes) {
        std::uint32_t offset = 0;
        double value = 0.0;
        std::memcpy(&offset, p, sizeof offset);
        std::memcpy(&value, p + sizeof offset, sizeof value);
        const UnixSeconds ts = chunk_start + offset;
        if (ts >= from && ts < to) out.push_back({ts, value});
    }
    return Status::Ok();
}

std::vector<Sample> MergeSamples(std::span<const Sample> existing, std::span<const Sample> updates) {
    std::vector<Sample> merged;
    merged.reserve(existing.size() + updates.size());
    std::size_t i = 0, j = 0;
    while (i < existing.size() || j < updates.size()) {
        if (j == updates.size() || (i < existing.size() && existing[i].ts < updates[j].ts)) {
            merged.push_back(existing[i++]);
        } else {
            if (i < existing.size() && existing[i].ts == updates[j].ts) ++i;  // replaced
            merged.push_back(updates[j++]);
        }
    }
    return merged;
}

}  // namespace cloudopt
