// cloudopt's NAB scorer against NAB's own numbers (../shared/data/nab/reference): the optimized thresholds, raw
// and normalized scores and row counts of two published detectors on the dev half, and NAB's per-row S(t) columns.

#include "anomaly/nab_scorer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "anomaly/nab_corpus.hpp"
#include "anomaly/nab_test_data.hpp"

namespace cloudopt {
namespace {

using testing::NabDir;
using testing::ReadResultColumns;

TEST(NabScorer, ScaledSigmoidAndProbationAreNabs) {
    EXPECT_NEAR(NabScaledSigmoid(-1.0), 0.98661, 1e-5);  // the first row of a window
    EXPECT_NEAR(NabScaledSigmoid(-0.5), 0.84828, 1e-5);
    EXPECT_DOUBLE_EQ(NabScaledSigmoid(0.0), 0.0);
    EXPECT_NEAR(NabScaledSigmoid(1.0), -0.98661, 1e-5);
    EXPECT_DOUBLE_EQ(NabScaledSigmoid(3.5), -1.0);
    EXPECT_EQ(NabProbationaryRows(4032), 604u);   // floor(0.15 x rows)
    EXPECT_EQ(NabProbationaryRows(22695), 750u);  // at most 750
    EXPECT_EQ(NormalizeNabTimestamp("2014-10-30 15:30:00.000000"), "2014-10-30 15:30:00");
    EXPECT_EQ(NormalizeNabTimestamp("2014-10-30 15:30:00.5"), "2014-10-30 15:30:00.5");
}

std::vector<std::string> Stamps(std::size_t rows) {
    std::vector<std::string> out;
    for (std::size_t row = 0; row < rows; ++row) out.push_back("t" + std::to_string(row));
    return out;
}

TEST(NabScorer, EarliestAlarmInAWindowCountsAndFalseAlarmsCost) {
    // 100 rows: probation 15, one window over rows 40..49.
    const std::vector<std::string> stamps = Stamps(100);
    const std::vector<NabWindow> windows = {{"t40", "t49"}};
    Result<NabFileLayout> layout = LayOutNabFile(stamps, windows);
    ASSERT_TRUE(layout.ok());
    const NabProfile& standard = kNabProfiles[0];
    EXPECT_DOUBLE_EQ(layout->SweepScore(40, standard), 1.0);    // first row: the full TP weight
    EXPECT_LT(layout->SweepScore(49, standard), 0.3);           // last row: little
    EXPECT_DOUBLE_EQ(layout->SweepScore(20, standard), -0.11);  // before any window: the full FP weight
    EXPECT_GT(layout->SweepScore(50, standard), -0.04);         // just after the window: a third of the cost

    std::vector<double> scores(100, 0.0);
    scores[45] = 0.9;   // detection in the middle of the window
    scores[47] = 0.95;  // a later, higher one adds nothing
    scores[5] = 1.0;    // in the probation: never counted
    scores[80] = 0.9;   // a false alarm far after the window
    NabCorpusScorer scorer;
    ASSERT_TRUE(scorer.Add(*layout, scores).ok());
    const NabProfileScore at = scorer.ScoreAt(standard, 0.9);
    EXPECT_NEAR(at.raw, layout->SweepScore(45, standard) + layout->SweepScore(80, standard), 1e-12);
    EXPECT_EQ(at.counts.tp, 2u);
    EXPECT_EQ(at.counts.fp, 1u);
    const NabProfileScore best = scorer.Optimize(standard);
    // 0.95 keeps the late detection without the false alarm; 0.9 adds an earlier one worth more than the alarm.
    EXPECT_NEAR(best.raw, std::max(scorer.ScoreAt(standard, 0.95).raw, at.raw), 1e-12);
    EXPECT_EQ(best.null_raw, -1.0);
    EXPECT_EQ(best.perfect_raw, 1.0);
    const std::vector<double> contributions = NabContributionsAtThreshold(*layout, scores, standard, 0.9);
    double sum = 0.0;
    for (double c : contributions) sum += c;
    EXPECT_NEAR(sum, at.raw, 1e-12);
    EXPECT_NEAR(contributions[40], layout->SweepScore(45, standard), 1e-12);  // on the window's first row
}

TEST(NabScorer, RejectsWindowsAndScoresThatDoNotFit) {
    const std::vector<std::string> stamps = Stamps(50);
    EXPECT_FALSE(LayOutNabFile(stamps, std::vector<NabWindow>{{"t10", "nope"}}).ok());
    EXPECT_FALSE(LayOutNabFile(stamps, std::vector<NabWindow>{{"t20", "t10"}}).ok());
    EXPECT_FALSE(LayOutNabFile(stamps, std::vector<NabWindow>{{"t10", "t20"}, {"t15", "t30"}}).ok());
    Result<NabFileLayout> layout = LayOutNabFile(stamps, std::vector<NabWindow>{});
    ASSERT_TRUE(layout.ok());
    NabCorpusScorer scorer;
    EXPECT_FALSE(scorer.Add(*layout, std::vector<double>(49, 0.0)).ok());
    std::vector<double> nan_scores(50, 0.0);
    nan_scores[3] = std::nan("");
    EXPECT_FALSE(scorer.Add(*layout, nan_scores).ok());
}

// The reference: both detectors' result files, scored on the dev half's labels.
class NabReference : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!std::filesystem::exists(NabDir() / "reference" / "scores.json")) {
            GTEST_SKIP() << "the NAB dev half is not at " << NabDir();
        }
        Result<NabLabels> read = ReadNabLabels(NabDir() / "labels" / "combined_windows.json");
        ASSERT_TRUE(read.ok()) << read.error().message;
        labels_ = std::move(read).value();
        Result<std::string> text = ReadTextFile(NabDir() / "reference" / "scores.json");
        ASSERT_TRUE(text.ok());
        reference_ = nlohmann::json::parse(*text);
    }

    NabLabels labels_;
    nlohmann::json reference_;
};

TEST_F(NabReference, ReproducesTheOptimizedScoresOfBothDetectorsOnTheDevHalf) {
    const nlohmann::json& half = reference_["dev_half"];
    for (const std::string detector : {"numenta", "ARTime"}) {
        SCOPED_TRACE(detector);
        Result<std::vector<NabSeries>> files = ReadNabData(NabDir() / "reference" / detector);
        ASSERT_TRUE(files.ok()) << files.error().message;
        ASSERT_EQ(files->size(), 29u);
        NabCorpusScorer scorer;
        for (const NabSeries& file : *files) {
            const auto columns = ReadResultColumns(NabDir() / "reference" / detector / file.relative_path);
            Result<std::vector<NabWindow>> windows = WindowsFor(labels_, file.relative_path);
            ASSERT_TRUE(windows.ok()) << windows.error().message;
            Result<NabFileLayout> layout = LayOutNabFile(file.timestamps, *windows);
            ASSERT_TRUE(layout.ok()) << layout.error().message;
            ASSERT_TRUE(scorer.Add(*layout, columns.at("anomaly_score")).ok());
        }
        EXPECT_EQ(scorer.windows(), 59u);
        for (const NabProfile& profile : kNabProfiles) {
            SCOPED_TRACE(std::string(profile.name));
            const nlohmann::json& expected = half["detectors"][detector][std::string(profile.name)];
            const NabProfileScore got = scorer.Optimize(profile);
            EXPECT_NEAR(got.normalized, expected["score"].get<double>(), 0.01);
            EXPECT_NEAR(got.raw, expected["raw"].get<double>(), 1e-6);
            EXPECT_NEAR(got.threshold, expected["threshold"].get<double>(), 1e-9);
            EXPECT_EQ(got.counts.tp, expected["tp_rows"].get<std::size_t>());
            EXPECT_EQ(got.counts.fp, expected["fp_rows"].get<std::size_t>());
            EXPECT_EQ(got.counts.fn, expected["fn_rows"].get<std::size_t>());
            EXPECT_EQ(got.counts.tn, expected["tn_rows"].get<std::size_t>());
            EXPECT_DOUBLE_EQ(got.null_raw, half["null_raw"][std::string(profile.name)].get<double>());
            EXPECT_NEAR(got.perfect_raw, half["perfect_raw"][std::string(profile.name)].get<double>(), 1e-9);
            // The optimized threshold scored directly gives the same result.
            EXPECT_NEAR(scorer.ScoreAt(profile, got.threshold).raw, got.raw, 1e-9);
        }
    }
}

// NAB wrote two kinds of per-row S(t): ARTime's results carry every row's sweep score (current NAB), the
// numenta detector's the contributions at its published threshold (NAB v1.0: each window's value on its first row).
TEST_F(NabReference, ReproducesNabsPerRowScoresOfEveryFile) {
    const nlohmann::json& thresholds = reference_["published_full_corpus_thresholds"];
    std::size_t rows_checked = 0;
    for (const std::string detector : {"numenta", "ARTime"}) {
        SCOPED_TRACE(detector);
        Result<std::vector<NabSeries>> files = ReadNabData(NabDir() / "reference" / detector);
        ASSERT_TRUE(files.ok()) << files.error().message;
        for (const NabSeries& file : *files) {
            SCOPED_TRACE(file.relative_path);
            const auto columns = ReadResultColumns(NabDir() / "reference" / detector / file.relative_path);
            Result<NabFileLayout> layout = LayOutNabFile(file.timestamps, *WindowsFor(labels_, file.relative_path));
            ASSERT_TRUE(layout.ok()) << layout.error().message;
            for (const NabProfile& profile : kNabProfiles) {
                const std::vector<double>& expected = columns.at("S(t)_" + std::string(profile.name));
                const std::vector<double> got =
                    detector == "ARTime" ? NabSweepScores(*layout, profile)
                                         : NabContributionsAtThreshold(*layout, columns.at("anomaly_score"), profile,
                                                                       thresholds[detector][std::string(profile.name)]);
                ASSERT_EQ(got.size(), expected.size());
                std::size_t mismatches = 0;
                for (std::size_t row = 0; row < got.size(); ++row) {
                    if (std::abs(got[row] - expected[row]) > 1e-9) ++mismatches;
                }
                EXPECT_EQ(mismatches, 0u) << profile.name;
                rows_checked += got.size();
            }
        }
    }
    EXPECT_GT(rows_checked, 1'000'000u);
}

}  // namespace
}  // namespace cloudopt
