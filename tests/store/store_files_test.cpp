// The store's files as the start-up checks see them: the write-ahead log parsed like SQLite's recovery does,
// the data directory lock, and the health probe behind /readyz.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "store/data_dir_lock.hpp"
#include "store/sqlite/wal_file.hpp"
#include "store/store.hpp"
#include "store/store_checks.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

namespace fs = std::filesystem;

constexpr int kFilesCommits = 6;

// Writes `commits` transactions to a store in `dir` and, while it is still open (as after kill -9), copies its
// database, -wal and -shm to `copy_dir`.
void WriteStoreAndCopyWhileOpen(const std::string& dir, const std::string& copy_dir, int commits = kFilesCommits) {
    fs::create_directories(dir);
    ManualClock clock(1'700'000'000);
    auto store = OpenSqliteStore(dir + "/cloudopt.db", clock);
    ASSERT_TRUE(store.ok()) << store.error().message;
    Resource r;
    r.name = "web";
    r.provider = "aws";
    r.provider_ref = "asg-web";
    r.instance_type = "m5.large";
    auto created = (*store)->CreateResource(r);
    ASSERT_TRUE(created.ok());
    for (int c = 0; c < commits; ++c) {
        SeriesSamples batch{{created->id, "cpu"}, {}};
        for (int i = 0; i < 200; ++i) batch.samples.push_back({1'700'000'000 + c * 3600 + i * 10, c * 1000.0 + i});
        ASSERT_TRUE((*store)->AppendSamples(std::span<const SeriesSamples>(&batch, 1)).ok());
    }
    fs::create_directories(copy_dir);
    for (const char* suffix : {"", "-wal", "-shm"})
        fs::copy_file(dir + "/cloudopt.db" + suffix, copy_dir + "/cloudopt.db" + suffix);
}

std::string FilesBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void FilesWrite(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::uint32_t WalPageSize(const std::string& wal) {
    const auto* p = reinterpret_cast<const unsigned char*>(wal.data());
    return (std::uint32_t{p[8]} << 24) | (std::uint32_t{p[9]} << 16) | (std::uint32_t{p[10]} << 8) | p[11];
}

TEST(StoreFiles, TheWalOfAStoreStoppedByACrashIsSound) {
    testing::TempDir dir;
    WriteStoreAndCopyWhileOpen(dir.File("live"), dir.File("copy"));
    const auto wal = sqlite::InspectWal(dir.File("copy/cloudopt.db-wal"));
    ASSERT_TRUE(wal.exists);
    EXPECT_FALSE(wal.damaged) << wal.problem;
    EXPECT_FALSE(wal.torn_tail);
    EXPECT_GE(wal.valid_frames, static_cast<std::uint64_t>(kFilesCommits)) << "every commit is replayed";
    std::vector<std::string> notes;
    EXPECT_TRUE(InspectStoreFiles(dir.File("copy/cloudopt.db"), std::nullopt, notes).empty());
    auto check = CheckDatabaseIntegrity(dir.File("copy/cloudopt.db"), true);
    ASSERT_TRUE(check.ok()) << check.error().message;
    EXPECT_TRUE(check->empty()) << check->front();
}

TEST(StoreFiles, FlippedBytesInACommittedWalFrameAreFound) {
    testing::TempDir dir;
    WriteStoreAndCopyWhileOpen(dir.File("live"), dir.File("copy"));
    const std::string path = dir.File("copy/cloudopt.db-wal");
    std::string wal = FilesBytes(path);
    // Four bytes in the page of the second frame: SQLite's recovery stops there and drops every later commit.
    const std::size_t at = 32 + (24 + WalPageSize(wal)) + 24 + 100;
    for (std::size_t i = 0; i < 4; ++i) wal[at + i] = static_cast<char>(~wal[at + i]);
    FilesWrite(path, wal);
    const auto inspection = sqlite::InspectWal(path);
    EXPECT_TRUE(inspection.damaged);
    EXPECT_NE(inspection.problem.find("frame 2"), std::string::npos) << inspection.problem;
    EXPECT_NE(inspection.problem.find("committed transaction(s) after it would be silently discarded"),
              std::string::npos)
        << inspection.problem;
}

TEST(StoreFiles, AWalCutMidFrameIsFoundButACrashBetweenAFramesTwoWritesIsNot) {
    testing::TempDir dir;
    WriteStoreAndCopyWhileOpen(dir.File("live"), dir.File("copy"));
    const std::string path = dir.File("copy/cloudopt.db-wal");
    const std::string wal = FilesBytes(path);
    const std::size_t frame = 24 + WalPageSize(wal);
    FilesWrite(path, wal.substr(0, 32 + 2 * frame + frame / 2));
    auto cut = sqlite::InspectWal(path);
    EXPECT_TRUE(cut.damaged);
    EXPECT_NE(cut.problem.find("ends in the middle of a frame"), std::string::npos) << cut.problem;
    // A frame header alone at the end: SQLite was killed between writing a frame's header and its page.
    FilesWrite(path, wal.substr(0, 32 + 2 * frame + 24));
    auto torn = sqlite::InspectWal(path);
    EXPECT_FALSE(torn.damaged) << torn.problem;
    EXPECT_TRUE(torn.torn_tail);
}

TEST(StoreFiles, ADeletedWalIsFoundThroughTheSharedMemoryIndex) {
    testing::TempDir dir;
    WriteStoreAndCopyWhileOpen(dir.File("live"), dir.File("copy"));
    fs::remove(dir.File("copy/cloudopt.db-wal"));
    std::vector<std::string> notes;
    const auto problems = InspectStoreFiles(dir.File("copy/cloudopt.db"), std::nullopt, notes);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("cloudopt.db-wal is missing"), std::string::npos) << problems[0];
}

TEST(StoreFiles, AnEmptiedDatabaseIsNotAFreshInstall) {
    testing::TempDir dir;
    LockRecord previous;
    previous.pid = 42;
    previous.host = "db1";
    previous.state = "stopped";
    previous.db_inode = 1234;
    FilesWrite(dir.File("cloudopt.db"), "");
    std::vector<std::string> notes;
    auto problems = InspectStoreFiles(dir.File("cloudopt.db"), previous, notes);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("is empty (0 bytes)"), std::string::npos) << problems[0];
    EXPECT_TRUE(InspectStoreFiles(dir.File("cloudopt.db"), std::nullopt, notes).empty()) << "a first start";
    fs::remove(dir.File("cloudopt.db"));
    problems = InspectStoreFiles(dir.File("cloudopt.db"), previous, notes);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("is missing"), std::string::npos) << problems[0];
}

TEST(StoreFiles, TheLockNamesItsHolderAndRecordsACleanStop) {
    testing::TempDir dir;
    {
        auto first = DataDirLock::Acquire(dir.path(), "serve");
        ASSERT_TRUE(first.ok()) << first.error().message;
        EXPECT_FALSE(first->previous().has_value());
        ASSERT_TRUE(first->MarkStoreOpen(77).ok());
        EXPECT_TRUE(PeekDataDirLock(dir.path()).held);
        auto second = DataDirLock::Acquire(dir.path(), "serve");
        ASSERT_FALSE(second.ok());
        EXPECT_EQ(second.error().code, ErrorCode::kConflict);
        EXPECT_NE(second.error().message.find("pid " + std::to_string(getpid())), std::string::npos)
            << second.error().message;
    }
    EXPECT_FALSE(PeekDataDirLock(dir.path()).held);
    auto again = DataDirLock::Acquire(dir.path(), "user add");
    ASSERT_TRUE(again.ok());
    ASSERT_TRUE(again->previous().has_value());
    EXPECT_EQ(again->previous()->state, "stopped");
    EXPECT_EQ(again->previous()->db_inode, 77u);
}

TEST(StoreFiles, AHolderThatNeverOpenedTheStoreKeepsTheLastOwnersRecord) {
    testing::TempDir dir;
    {
        auto owner = DataDirLock::Acquire(dir.path(), "serve");
        ASSERT_TRUE(owner.ok());
        ASSERT_TRUE(owner->MarkStoreOpen(77).ok());
    }
    { ASSERT_TRUE(DataDirLock::Acquire(dir.path(), "serve").ok()); }  // a start refused before opening the store
    auto next = DataDirLock::Acquire(dir.path(), "serve");
    ASSERT_TRUE(next.ok());
    ASSERT_TRUE(next->previous().has_value());
    EXPECT_EQ(next->previous()->db_inode, 77u) << "the evidence that a store existed survives a refused start";
}

TEST(StoreFiles, HealthFailsWhenTheDatabaseFileIsReplacedUnderTheStore) {
    testing::TempDir dir;
    ManualClock clock(1'700'000'000);
    auto store = OpenSqliteStore(dir.File("cloudopt.db"), clock);
    ASSERT_TRUE(store.ok());
    EXPECT_TRUE((*store)->CheckHealth().ok());
    fs::rename(dir.File("cloudopt.db"), dir.File("moved.db"));
    const Status health = (*store)->CheckHealth();
    ASSERT_FALSE(health.ok());
    EXPECT_NE(health.error().message.find("deleted or replaced"), std::string::npos) << health.error().message;
}

TEST(StoreFiles, HealthReportsDamageAQueryMetAtRunTime) {
    testing::TempDir dir;
    ManualClock clock(1'700'000'000);
    ResourceId id = 0;
    {
        auto store = OpenSqliteStore(dir.File("cloudopt.db"), clock);
        ASSERT_TRUE(store.ok());
        Resource r;
        r.name = "web";
        r.provider = "aws";
        r.provider_ref = "asg-web";
        r.instance_type = "m5.large";
        id = (*store)->CreateResource(r)->id;
        for (int c = 0; c < 50; ++c) {
            SeriesSamples batch{{id, "cpu"}, {}};
            for (int i = 0; i < 360; ++i) batch.samples.push_back({1'600'000'000 + c * 3600 + i * 10, 1.0 * i});
            ASSERT_TRUE((*store)->AppendSamples(std::span<const SeriesSamples>(&batch, 1)).ok());
        }
    }  // closed: everything is in the database file, no WAL
    auto store = OpenSqliteStore(dir.File("cloudopt.db"), clock);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->CheckHealth().ok());
    // Garbage over the second half of the file, which holds sample pages no connection has read yet.
    const std::string path = dir.File("cloudopt.db");
    std::string bytes = FilesBytes(path);
    for (std::size_t i = bytes.size() / 2; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7919 % 251);
    {
        std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    auto samples = (*store)->QuerySamples({id, "cpu"}, 1'600'000'000, 1'600'000'000 + 50 * 3600);
    ASSERT_FALSE(samples.ok()) << "the query reads damaged pages";
    const Status health = (*store)->CheckHealth();
    ASSERT_FALSE(health.ok());
    EXPECT_NE(health.error().message.find("damaged"), std::string::npos) << health.error().message;
}

}  // namespace
}  // namespace cloudopt
