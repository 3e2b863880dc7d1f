#include "store/sample_chunk.hpp"

#include <gtest/gtest.h>

#include <climits>

namespace cloudopt {
namespace {

TEST(SampleChunk, RoundTripsAndFiltersByTime) {
    const UnixSeconds start = ChunkStart(1'700'000'123);
    EXPECT_EQ(start % kChunkSeconds, 0);
    const std::vector<Sample> samples = {{start, 1.5}, {start + 60, -2.25}, {start + 3599, 1e300}};
    const std::string blob = EncodeChunk(start, samples);
    EXPECT_EQ(blob.size(), 36u);
    std::vector<Sample> all;
    ASSERT_TRUE(DecodeChunk(start, blob, INT64_MIN, INT64_MAX, all).ok());
    EXPECT_EQ(all, samples);
    std::vector<Sample> some;
    ASSERT_TRUE(DecodeChunk(start, blob, start + 1, start + 3599, some).ok());
    EXPECT_EQ(some, (std::vector<Sample>{{start + 60, -2.25}}));
}

TEST(SampleChunk, RejectsACorruptBlob) {
    std::vector<Sample> out;
    Status s = DecodeChunk(0, std::string(13, 'x'), INT64_MIN, INT64_MAX, out);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kInternal);
}

TEST(SampleChunk, MergeReplacesEqualTimestampsAndKeepsOrder) {
    const std::vector<Sample> existing = {{10, 1}, {20, 2}, {30, 3}};
    const std::vector<Sample> updates = {{5, 0}, {20, 20}, {40, 4}};
    EXPECT_EQ(MergeSamples(existing, updates), (std::vector<Sample>{{5, 0}, {10, 1}, {20, 20}, {30, 3}, {40, 4}}));
    EXPECT_EQ(MergeSamples({}, updates), updates);
    EXPECT_EQ(MergeSamples(existing, {}), existing);
}

}  // namespace
}  // namespace cloudopt
