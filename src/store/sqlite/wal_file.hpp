#pragma once
// Reads SQLite's write-ahead log (DB-wal) the way SQLite's recovery does, to find what recovery would throw away
// without a word. SQLite replays frames from the start of the file until the first frame that is cut short, has
// other salts than the header or fails its cumulative checksum, and silently ignores everything after it: so a
// WAL cut in half, or with a few flipped bytes, loses every transaction after the damage although each was
// acknowledged. Format: https://www.sqlite.org/fileformat2.html#walformat.

#include <cstdint>
#include <string>

namespace cloudopt::sqlite {

struct WalInspection {
    bool exists = false;
    std::uint64_t file_bytes = 0;
    std::uint32_t page_size = 0;
    std::uint64_t valid_frames = 0;  // frames recovery will replay (up to the last commit among them)
    std::uint64_t frames_after = 0;  // frames of this WAL generation after the first bad one
    bool damaged = false;            // committed transactions would be discarded
    // A frame header without its page at the very end: what a crash between SQLite's two writes of a frame leaves.
    // That transaction was never committed, so nothing acknowledged is lost.
    bool torn_tail = false;
    std::string problem;  // what is wrong, for people ("" when not damaged)
};

// Inspects `wal_path` (it need not exist). Never modifies it.
WalInspection InspectWal(const std::string& wal_path);

}  // namespace cloudopt::sqlite
