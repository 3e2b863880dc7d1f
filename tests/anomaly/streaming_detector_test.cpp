// The streaming detector: what it flags, what it stays quiet on, that it never looks ahead, and what it scores on
// the NAB dev half next to a published detector scored by the same scorer.

#include "anomaly/streaming_detector.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "anomaly/nab_corpus.hpp"
#include "anomaly/nab_test_data.hpp"

namespace cloudopt {
namespace {

std::vector<double> NoisyDaily(std::size_t points, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<double> values;
    for (std::size_t i = 0; i < points; ++i) {
        values.push_back(50.0 + 20.0 * std::sin(2.0 * M_PI * static_cast<double>(i) / 288.0) + noise(rng));
    }
    return values;
}

std::size_t ArgMax(const std::vector<double>& v, std::size_t from) {
    return static_cast<std::size_t>(std::max_element(v.begin() + static_cast<std::ptrdiff_t>(from), v.end()) -
                                    v.begin());
}

TEST(StreamingDetector, ScoresStayInTheUnitIntervalAndAFlatSeriesScoresZero) {
    const std::vector<double> flat(2000, 7.0);
    for (const double score : DetectAnomalies(flat)) EXPECT_EQ(score, 0.0);
    for (const double score : DetectAnomalies(NoisyDaily(3000, 1))) {
        EXPECT_GE(score, 0.0);
        EXPECT_LE(score, 1.0);
    }
}

TEST(StreamingDetector, FlagsANewPeakADropAndANewLevelAtTheirFirstPoint) {
    for (const double injected : {120.0, -40.0, 85.0}) {
        SCOPED_TRACE(injected);
        std::vector<double> values = NoisyDaily(3000, 2);
        for (std::size_t i = 2500; i < 2600; ++i) values[i] = injected + (i % 2);  // an incident 100 points long
        const std::vector<double> scores = DetectAnomalies(values);
        EXPECT_EQ(ArgMax(scores, 300), 2500u);
        EXPECT_GT(scores[2500], 0.5);
        // The rest of the incident raises no second alarm.
        for (std::size_t i = 2502; i < 2600; ++i) EXPECT_LT(scores[i], 0.05) << i;
    }
}

TEST(StreamingDetector, NeverLooksAhead) {
    const std::vector<double> values = NoisyDaily(2000, 3);
    std::vector<double> changed = values;
    for (std::size_t i = 1500; i < changed.size(); ++i) changed[i] = 1000.0;
    const std::vector<double> a = DetectAnomalies(values);
    const std::vector<double> b = DetectAnomalies(changed);
    for (std::size_t i = 0; i < 1500; ++i) ASSERT_EQ(a[i], b[i]) << i;
    EXPECT_GT(b[1500], a[1500]);
}

TEST(StreamingDetector, ForgetsBeyondItsMemory) {
    // A value seen once long ago is new again once it has left the memory (the range still remembers it).
    DetectorSettings settings;
    settings.memory = 500;
    std::vector<double> values = NoisyDaily(3000, 4);
    values[400] = 95.0;
    values[2900] = 95.0;
    const std::vector<double> scores = DetectAnomalies(values, settings);
    EXPECT_GT(scores[2900], 0.05);
    settings.memory = 4000;
    EXPECT_LT(DetectAnomalies(values, settings)[2900], scores[2900]);
}

TEST(StreamingDetector, SkipsValuesThatAreNotNumbers) {
    StreamingDetector detector;
    for (int i = 0; i < 200; ++i) (void)detector.Update(i % 10);
    EXPECT_EQ(detector.Update(std::nan("")), 0.0);
    EXPECT_GT(detector.Update(100.0), 0.9);
}

// The whole dev half (29 files, ~184,000 points) scored with NAB's rules; the numenta HTM detector's published
// results on the same files, through the same scorer, are the bar (docs/ANOMALY.md has the full table).
TEST(StreamingDetector, BeatsNumentaHtmOnTheNabDevHalfInEveryProfile) {
    using testing::NabDir;
    if (!std::filesystem::exists(NabDir() / "data")) GTEST_SKIP() << "the NAB dev half is not at " << NabDir();
    Result<NabLabels> labels = ReadNabLabels(NabDir() / "labels" / "combined_windows.json");
    ASSERT_TRUE(labels.ok());
    Result<std::vector<NabSeries>> data = ReadNabData(NabDir() / "data");
    ASSERT_TRUE(data.ok()) << data.error().message;
    std::vector<std::vector<double>> ours;
    for (const NabSeries& file : *data) ours.push_back(DetectAnomalies(file.values));
    Result<std::array<NabProfileScore, 3>> our_scores = ScoreNabCorpus(*data, ours, *labels);
    ASSERT_TRUE(our_scores.ok()) << our_scores.error().message;

    Result<std::vector<NabSeries>> htm = ReadNabData(NabDir() / "reference" / "numenta");
    ASSERT_TRUE(htm.ok());
    std::vector<std::vector<double>> htm_scores;
    for (const NabSeries& file : *htm) {
        htm_scores.push_back(
            testing::ReadResultColumns(NabDir() / "reference" / "numenta" / file.relative_path).at("anomaly_score"));
    }
    Result<std::array<NabProfileScore, 3>> htm_result = ScoreNabCorpus(*htm, htm_scores, *labels);
    ASSERT_TRUE(htm_result.ok());
    for (std::size_t profile_idx = 0; profile_idx < 3; ++profile_idx) {
        SCOPED_TRACE(std::string(kNabProfiles[profile_idx].name));
        EXPECT_GT((*our_scores)[profile_idx].normalized, (*htm_result)[profile_idx].normalized);
        EXPECT_LT((*our_scores)[profile_idx].normalized, 100.0);
    }
}

}  // namespace
}  // namespace cloudopt
