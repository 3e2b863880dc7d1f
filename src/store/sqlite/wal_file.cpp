#include "store/sqlite/wal_file.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace cloudopt::sqlite {

namespace {

constexpr std::size_t kHeaderBytes = 32;
constexpr std::size_t kFrameHeaderBytes = 24;
constexpr std::uint32_t kMagicLittleEndian = 0x377f0682;  // checksums over little-endian words
constexpr std::uint32_t kMagicBigEndian = 0x377f0683;

std::uint32_t BigEndian32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

std::uint32_t LittleEndian32(const unsigned char* p) {
    return (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) | std::uint32_t{p[0]};
}

// SQLite's WAL checksum: a Fletcher-like sum over pairs of 32-bit words, continued from `s`.
struct Checksum {
    std::uint32_t s0 = 0;
    std::uint32_t s1 = 0;
};

Checksum Sum(Checksum s, const unsigned char* data, std::size_t bytes, bool big_endian) {
    for (std::size_t i = 0; i + 8 <= bytes; i += 8) {
        const std::uint32_t x0 = big_endian ? BigEndian32(data + i) : LittleEndian32(data + i);
        const std::uint32_t x1 = big_endian ? BigEndian32(data + i + 4) : LittleEndian32(data + i + 4);
        s.s0 += x0 + s.s1;
        s.s1 += x1 + s.s0;
    }
    return s;
}

bool ValidPageSize(std::uint32_t size) { return size >= 512 && size <= 65536 && (size & (size - 1)) == 0; }

}  // namespace

WalInspection InspectWal(const std::string& wal_path) {
    WalInspection out;
    std::ifstream in(wal_path, std::ios::binary);
    if (!in) return out;
    out.exists = true;
    const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    out.file_bytes = bytes.size();
    // An empty WAL, or one shorter than its header, holds no transactions: SQLite writes the header with the
    // first frame of a generation.
    if (bytes.size() < kHeaderBytes) return out;

    const unsigned char* h = bytes.data();
    const std::uint32_t magic = BigEndian32(h);
    const bool big_endian = magic == kMagicBigEndian;
    out.page_size = BigEndian32(h + 8);
    const std::size_t frame_bytes = kFrameHeaderBytes + out.page_size;
    const Checksum header_sum = Sum({}, h, 24, big_endian);
    const bool header_ok = (magic == kMagicLittleEndian || big_endian) && ValidPageSize(out.page_size) &&
                           header_sum.s0 == BigEndian32(h + 24) && header_sum.s1 == BigEndian32(h + 28);
    if (!header_ok) {
        // SQLite then ignores the whole file. Whole frames behind a broken header were written by a writer that
        // had a good header, so they are lost transactions.
        if (bytes.size() > kHeaderBytes) {
            out.damaged = true;
            out.problem = "the header of the write-ahead log " + wal_path + " is damaged, so SQLite would ignore all " +
                          std::to_string(bytes.size() - kHeaderBytes) + " bytes of transactions in it";
        }
        return out;
    }
    const std::uint32_t salt1 = BigEndian32(h + 16);
    const std::uint32_t salt2 = BigEndian32(h + 20);
    auto salts_match = [&](const unsigned char* f) {
        return BigEndian32(f + 8) == salt1 && BigEndian32(f + 12) == salt2;
    };

    Checksum running = header_sum;
    std::size_t offset = kHeaderBytes;
    std::uint64_t frame = 0;
    std::uint64_t last_commit = 0;
    for (; offset + frame_bytes <= bytes.size(); offset += frame_bytes, ++frame) {
        const unsigned char* f = bytes.data() + offset;
        if (!salts_match(f)) break;  // the end of this generation, or damage: told apart below
        Checksum s = Sum(running, f, 8, big_endian);
        s = Sum(s, f + kFrameHeaderBytes, out.page_size, big_endian);
        if (s.s0 != BigEndian32(f + 16) || s.s1 != BigEndian32(f + 20)) break;
        running = s;
        if (BigEndian32(f + 4) != 0) last_commit = frame + 1;
    }
    out.valid_frames = last_commit;
    const std::uint64_t bad_frame = frame;  // index of the first frame recovery stops at

    // Whole frames after the stopping point that belong to this generation and end a transaction: SQLite writes
    // a generation's frames in order and only commits at a commit frame, so these were committed after the bad
    // frame was written and recovery would drop them. (Frames of the transaction in progress at a crash may
    // fail their checksum while their commit frame was never written; those are not counted.)
    std::uint64_t commits_after = 0;
    std::size_t scan = offset + frame_bytes;
    for (; scan + frame_bytes <= bytes.size(); scan += frame_bytes) {
        const unsigned char* f = bytes.data() + scan;
        if (!salts_match(f)) continue;
        ++out.frames_after;
        if (BigEndian32(f + 4) != 0) ++commits_after;
    }
    const std::size_t tail = (bytes.size() - kHeaderBytes) % frame_bytes;
    if (commits_after > 0) {
        out.damaged = true;
        out.problem = "frame " + std::to_string(bad_frame + 1) + " of the write-ahead log " + wal_path +
                      " is damaged (checksum or salt mismatch), and " + std::to_string(commits_after) +
                      " committed transaction(s) after it would be silently discarded";
        return out;
    }
    if (tail != 0) {
        const bool header_only =
            tail == kFrameHeaderBytes && offset + frame_bytes > bytes.size() && salts_match(bytes.data() + offset);
        if (header_only) {
            out.torn_tail = true;
            return out;
        }
        out.damaged = true;
        out.problem = "the write-ahead log " + wal_path + " ends in the middle of a frame (" +
                      std::to_string(bytes.size()) + " bytes is not its 32-byte header plus whole " +
                      std::to_string(frame_bytes) + "-byte frames): it was cut short, and the transactions in the " +
                      "missing part are lost";
    }
    return out;
}

}  // namespace cloudopt::sqlite
