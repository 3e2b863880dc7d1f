// The remote-write decoder: round trips, the specification's rules (sorted unique labels, __name__, time order),
// stale markers, and hostile bodies (not Snappy, not protobuf, decompression bombs).

#include "monitor/remote_write.hpp"

#include <gtest/gtest.h>
#include <snappy.h>

#include <bit>
#include <cmath>
#include <limits>

namespace cloudopt::monitor {
namespace {

RemoteWriteSeries Series(std::map<std::string, std::string> labels, std::vector<Sample> samples) {
    return {std::move(labels), std::move(samples)};
}

TEST(RemoteWrite, DecodesWhatPrometheusSends) {
    const std::string body = EncodeRemoteWrite(
        {Series({{"__name__", "cpu_cores"}, {"cloudopt_resource", "web"}, {"pod", "web-1"}}, {{1000, 1.5}, {1060, 2.5}}),
         Series({{"__name__", "up"}}, {{1000, 1}})});
    auto decoded = DecodeRemoteWrite(body);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    ASSERT_EQ(decoded->size(), 2u);
    EXPECT_EQ((*decoded)[0].labels.at("cloudopt_resource"), "web");
    EXPECT_EQ((*decoded)[0].samples, (std::vector<Sample>{{1000, 1.5}, {1060, 2.5}}));
    EXPECT_EQ((*decoded)[1].labels.at("__name__"), "up");
}

TEST(RemoteWrite, MillisecondsBecomeSecondsAndStaleMarkersAreDropped) {
    const double stale = std::bit_cast<double>(0x7ff0000000000002ULL);
    ASSERT_TRUE(std::isnan(stale));
    const std::string body = EncodeRemoteWrite({Series({{"__name__", "load"}}, {{0, 1.0}, {0, stale}, {0, 3.0}})},
                                               {1700000000123, 1700000001000, 1700000002999});
    auto decoded = DecodeRemoteWrite(body);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ((*decoded)[0].samples, (std::vector<Sample>{{1700000000, 1.0}, {1700000002, 3.0}}));
}

TEST(RemoteWrite, RefusesWhatTheSpecificationForbids) {
    struct Case {
        std::string body;
        std::string fragment;
    };
    const std::vector<Case> cases = {
        {"definitely not snappy", "Snappy"},
        {std::string("\xff\xff\xff\xff\xff\xff", 6), "not Snappy block-compressed"},
        {EncodeRemoteWrite({Series({{"job", "x"}}, {{1, 1}})}), "no __name__"},
        {EncodeRemoteWrite({Series({{"__name__", "9lives"}}, {{1, 1}})}), "metric name '9lives'"},
        {EncodeRemoteWrite({Series({{"__name__", "x"}, {"bad-label", "v"}}, {{1, 1}})}), "label name 'bad-label'"},
        {EncodeRemoteWrite({Series({{"__name__", "x"}, {"empty", ""}}, {{1, 1}})}), "empty value"},
        {EncodeRemoteWrite({Series({{"__name__", "x"}}, {{2, 1}, {1, 1}})}), "out of time order"},
    };
    for (const Case& c : cases) {
        auto r = DecodeRemoteWrite(c.body);
        ASSERT_FALSE(r.ok()) << c.fragment;
        EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
        EXPECT_NE(r.error().message.find(c.fragment), std::string::npos) << r.error().message;
    }
    // Valid Snappy around bytes that are not a WriteRequest.
    std::string not_protobuf;
    snappy::Compress("\xff\xff\xff\xff", 4, &not_protobuf);
    EXPECT_NE(DecodeRemoteWrite(not_protobuf).error().message.find("not a protobuf"), std::string::npos);
}

TEST(RemoteWrite, ADecompressionBombStopsBeforeItInflates) {
    const std::string zeros(1 << 20, '\0');
    std::string bomb;
    snappy::Compress(zeros.data(), zeros.size(), &bomb);
    ASSERT_LT(bomb.size(), 100000u);
    RemoteWriteLimits limits;
    limits.max_uncompressed_bytes = 64 * 1024;
    auto r = DecodeRemoteWrite(bomb, limits);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("more than the limit"), std::string::npos);
    limits.max_uncompressed_bytes = 1 << 21;
    limits.max_samples = 1;
    auto many = DecodeRemoteWrite(EncodeRemoteWrite({Series({{"__name__", "x"}}, {{1, 1}, {2, 2}})}), limits);
    ASSERT_FALSE(many.ok());
    EXPECT_NE(many.error().message.find("more than 1 samples"), std::string::npos);
}

}  // namespace
}  // namespace cloudopt::monitor
