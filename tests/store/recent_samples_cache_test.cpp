#include "store/recent_samples_cache.hpp"

#include <gtest/gtest.h>

#include "store/sample_chunk.hpp"

namespace cloudopt {
namespace {

constexpr UnixSeconds kStart = 1'700'002'800;  // a chunk boundary

TEST(RecentSamplesCache, AnswersOnlyWindowsItHoldsCompletely) {
    RecentSamplesCache cache(1 << 20, 86400);
    EXPECT_FALSE(cache.Get(1, kStart, kStart + 100));
    cache.Install(1, kStart, {{kStart + 10, 1}, {kStart + 20, 2}, {kStart + 30, 3}});
    EXPECT_EQ(*cache.Get(1, kStart, kStart + 25), (std::vector<Sample>{{kStart + 10, 1}, {kStart + 20, 2}}));
    EXPECT_TRUE(cache.Get(1, kStart + 31, kStart + 99)->empty());
    EXPECT_FALSE(cache.Get(1, kStart - 1, kStart + 25));  // starts before what the cache holds
    EXPECT_EQ(**cache.Latest(1), (Sample{kStart + 30, 3}));
    EXPECT_FALSE(cache.Latest(2));
}

TEST(RecentSamplesCache, AppliesCommittedWritesToCachedSeriesOnly) {
    RecentSamplesCache cache(1 << 20, 86400);
    cache.Install(1, kStart, {{kStart + 10, 1}, {kStart + 30, 3}});
    const std::vector<Sample> updates = {{kStart - 5, 9}, {kStart + 20, 2}, {kStart + 30, 33}, {kStart + 40, 4}};
    cache.Apply(1, updates);
    cache.Apply(2, updates);
    EXPECT_EQ(*cache.Get(1, kStart, kStart + 100),
              (std::vector<Sample>{{kStart + 10, 1}, {kStart + 20, 2}, {kStart + 30, 33}, {kStart + 40, 4}}));
    EXPECT_FALSE(cache.Get(2, kStart, kStart + 100));
}

TEST(RecentSamplesCache, KeepsOnlyTheWindowBehindTheNewestSample) {
    RecentSamplesCache cache(1 << 20, 2 * kChunkSeconds);
    cache.Install(1, kStart, {{kStart + 10, 1}});
    cache.Apply(1, std::vector<Sample>{{kStart + 5 * kChunkSeconds, 5}});
    // Now complete only from the chunk two hours before the newest sample.
    EXPECT_FALSE(cache.Get(1, kStart, kStart + 6 * kChunkSeconds));
    EXPECT_EQ(cache.Get(1, kStart + 3 * kChunkSeconds, kStart + 6 * kChunkSeconds)->size(), 1u);
}

TEST(RecentSamplesCache, EvictsTheLeastRecentlyReadOverBudget) {
    RecentSamplesCache cache(3 * sizeof(Sample), 86400);
    cache.Install(1, kStart, {{kStart, 1}, {kStart + 1, 1}});
    cache.Install(2, kStart, {{kStart, 2}});
    ASSERT_TRUE(cache.Get(1, kStart, kStart + 10));  // 1 is now the most recent
    cache.Install(3, kStart, {{kStart, 3}});
    EXPECT_TRUE(cache.Get(1, kStart, kStart + 10));
    EXPECT_FALSE(cache.Get(2, kStart, kStart + 10));
    EXPECT_TRUE(cache.Get(3, kStart, kStart + 10));
    EXPECT_LE(cache.bytes(), 3 * sizeof(Sample));
    cache.Erase(3);
    EXPECT_FALSE(cache.Get(3, kStart, kStart + 10));
}

}  // namespace
}  // namespace cloudopt
