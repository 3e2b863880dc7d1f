#include "api/rendered_buckets.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "core/time.hpp"

namespace cloudopt::api {
namespace {

// A series in memory standing in for the store: Compute downsamples it exactly as Store::QueryDownsampled does.
struct FakeSeries {
    std::map<UnixSeconds, double> samples;
    std::vector<std::pair<UnixSeconds, UnixSeconds>> computed;  // every range the cache asked for

    RenderedBuckets::Compute Computer(UnixSeconds step, Aggregation agg) {
        return [this, step, agg](UnixSeconds from, UnixSeconds to) -> Result<std::vector<Sample>> {
            computed.emplace_back(from, to);
            return Downsample(Raw(FloorTo(from, step), to), step, agg);
        };
    }
    std::vector<Sample> Raw(UnixSeconds from, UnixSeconds to) const {
        std::vector<Sample> out;
        for (auto it = samples.lower_bound(from); it != samples.end() && it->first < to; ++it)
            out.push_back({it->first, it->second});
        return out;
    }
    // What GET /api/metrics must answer: every bucket rendered afresh.
    std::string Expected(UnixSeconds from, UnixSeconds to, UnixSeconds step, Aggregation agg) const {
        std::string text = "[";
        for (const Sample& s : Downsample(Raw(FloorTo(from, step), to), step, agg)) AppendSampleItem(text, s);
        if (text.back() == ',')
            text.back() = ']';
        else
            text += ']';
        return text;
    }
};

std::string Render(RenderedBuckets& cache, FakeSeries& series, const SeriesKey& key, UnixSeconds step, Aggregation agg,
                   UnixSeconds from, UnixSeconds to) {
    std::string out;
    EXPECT_TRUE(cache.Render(key, step, agg, from, to, series.Computer(step, agg), out));
    return out;
}

const SeriesKey kCpu{1, "cpu"};

TEST(RenderedBuckets, AnswersLikeAFreshComputationWhateverTheWritesAndWindows) {
    // Random windows, steps and aggregations, with writes anywhere in time (late data too), each followed by the
    // store's notification: every answer must equal rendering afresh.
    std::mt19937 rng(7);
    FakeSeries series;
    for (UnixSeconds t = 0; t < 20000; t += 60) series.samples[t] = static_cast<double>(t % 977) / 7.0;
    RenderedBuckets cache(1 << 20);
    const UnixSeconds steps[] = {60, 300, 3600};
    const Aggregation aggs[] = {Aggregation::kAvg, Aggregation::kMax, Aggregation::kP95};
    int hits = 0;
    for (int round = 0; round < 3000; ++round) {
        if (rng() % 4 == 0) {
            // A write: mostly at the end of the series, sometimes in the past.
            const UnixSeconds ts =
                rng() % 3 ? 19000 + static_cast<UnixSeconds>(rng() % 3000) : static_cast<UnixSeconds>(rng() % 20000);
            series.samples[ts] = static_cast<double>(rng() % 1000) / 3.0;
            cache.Invalidate(kCpu, ts);
        }
        const UnixSeconds step = steps[rng() % 3];
        const Aggregation agg = aggs[rng() % 3];
        const UnixSeconds from = static_cast<UnixSeconds>(rng() % 15000);
        const UnixSeconds to = from + 1 + static_cast<UnixSeconds>(rng() % 8000);
        series.computed.clear();
        ASSERT_EQ(Render(cache, series, kCpu, step, agg, from, to), series.Expected(from, to, step, agg))
            << "round " << round << " step " << step << " from " << from << " to " << to;
        ASSERT_EQ(series.computed.size(), 1u);
        hits += series.computed[0].first > FloorTo(from, step);
    }
    EXPECT_GT(hits, 300);  // the cache did answer part of the queries
    EXPECT_LE(cache.bytes(), 1u << 20);
}

TEST(RenderedBuckets, ASecondQueryComputesOnlyTheIncompleteLastBucket) {
    FakeSeries series;
    for (UnixSeconds t = 0; t < 86400; t += 60) series.samples[t] = static_cast<double>(t) / 60.0 + 0.1;
    RenderedBuckets cache(1 << 20);
    const std::string first = Render(cache, series, kCpu, 300, Aggregation::kAvg, 512, 86390);
    ASSERT_EQ(series.computed.back(), std::make_pair(UnixSeconds{300}, UnixSeconds{86390}));
    std::string second;
    RenderedBuckets::Counts counts;
    ASSERT_TRUE(cache.Render(kCpu, 300, Aggregation::kAvg, 512, 86390, series.Computer(300, Aggregation::kAvg), second,
                             &counts));
    EXPECT_EQ(second, first);
    EXPECT_EQ(series.computed.back(), std::make_pair(UnixSeconds{86100}, UnixSeconds{86390}));
    EXPECT_EQ(counts.cached, 286u);  // buckets 300 .. 85800
    EXPECT_EQ(counts.computed, 1u);  // 86100, incomplete
    // A later window reuses the overlap and computes the new buckets only.
    Render(cache, series, kCpu, 300, Aggregation::kAvg, 3000, 86400);
    EXPECT_EQ(series.computed.back(), std::make_pair(UnixSeconds{86100}, UnixSeconds{86400}));
    // Other steps and aggregations are separate.
    Render(cache, series, kCpu, 300, Aggregation::kMax, 3000, 86400);
    EXPECT_EQ(series.computed.back(), std::make_pair(UnixSeconds{3000}, UnixSeconds{86400}));
}

TEST(RenderedBuckets, AWriteInThePastRecomputesFromItsBucketOn) {
    FakeSeries series;
    for (UnixSeconds t = 0; t < 36000; t += 60) series.samples[t] = 1.0;
    RenderedBuckets cache(1 << 20);
    Render(cache, series, kCpu, 600, Aggregation::kMax, 0, 36000);
    series.samples[12345] = 50.0;
    cache.Invalidate(kCpu, 12345);
    const std::string after = Render(cache, series, kCpu, 600, Aggregation::kMax, 0, 36000);
    EXPECT_EQ(series.computed.back(), std::make_pair(UnixSeconds{12000}, UnixSeconds{36000}));
    EXPECT_NE(after.find("[12000,50.0]"), std::string::npos);
    EXPECT_EQ(after, series.Expected(0, 36000, 600, Aggregation::kMax));
}

TEST(RenderedBuckets, OtherSeriesAndDeletedResourcesAreKeptApart) {
    FakeSeries cpu, rps;
    for (UnixSeconds t = 0; t < 7200; t += 60) {
        cpu.samples[t] = 2.0;
        rps.samples[t] = 300.0;
    }
    const SeriesKey rps_key{1, "rps"};
    RenderedBuckets cache(1 << 20);
    Render(cache, cpu, kCpu, 600, Aggregation::kAvg, 0, 7200);
    Render(cache, rps, rps_key, 600, Aggregation::kAvg, 0, 7200);
    cache.Invalidate(rps_key, 0);  // rps only
    Render(cache, cpu, kCpu, 600, Aggregation::kAvg, 0, 7200);
    EXPECT_EQ(cpu.computed.back().first, 7200);
    Render(cache, rps, rps_key, 600, Aggregation::kAvg, 0, 7200);
    EXPECT_EQ(rps.computed.back().first, 0);
    cache.Invalidate(SeriesKey{1, ""}, INT64_MIN);  // the resource was deleted: every metric goes
    EXPECT_EQ(cache.entries(), 0u);
    EXPECT_EQ(cache.bytes(), 0u);
}

TEST(RenderedBuckets, EverySeriesGoesWhenAnotherReplicasChangesWereLost) {
    FakeSeries cpu, other;
    for (UnixSeconds t = 0; t < 7200; t += 60) {
        cpu.samples[t] = 2.0;
        other.samples[t] = 5.0;
    }
    const SeriesKey other_key{7, "rps"};
    RenderedBuckets cache(1 << 20);
    Render(cache, cpu, kCpu, 600, Aggregation::kAvg, 0, 7200);
    Render(cache, other, other_key, 600, Aggregation::kAvg, 0, 7200);
    ASSERT_EQ(cache.entries(), 2u);
    cache.Invalidate(SeriesKey{0, ""}, INT64_MIN);  // resource 0 with no metric: every series
    EXPECT_EQ(cache.entries(), 0u);
    EXPECT_EQ(cache.bytes(), 0u);
    cpu.samples[0] = 100.0;  // written elsewhere meanwhile: the next answer is computed afresh
    EXPECT_EQ(Render(cache, cpu, kCpu, 600, Aggregation::kAvg, 0, 7200), cpu.Expected(0, 7200, 600, Aggregation::kAvg));
    EXPECT_EQ(cpu.computed.back().first, 0);
}

TEST(RenderedBuckets, WhatWasReadBeforeAConcurrentWriteIsNotKept) {
    // The write commits (and notifies) while the query reads storage: the query's answer is from before the
    // write, which is fine for it, but must not be served to the next query.
    FakeSeries series;
    for (UnixSeconds t = 0; t < 7200; t += 60) series.samples[t] = 1.0;
    RenderedBuckets cache(1 << 20);
    std::string out;
    bool wrote = false;
    const auto racing = [&](UnixSeconds from, UnixSeconds to) -> Result<std::vector<Sample>> {
        auto before = Downsample(series.Raw(from, to), 600, Aggregation::kMax);
        series.samples[60] = 9.0;
        cache.Invalidate(kCpu, 60);
        wrote = true;
        return before;
    };
    ASSERT_TRUE(cache.Render(kCpu, 600, Aggregation::kMax, 0, 7200, racing, out));
    ASSERT_TRUE(wrote);
    EXPECT_EQ(out.find("[0,9.0]"), std::string::npos);
    EXPECT_EQ(Render(cache, series, kCpu, 600, Aggregation::kMax, 0, 7200),
              series.Expected(0, 7200, 600, Aggregation::kMax));
    EXPECT_EQ(series.computed.back().first, 0);
}

TEST(RenderedBuckets, StaysWithinItsBudget) {
    RenderedBuckets cache(64 << 10);
    FakeSeries series;
    for (UnixSeconds t = 0; t < 86400; t += 60) series.samples[t] = static_cast<double>(t) / 7.0;
    for (ResourceId id = 1; id <= 100; ++id) {
        Render(cache, series, SeriesKey{id, "cpu"}, 300, Aggregation::kAvg, 0, 86400);
        EXPECT_LE(cache.bytes(), 64u << 10);
    }
    EXPECT_GT(cache.entries(), 3u);
    EXPECT_LT(cache.entries(), 100u);
}

TEST(RenderedBuckets, AFailedComputationAppendsNothing) {
    RenderedBuckets cache(1 << 20);
    std::string out = "{\"points\":";
    const auto failing = [](UnixSeconds, UnixSeconds) -> Result<std::vector<Sample>> {
        return MakeError(ErrorCode::kInternal, "disk on fire");
    };
    EXPECT_FALSE(cache.Render(kCpu, 60, Aggregation::kAvg, 0, 600, failing, out));
    EXPECT_EQ(out, "{\"points\":");
}

}  // namespace
}  // namespace cloudopt::api
