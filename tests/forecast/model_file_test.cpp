// The model file: every kind of trained model (a statistical one, an LSTM, auto's combination with the LSTM in
// it) comes back from its bytes forecasting exactly as before, and damaged bytes are refused with a reason.

#include "forecast/model_file.hpp"

#include "forecast/band_tracker.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <random>

namespace cloudopt {
namespace {

RegularSeries Periodic(int days) {
    std::mt19937 rng(3);
    std::normal_distribution<double> gauss(0.0, 1.5);
    RegularSeries s;
    s.start = 1'700'006'400;
    s.step = 300;
    for (int i = 0; i < days * 288; ++i) s.values.push_back(30 + 10 * std::sin(2 * M_PI * (i % 288) / 288) + gauss(rng));
    return s;
}

ModelOptions Quick() {
    ModelOptions o;
    o.lstm.hidden = 8;
    o.lstm.window = 12;
    o.lstm.train.epochs = 1;
    o.auto_includes_lstm = true;
    return o;
}

// A model file the fuzzer starts from (tests/fuzz/seeds/model_file): files as earlier versions wrote them.
std::string FuzzSeed(const std::string& name) {
    std::ifstream in(std::string(CLOUDOPT_REPO_DIR) + "/tests/fuzz/seeds/model_file/" + name, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(ModelFile, EveryModelKindRoundTripsToTheSameForecast) {
    const RegularSeries s = Periodic(3);
    std::vector<NamedModel> models;
    for (const char* name : {"holt_winters", "lstm", "auto", "seasonal_naive", "linear"}) {
        auto trained = TrainModel(name, s, 4, Quick());
        ASSERT_TRUE(trained.ok()) << name << ": " << trained.error().message;
        models.push_back({name, std::move(*trained)});
    }
    const std::string bytes = SaveModels(models);
    auto loaded = LoadModels(bytes, Quick());
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    ASSERT_EQ(loaded->size(), models.size());
    for (std::size_t i = 0; i < models.size(); ++i) {
        const TrainedModel& a = models[i].trained;
        const TrainedModel& b = (*loaded)[i].trained;
        EXPECT_EQ((*loaded)[i].series, models[i].series);
        EXPECT_EQ(b.chosen, a.chosen);
        EXPECT_EQ(b.bands.q90, a.bands.q90);
        EXPECT_EQ(b.bands.q99, a.bands.q99);
        EXPECT_EQ(b.bands.mae, a.bands.mae);
        auto fa = ForecastWith(a, s, 4);
        auto fb = ForecastWith(b, s, 4);
        ASSERT_TRUE(fa.ok() && fb.ok());
        for (std::size_t k = 0; k < 4; ++k) {
            EXPECT_DOUBLE_EQ(fb->points[k].p50, fa->points[k].p50) << models[i].series << " step " << k;
            EXPECT_DOUBLE_EQ(fb->points[k].p95, fa->points[k].p95) << models[i].series << " step " << k;
            EXPECT_DOUBLE_EQ(fb->points[k].p99, fa->points[k].p99) << models[i].series << " step " << k;
            EXPECT_GE(fb->points[k].p99, fb->points[k].p95) << models[i].series << " step " << k;
        }
    }
}

TEST(TrainedModel, TheLstmReadsTheCalendarOfTheWindowItForecastsNotOfItsTraining) {
    // The service forecasts from a sliding history window: the LSTM must take the window's own start time.
    const RegularSeries s = Periodic(3);
    auto trained = TrainModel("lstm", s, 4, Quick());
    ASSERT_TRUE(trained.ok()) << trained.error().message;
    RegularSeries week_later = s, six_hours_later = s;
    week_later.start += 7 * 86400;     // the same hour of the same weekday: the same calendar inputs
    six_hours_later.start += 6 * 3600;
    auto base = ForecastWith(*trained, s, 4);
    auto same = ForecastWith(*trained, week_later, 4);
    auto shifted = ForecastWith(*trained, six_hours_later, 4);
    ASSERT_TRUE(base.ok() && same.ok() && shifted.ok());
    EXPECT_DOUBLE_EQ(same->points[0].p50, base->points[0].p50);
    EXPECT_NE(shifted->points[0].p50, base->points[0].p50);
}

TEST(ModelFile, FilesWrittenBeforeBandTrackingStillLoadAndTheirBandsStillMove) {
    // A v1 file (no per-step error scale), as `cloudopt train --out` wrote it before format v2.
    const std::string bytes = FuzzSeed("holt_winters.bin");
    ASSERT_EQ(bytes.substr(0, 8), "COMODEL1");
    auto loaded = LoadModels(bytes);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    ASSERT_EQ(loaded->size(), 1u);
    const TrainedModel& t = (*loaded)[0].trained;
    EXPECT_TRUE(t.bands.mae.empty());
    // Without a saved scale the tracker moves by the band's own width: errors far above it widen it.
    std::mt19937 rng(9);
    std::uniform_real_distribution<double> wild(0.0, 1000.0);
    RegularSeries s{t.context.start, t.context.step, std::vector<double>(200, 0.0), {}};
    for (double& v : s.values) v = wild(rng);
    const Calibration tracked = TrackTrainedModel(t, s, 100).bands;
    EXPECT_GT(tracked.q95[0], t.bands.q95[0]);
    // Saved again it is a v5 file with the scale that was used.
    const std::string again = SaveModels(*loaded);
    EXPECT_EQ(again.substr(0, 8), "COMODEL5");
    auto reloaded = LoadModels(again);
    ASSERT_TRUE(reloaded.ok()) << reloaded.error().message;
    EXPECT_EQ((*reloaded)[0].trained.bands.mae.size(), t.bands.q90.size());
}

TEST(ModelFile, FilesWrittenBeforeBandsByLevelStillLoadAndSaveAsV5) {
    // A v4 file with bands by the minute of the hour, as the service stored models before format v5.
    auto v4 = LoadModels(FuzzSeed("phase_bands_v4.bin"));
    ASSERT_TRUE(v4.ok()) << v4.error().message;
    const PhaseBands& phase = (*v4)[0].trained.bands.phase;
    EXPECT_TRUE(phase.active());
    EXPECT_FALSE(phase.by_level());
    const std::string again = SaveModels(*v4);
    EXPECT_EQ(again.substr(0, 8), "COMODEL5");
    auto reloaded = LoadModels(again);
    ASSERT_TRUE(reloaded.ok()) << reloaded.error().message;
    EXPECT_EQ((*reloaded)[0].trained.bands.phase, phase);
    // The v5 seed: `cloudopt train --model naive` on a load that idles and runs pegged by turns.
    auto v5 = LoadModels(FuzzSeed("level_bands_v5.bin"));
    ASSERT_TRUE(v5.ok()) << v5.error().message;
    EXPECT_EQ((*v5)[0].trained.bands.phase.Describe(), "forecast level");
}

TEST(ModelFile, FilesWrittenBeforeP99BandsGetOnePlacedAsNormalErrorsWouldPlaceIt) {
    // A v3 file with bands by the minute of the hour (the fuzzer's seed), written before p99 bands existed.
    const std::string bytes = FuzzSeed("phase_bands.bin");
    ASSERT_EQ(bytes.substr(0, 8), "COMODEL3");
    auto loaded = LoadModels(bytes);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    const Calibration& bands = (*loaded)[0].trained.bands;
    ASSERT_TRUE(bands.phase.active());
    ASSERT_EQ(bands.q99.size(), bands.q95.size());
    ASSERT_EQ(bands.phase.q99.size(), bands.phase.q95.size());
    // (z99 - z95) / (z95 - z90) of a normal distribution: 1.876.
    for (std::size_t k = 0; k < bands.q95.size(); ++k)
        EXPECT_NEAR(bands.q99[k], bands.q95[k] + 1.876 * (bands.q95[k] - bands.q90[k]), 1e-9);
    bool wider_somewhere = false;
    for (std::size_t i = 0; i < bands.phase.q95.size(); ++i) {
        EXPECT_GE(bands.phase.q99[i], bands.phase.q95[i]);
        wider_somewhere |= bands.phase.q99[i] > bands.phase.q95[i];
    }
    EXPECT_TRUE(wider_somewhere);
    // Saved again, the p99 offsets are kept as they are.
    auto again = LoadModels(SaveModels(*loaded));
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ((*again)[0].trained.bands.q99, bands.q99);
    EXPECT_EQ((*again)[0].trained.bands.phase, bands.phase);
}

TEST(ModelFile, RefusesDamagedBytesWithAReason) {
    auto trained = TrainModel("holt_winters", Periodic(3), 3);
    ASSERT_TRUE(trained.ok());
    std::vector<NamedModel> models;
    models.push_back({"web", std::move(*trained)});
    const std::string bytes = SaveModels(models);
    EXPECT_NE(LoadModels("PK\x03\x04 a zip").error().message.find("wrong magic"), std::string::npos);
    for (std::size_t cut : {std::size_t{9}, bytes.size() / 2, bytes.size() - 1})
        EXPECT_NE(LoadModels(bytes.substr(0, cut)).error().message.find("truncated"), std::string::npos) << cut;
    EXPECT_NE(LoadModels(bytes + "x").error().message.find("trailing"), std::string::npos);
}

TEST(ModelFile, MutatedBytesNeverCrashTheReader) {
    // Model files come from users (`forecast --model-file`) and from the store: damage must give an error or a
    // model, never a crash (this runs under ASan and UBSan).
    std::vector<NamedModel> models;
    for (const char* name : {"auto", "lstm"}) {
        auto trained = TrainModel(name, Periodic(3), 3, Quick());
        ASSERT_TRUE(trained.ok());
        models.push_back({name, std::move(*trained)});
    }
    const std::string bytes = SaveModels(models);
    std::mt19937 rng(11);
    int refused = 0;
    for (int i = 0; i < 300; ++i) {
        std::string damaged = bytes;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) damaged[rng() % damaged.size()] = static_cast<char>(rng());
        if (i % 3 == 0) damaged.resize(rng() % damaged.size());
        auto loaded = LoadModels(damaged, Quick());
        if (!loaded) {
            ++refused;
            EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidArgument);
            continue;
        }
        for (const NamedModel& m : *loaded) (void)ForecastWith(m.trained, Periodic(1), 3);  // must not crash either
    }
    EXPECT_GT(refused, 100);
}

}  // namespace
}  // namespace cloudopt
