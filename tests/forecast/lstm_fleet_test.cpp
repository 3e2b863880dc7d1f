// One LSTM across many series (lstm_fleet.hpp): every member served at its own scale, the backtest's networks
// blind to what they are scored on, and clear errors where a fleet network is missing.

#include "forecast/lstm_fleet.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "forecast/backtest.hpp"
#include "forecast/fleet_file.hpp"

namespace cloudopt {
namespace {

// A pulse every 12 steps (a cron job on 5-minute samples) over a level, with noise: the last value cannot carry
// it, a network that has learned the pulse can. `scale` and `level` differ per member.
std::vector<double> Pulses(int points, double level, double scale, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0.0, 0.05);
    std::vector<double> y;
    for (int i = 0; i < points; ++i) y.push_back(level + scale * ((i % 12 < 3 ? 1.0 : 0.1) + noise(rng)));
    return y;
}

LstmOptions SmallNetwork(int epochs) {
    LstmOptions o;
    o.hidden = 16;
    o.window = 24;
    o.train.epochs = epochs;
    o.train.threads = 1;
    return o;
}

double Wape(std::span<const double> values, std::size_t first, int horizon, const std::vector<double>& f) {
    double error = 0, total = 0;
    for (std::size_t t = first; t + static_cast<std::size_t>(horizon) <= values.size(); ++t)
        for (int h = 0; h < horizon; ++h) {
            error += std::abs(f[(t - first) * static_cast<std::size_t>(horizon) + static_cast<std::size_t>(h)] -
                              values[t + static_cast<std::size_t>(h)]);
            total += std::abs(values[t + static_cast<std::size_t>(h)]);
        }
    return error / total;
}

// Office hours over a daily wave (5-minute samples): a shape the last value cannot carry 12 steps ahead.
std::vector<double> Daily(int days, double scale, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<double> y;
    for (int i = 0; i < days * 288; ++i) {
        const int minute = (i % 288) * 5;
        const double busy = (minute >= 9 * 60 && minute < 17 * 60) ? 30.0 : 0.0;
        y.push_back(scale * (20 + busy + 8 * std::sin(2 * M_PI * i / 288.0) + noise(rng)));
    }
    return y;
}

TEST(LstmFleet, OneNetworkServesMembersOfEveryScale) {
    const std::vector<std::vector<double>> series = {Daily(5, 0.01, 1), Daily(5, 3, 2), Daily(5, 700, 3)};
    const std::size_t train = 4 * 288;
    LstmOptions options = SmallNetwork(15);
    options.train.learning_rate = 3e-3;
    options.train.threads = 2;
    options.train.loss = LstmLoss::kSquared;  // learns a clean shape in few epochs (as lstm_test.cpp)
    std::vector<FleetMember> members;
    for (const auto& y : series) members.push_back({std::span(y).first(train), 1700006400, 300});
    auto fleet = TrainLstmFleet(members, 12, options);
    ASSERT_TRUE(fleet.ok()) << fleet.error().message;
    EXPECT_EQ((*fleet)->series, 3u);
    const SeriesContext context{.season = 288, .start = 1700006400, .step = 300, .horizon = 12};
    for (const auto& y : series) {
        LstmModel member(options, *fleet);
        EXPECT_EQ(member.name(), "lstm_fleet");
        ASSERT_TRUE(member.Fit(std::span(y).first(train), context));
        std::vector<double> f, naive;
        member.ForecastFromOrigins(y, train, 12, f);
        MakeNaiveModel()->ForecastFromOrigins(y, train, 12, naive);
        // Wrong scaling would put the small member's forecasts off by orders of magnitude.
        EXPECT_LT(Wape(y, train, 12, f), 0.8 * Wape(y, train, 12, naive)) << "scale " << y[0];
    }
}

// A fleet's epoch is bounded (LstmOptions::fleet_windows_per_epoch) so that its cost stops growing with the fleet;
// each epoch samples afresh, so the network still learns from every member.
TEST(LstmFleet, AnEpochTrainsOnAtMostTheFleetsWindowsPerEpoch) {
    const std::vector<std::vector<double>> series = {Daily(5, 1, 7), Daily(5, 40, 8), Daily(5, 900, 9)};
    const std::size_t train = 4 * 288;
    std::vector<FleetMember> members;
    for (const auto& y : series) members.push_back({std::span(y).first(train), 1700006400, 300});
    LstmOptions options = SmallNetwork(2);
    options.train.learning_rate = 3e-3;
    options.train.loss = LstmLoss::kSquared;
    options.train.patience = 100;  // every epoch runs, so the counts below are exact

    options.fleet_windows_per_epoch = 0;  // every window
    auto whole = TrainLstmFleet(members, 12, options);
    ASSERT_TRUE(whole.ok()) << whole.error().message;
    EXPECT_GT((*whole)->windows_trained, 2u * 2800u);  // three members of about 1,100 windows, less validation

    options.train.epochs = 20;
    options.fleet_windows_per_epoch = 1500;
    auto bounded = TrainLstmFleet(members, 12, options);
    ASSERT_TRUE(bounded.ok()) << bounded.error().message;
    EXPECT_EQ((*bounded)->windows_trained, 20u * 1500u);
    // Deterministic for a seed, like every training.
    auto again = TrainLstmFleet(members, 12, options);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ((*again)->params, (*bounded)->params);

    // Half of the windows each epoch, drawn afresh, still teach every member's shape.
    const SeriesContext context{.season = 288, .start = 1700006400, .step = 300, .horizon = 12};
    for (const auto& y : series) {
        LstmModel member(options, *bounded);
        ASSERT_TRUE(member.Fit(std::span(y).first(train), context));
        std::vector<double> f, naive;
        member.ForecastFromOrigins(y, train, 12, f);
        MakeNaiveModel()->ForecastFromOrigins(y, train, 12, naive);
        EXPECT_LT(Wape(y, train, 12, f), 0.8 * Wape(y, train, 12, naive)) << "scale " << y[0];
    }
}

TEST(LstmFleet, BacktestNetworksNeverSeeTheHeldOutPoints) {
    for (LstmScale scale : {LstmScale::kLinear, LstmScale::kLog}) {
        BacktestOptions o;
        o.horizon = 3;
        o.models.lstm = SmallNetwork(2);
        o.models.lstm.scale = scale;
        std::vector<double> a = Pulses(800, 5, 1, 4), b = Pulses(800, 50, 10, 5);
        auto train = [&] {
            const std::vector<FleetSeries> members = {{a, 0, 300}, {b, 0, 300}};
            auto networks = TrainFleetForBacktest(members, o);
            EXPECT_TRUE(networks.ok());
            return std::move(*networks);
        };
        const FleetNetworks before = train();
        const BacktestSplit split = SplitForBacktest(a.size(), o);
        // The test part changes: neither network may notice.
        for (std::size_t i = split.train; i < a.size(); ++i) a[i] = b[i] = 1e6;
        const FleetNetworks test_changed = train();
        EXPECT_EQ(test_changed.calibration->params, before.calibration->params);
        EXPECT_EQ(test_changed.full->params, before.full->params);
        EXPECT_EQ(before.full->log_scale, scale == LstmScale::kLog);
        // The calibration window changes: only the network that is fitted on it notices.
        for (std::size_t i = split.train - split.calibration; i < split.train; ++i) a[i] *= 3;
        const FleetNetworks calibration_changed = train();
        EXPECT_EQ(calibration_changed.calibration->params, before.calibration->params);
        EXPECT_NE(calibration_changed.full->params, before.full->params);
    }
}

TEST(LstmFleet, SavedNetworksLoadAndForecastTheSameAndDamagedBytesAreRefused) {
    const std::vector<double> a = Pulses(600, 5, 1, 6), b = Pulses(600, 50, 10, 7);
    const std::vector<FleetSeries> members = {{a, 0, 300}, {b, 0, 300}};
    ModelOptions options;
    options.lstm = SmallNetwork(1);
    auto trained = TrainFleetForModels(members, 3, options);
    ASSERT_TRUE(trained.ok()) << trained.error().message;
    const std::string bytes = SaveFleetNetworks(*trained);
    auto loaded = LoadFleetNetworks(bytes);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->seconds, trained->seconds);
    EXPECT_EQ(loaded->calibration->params, trained->calibration->params);
    EXPECT_EQ(loaded->full->params, trained->full->params);
    EXPECT_EQ(loaded->full->series, trained->full->series);
    // A member served by the loaded network forecasts exactly what it did with the trained one.
    auto forecast = [&](std::shared_ptr<const LstmFleet> network) {
        LstmModel member(options.lstm, std::move(network));
        EXPECT_TRUE(member.Fit(std::span(b).first(500), {1, 0, 300, 3}).ok());
        std::vector<double> f;
        member.ForecastFromOrigins(b, 500, 3, f);
        return f;
    };
    EXPECT_EQ(forecast(loaded->full), forecast(trained->full));
    // A network on the log scale keeps it, and its members are read on it.
    options.lstm.scale = LstmScale::kLog;
    auto log_trained = TrainFleetForModels(members, 3, options);
    ASSERT_TRUE(log_trained.ok()) << log_trained.error().message;
    auto log_loaded = LoadFleetNetworks(SaveFleetNetworks(*log_trained));
    ASSERT_TRUE(log_loaded.ok()) << log_loaded.error().message;
    EXPECT_TRUE(log_loaded->calibration->log_scale);
    EXPECT_TRUE(log_loaded->full->log_scale);
    EXPECT_EQ(forecast(log_loaded->full), forecast(log_trained->full));
    // v1 files (no scale byte: linear) still load: v2 without the byte after each network's series count.
    options.lstm.scale = LstmScale::kLinear;
    auto linear_trained = TrainFleetForModels(members, 3, options);
    ASSERT_TRUE(linear_trained.ok()) << linear_trained.error().message;
    std::string v1 = SaveFleetNetworks(*linear_trained);
    const std::size_t network_header = 5 * 4 + 4 + 8;  // shape, epochs, series
    const std::size_t first_scale = 8 + 8 + network_header;
    const std::size_t first_params = linear_trained->calibration->params.size() * sizeof(float);
    const std::size_t second_scale = first_scale + 1 + 8 + first_params + network_header;
    ASSERT_EQ(v1[first_scale], 0);
    ASSERT_EQ(v1[second_scale], 0);
    v1.erase(second_scale, 1);
    v1.erase(first_scale, 1);
    v1[7] = '1';
    auto old = LoadFleetNetworks(v1);
    ASSERT_TRUE(old.ok()) << old.error().message;
    EXPECT_FALSE(old->full->log_scale);
    EXPECT_EQ(forecast(old->full), forecast(linear_trained->full));
    // Damaged or foreign bytes say what is wrong.
    auto refused = [](std::string_view damaged, const std::string& why) {
        auto r = LoadFleetNetworks(damaged);
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
    };
    refused("COMODEL2", "wrong magic");
    refused(std::string_view(bytes).substr(0, bytes.size() - 5), "truncated");
    refused(bytes + "x", "trailing bytes");
    std::string wrong_shape = bytes;
    wrong_shape[8 + 8 + 4] = 0x7f;  // the calibration network's hidden size
    refused(wrong_shape, "calibration");
}

TEST(LstmFleet, WithoutAFleetNetworkFittingFailsWithAClearError) {
    const std::vector<double> y = Pulses(800, 5, 1, 6);
    LstmModel member(SmallNetwork(1), nullptr);
    const Status fitted = member.Fit(y, SeriesContext{.horizon = 3});
    ASSERT_FALSE(fitted);
    EXPECT_NE(fitted.error().message.find("no fleet network"), std::string::npos) << fitted.error().message;
    BacktestOptions o;
    o.horizon = 3;
    auto score = Backtest("lstm_fleet", y, o);
    ASSERT_FALSE(score.ok());
    EXPECT_NE(score.error().message.find("lstm_fleet"), std::string::npos);
    // Members too short for one window are left out; with none left there is nothing to train.
    const std::vector<double> short_series(40, 1.0);
    const std::vector<FleetMember> members = {{short_series, 0, 300}};
    auto fleet = TrainLstmFleet(members, 3, SmallNetwork(1));
    ASSERT_FALSE(fleet.ok());
    EXPECT_EQ(fleet.error().code, ErrorCode::kUnprocessable);
}

// "lstm_tuned": the fleet's weights are where a member's own training starts. One epoch from them forecasts about as
// well as the fleet network (the weights are kept unless an epoch beats them); one epoch from PyTorch's
// initialization does not.
TEST(LstmFleet, ATunedMemberStartsFromTheFleetsWeights) {
    std::vector<std::vector<double>> series;
    for (std::uint64_t s = 0; s < 3; ++s) series.push_back(Pulses(900, 5.0 + 20.0 * s, 1.0 + s, 20 + s));
    const std::size_t train = 750;
    std::vector<FleetMember> members;
    for (const auto& y : series) members.push_back({std::span(y).first(train), 0, 300});
    LstmOptions options = SmallNetwork(8);
    options.train.learning_rate = 3e-3;
    auto fleet = TrainLstmFleet(members, 3, options);
    ASSERT_TRUE(fleet.ok()) << fleet.error().message;
    const SeriesContext context{.horizon = 3};
    const std::vector<double>& y = series[1];
    LstmOptions one_epoch = SmallNetwork(1);
    LstmModel fleet_member(one_epoch, *fleet);
    LstmModel tuned(one_epoch, *fleet, LstmSource::kTuned);
    LstmModel own(one_epoch);
    EXPECT_EQ(tuned.name(), "lstm_tuned");
    for (LstmModel* m : {&fleet_member, &tuned, &own}) ASSERT_TRUE(m->Fit(std::span(y).first(train), context));
    std::vector<double> f_fleet, f_tuned, f_own;
    fleet_member.ForecastFromOrigins(y, train, 3, f_fleet);
    tuned.ForecastFromOrigins(y, train, 3, f_tuned);
    own.ForecastFromOrigins(y, train, 3, f_own);
    EXPECT_LT(Wape(y, train, 3, f_tuned), 1.1 * Wape(y, train, 3, f_fleet));
    EXPECT_LT(Wape(y, train, 3, f_tuned), 0.8 * Wape(y, train, 3, f_own));
    // Its weights are its own now: it saves and loads as a network of its own, under its name.
    LstmModel loaded(one_epoch, nullptr, LstmSource::kTuned);
    ASSERT_TRUE(loaded.LoadState(tuned.SaveState(), context));
    EXPECT_EQ(loaded.name(), "lstm_tuned");
    std::vector<double> f_loaded;
    loaded.ForecastFromOrigins(y, train, 3, f_loaded);
    EXPECT_EQ(f_loaded, f_tuned);
    // Without a fleet, or with one of another shape, there is nothing to start from.
    LstmModel orphan(one_epoch, nullptr, LstmSource::kTuned);
    const Status no_fleet = orphan.Fit(y, context);
    ASSERT_FALSE(no_fleet);
    EXPECT_NE(no_fleet.error().message.find("no fleet network to start from"), std::string::npos);
    LstmOptions wider = one_epoch;
    wider.hidden = 32;
    LstmModel mismatched(wider, *fleet, LstmSource::kTuned);
    const Status mismatch = mismatched.Fit(y, context);
    ASSERT_FALSE(mismatch);
    EXPECT_NE(mismatch.error().message.find("differs"), std::string::npos) << mismatch.error().message;
}

// With a fleet network, auto weighs the member tuned from it instead of a network trained from scratch.
TEST(LstmFleet, AutoWeighsTheTunedMemberWhenThereIsAFleet) {
    const std::vector<double> a = Pulses(800, 5, 1, 30), b = Pulses(800, 40, 8, 31);
    const std::vector<FleetSeries> members = {{a, 0, 300}, {b, 0, 300}};
    ModelOptions options;
    options.lstm = SmallNetwork(1);
    options.auto_includes_lstm = true;
    auto fleet = TrainFleetForModels(members, 3, options);
    ASSERT_TRUE(fleet.ok()) << fleet.error().message;
    options.fleet = std::move(*fleet);
    const RegularSeries series{0, 300, a, {}};
    auto tuned = TrainModel("auto", series, 3, options);
    ASSERT_TRUE(tuned.ok()) << tuned.error().message;
    auto weighs = [](const TrainedModel& m, const char* name) {
        return std::find(m.candidates.begin(), m.candidates.end(), name) != m.candidates.end();
    };
    EXPECT_TRUE(weighs(*tuned, "lstm_tuned"));
    EXPECT_TRUE(weighs(*tuned, "lstm_fleet"));
    EXPECT_FALSE(weighs(*tuned, "lstm"));
    options.tune_fleet = false;
    auto own = TrainModel("auto", series, 3, options);
    ASSERT_TRUE(own.ok());
    EXPECT_TRUE(weighs(*own, "lstm"));
    EXPECT_FALSE(weighs(*own, "lstm_tuned"));
}

TEST(LstmFleet, ASavedMemberLoadsAsAFleetMemberWithItsWeights) {
    const std::vector<double> y = Pulses(700, 30, 5, 7);
    const std::vector<FleetMember> members = {{std::span(y).first(600), 0, 300}};
    auto fleet = TrainLstmFleet(members, 3, SmallNetwork(1));
    ASSERT_TRUE(fleet.ok());
    LstmModel member(SmallNetwork(1), *fleet);
    ASSERT_TRUE(member.Fit(std::span(y).first(600), SeriesContext{.horizon = 3}));
    LstmModel loaded(SmallNetwork(1), nullptr);
    ASSERT_TRUE(loaded.LoadState(member.SaveState(), SeriesContext{.horizon = 3}));
    EXPECT_EQ(loaded.name(), "lstm_fleet");
    std::vector<double> expected, got;
    member.ForecastFromOrigins(y, 600, 3, expected);
    loaded.ForecastFromOrigins(y, 600, 3, got);
    EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace cloudopt
