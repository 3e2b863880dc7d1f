// The LSTM: its gradients against finite differences (every parameter block, one and two layers), its optimized
// kernels against plain loops, data-parallel gradients against one batch, determinism, learning a pattern that
// the naive baseline cannot follow, and the model file format.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "forecast/lstm_model.hpp"
#include "forecast/lstm_network.hpp"
#include "forecast/lstm_trainer.hpp"

namespace cloudopt {
namespace {

void RandomInput(LstmWorkspace& ws, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(-1.5f, 1.5f);
    for (Eigen::Index i = 0; i < ws.input.size(); ++i) ws.input.data()[i] = u(rng);
}

// Loss = sum(r * out) + 0.5 * sum(out^2): smooth, and its d_output (r + out) is different for every output.
struct TestLoss {
    Eigen::MatrixXf r;
    double Value(const Eigen::MatrixXf& out) const {
        double v = 0;
        for (Eigen::Index i = 0; i < out.size(); ++i)
            v += static_cast<double>(r.data()[i]) * out.data()[i] + 0.5 * static_cast<double>(out.data()[i]) * out.data()[i];
        return v;
    }
    Eigen::MatrixXf Gradient(const Eigen::MatrixXf& out) const { return r + out; }
};

class LstmGradient : public ::testing::TestWithParam<int> {};

TEST_P(LstmGradient, MatchesFiniteDifferencesForEveryParameterBlock) {
    const LstmShape shape{.inputs = 5, .hidden = 4, .layers = GetParam(), .window = 6, .outputs = 3};
    const LstmLayout layout(shape);
    std::vector<float> params = InitialParameters(layout, 11);
    for (float& p : params) p *= 2.0f;  // larger weights: saturating gates get exercised too
    LstmWorkspace ws;
    ws.Resize(layout, 3);
    RandomInput(ws, 5);
    TestLoss loss;
    loss.r = Eigen::MatrixXf::Random(shape.outputs, 3);

    LstmForward(layout, params.data(), ws);
    std::vector<float> grad(layout.size(), 0.0f);
    LstmBackward(layout, params.data(), loss.Gradient(ws.output), ws, grad.data());

    auto loss_at = [&](std::size_t i, float delta) {
        const float saved = params[i];
        params[i] = saved + delta;
        LstmForward(layout, params.data(), ws);
        params[i] = saved;
        return loss.Value(ws.output);
    };
    constexpr float kEps = 1e-2f;
    for (const LstmLayout::Block& block : layout.Blocks()) {
        double worst = 0;
        for (std::size_t i = block.offset; i < block.offset + block.size; ++i) {
            const double numeric = (loss_at(i, kEps) - loss_at(i, -kEps)) / (2 * kEps);
            const double error = std::abs(numeric - grad[i]) / (1e-2 + std::abs(numeric));
            worst = std::max(worst, error);
            ASSERT_LT(error, 2e-2) << block.name << " layer " << block.layer << " element " << i - block.offset
                                   << ": analytic " << grad[i] << " numeric " << numeric;
        }
        EXPECT_GT(block.size, 0u) << block.name;
        RecordProperty(std::string(block.name) + std::to_string(block.layer), std::to_string(worst));
    }
}

INSTANTIATE_TEST_SUITE_P(Layers, LstmGradient, ::testing::Values(1, 2));

TEST(LstmKernels, ForwardAndInferenceMatchThePlainLoopReference) {
    for (int layers : {1, 2}) {
        const LstmShape shape{.inputs = 5, .hidden = 8, .layers = layers, .window = 7, .outputs = 4};
        const LstmLayout layout(shape);
        const std::vector<float> params = InitialParameters(layout, 3);
        LstmWorkspace fast, infer, slow;
        for (LstmWorkspace* ws : {&fast, &infer, &slow}) {
            ws->Resize(layout, 5);
            RandomInput(*ws, 9);
        }
        LstmForward(layout, params.data(), fast);
        LstmInfer(layout, params.data(), infer);
        reference::LstmForward(layout, params.data(), slow);
        EXPECT_TRUE(fast.output.isApprox(slow.output, 1e-4f)) << "layers " << layers << "\n" << fast.output << "\n" << slow.output;
        EXPECT_TRUE(infer.output.isApprox(slow.output, 1e-4f)) << "layers " << layers << "\n" << infer.output << "\n" << slow.output;
        EXPECT_GT(slow.output.cwiseAbs().maxCoeff(), 1e-3f);  // not trivially zero
    }
}

// The fused AVX2 kernel (lstm_infer_kernel.cpp) walks windows three at a time and pads the last one or two, and
// takes blocks of 8 hidden units; so every batch size modulo 3, several blocks, two layers and saturated gates.
TEST(LstmKernels, FusedInferenceKernelMatchesThePlainLoopReference) {
    if (!PackedLstmAvailable(8)) GTEST_SKIP() << "this build has no AVX2 + FMA kernel; the Eigen path is tested above";
    for (int hidden : {8, 24, 32}) {
        for (int layers : {1, 2}) {
            const LstmShape shape{.inputs = 5, .hidden = hidden, .layers = layers, .window = 9, .outputs = 3};
            const LstmLayout layout(shape);
            std::vector<float> params = InitialParameters(layout, 21);
            for (float& p : params) p *= 3.0f;  // large weights: gate sums far into tanh's flat tails
            const LstmFusedWeights fused = FuseForInference(layout, params.data());
            ASSERT_EQ(fused.packed.size(), static_cast<std::size_t>(layers));
            for (int batch : {1, 2, 3, 4, 5, 7}) {
                LstmWorkspace infer, slow;
                for (LstmWorkspace* ws : {&infer, &slow}) {
                    ws->Resize(layout, batch);
                    RandomInput(*ws, 13);
                }
                LstmInfer(layout, params.data(), infer, &fused);
                reference::LstmForward(layout, params.data(), slow);
                const float worst = (infer.output - slow.output).cwiseAbs().maxCoeff();
                EXPECT_LT(worst, 2e-5f * (1.0f + slow.output.cwiseAbs().maxCoeff()))
                    << "hidden " << hidden << " layers " << layers << " batch " << batch << "\n"
                    << infer.output << "\n" << slow.output;
                EXPECT_GT(slow.output.cwiseAbs().maxCoeff(), 1e-2f);
                // A window's forecast is the same bits whether it was inferred in a batch or alone.
                for (int b = 0; b < batch; ++b) {
                    LstmWorkspace alone;
                    alone.Resize(layout, 1);
                    for (int t = 0; t < shape.window; ++t) alone.input.col(t) = infer.input.col(t * batch + b);
                    LstmInfer(layout, params.data(), alone, &fused);
                    EXPECT_TRUE((alone.output.col(0).array() == infer.output.col(b).array()).all())
                        << "hidden " << hidden << " layers " << layers << " window " << b << " of " << batch;
                }
            }
        }
    }
}

TEST(LstmKernels, HiddenSizesTheFusedKernelCannotTakeUseTheEigenPath) {
    const LstmShape shape{.inputs = 5, .hidden = 6, .layers = 1, .window = 4, .outputs = 2};
    const LstmLayout layout(shape);
    const std::vector<float> params = InitialParameters(layout, 2);
    const LstmFusedWeights fused = FuseForInference(layout, params.data());
    EXPECT_TRUE(fused.packed.empty());
    LstmWorkspace infer, slow;
    for (LstmWorkspace* ws : {&infer, &slow}) {
        ws->Resize(layout, 4);
        RandomInput(*ws, 3);
    }
    LstmInfer(layout, params.data(), infer, &fused);
    reference::LstmForward(layout, params.data(), slow);
    EXPECT_TRUE(infer.output.isApprox(slow.output, 1e-4f));
}

TEST(LstmKernels, SlicedBatchGradientsSumToTheWholeBatchGradient) {
    const LstmShape shape{.inputs = 5, .hidden = 6, .layers = 2, .window = 5, .outputs = 2};
    const LstmLayout layout(shape);
    const std::vector<float> params = InitialParameters(layout, 4);
    LstmWorkspace whole;
    whole.Resize(layout, 6);
    RandomInput(whole, 1);
    const Eigen::MatrixXf d_out = Eigen::MatrixXf::Random(shape.outputs, 6);
    LstmForward(layout, params.data(), whole);
    std::vector<float> expected(layout.size(), 0.0f), summed(layout.size(), 0.0f);
    LstmBackward(layout, params.data(), d_out, whole, expected.data());
    // The same windows as two slices of 2 and 4.
    for (auto [first, count] : {std::pair{0, 2}, std::pair{2, 4}}) {
        LstmWorkspace part;
        part.Resize(layout, count);
        for (int t = 0; t < shape.window; ++t)
            for (int b = 0; b < count; ++b) part.input.col(t * count + b) = whole.input.col(t * 6 + first + b);
        LstmForward(layout, params.data(), part);
        LstmBackward(layout, params.data(), d_out.middleCols(first, count), part, summed.data());
    }
    for (std::size_t i = 0; i < expected.size(); ++i) ASSERT_NEAR(summed[i], expected[i], 1e-5f) << "parameter " << i;
}

// Ten days of a 5-minute series with a sharp daily shape plus noise: the LSTM must learn the shape that the last
// value does not carry.
std::vector<double> Shaped(int days, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<double> y;
    for (int i = 0; i < days * 288; ++i) {
        const int minute = (i % 288) * 5;
        const double busy = (minute >= 9 * 60 && minute < 17 * 60) ? 30.0 : 0.0;  // office hours
        y.push_back(20 + busy + 8 * std::sin(2 * M_PI * i / 288.0) + noise(rng));
    }
    return y;
}

LstmOptions SmallOptions() {
    LstmOptions o;
    o.hidden = 16;
    o.window = 24;
    o.train.epochs = 15;
    o.train.learning_rate = 3e-3;
    o.train.threads = 2;
    // The squared loss learns a clean shape in few epochs; the L1 default (which suits WAPE and bursty series)
    // is measured on real traces by bench/lstm_vs_torch.
    o.train.loss = LstmLoss::kSquared;
    return o;
}

TEST(LstmModel, LearnsADailyShapeBetterThanTheLastValue) {
    const std::vector<double> y = Shaped(10, 1);
    const std::size_t n_train = 8 * 288;
    const SeriesContext context{.season = 288, .start = 1700006400, .step = 300, .horizon = 12};
    LstmModel model(SmallOptions());
    ASSERT_TRUE(model.Fit(std::span(y).first(n_train), context).ok());
    EXPECT_GE(model.training().best_epoch, 1);
    std::vector<double> f;
    model.ForecastFromOrigins(y, n_train, 12, f);
    double lstm_error = 0, naive_error = 0;
    for (std::size_t t = n_train; t + 12 <= y.size(); ++t) {
        for (std::size_t h = 0; h < 12; ++h) {
            lstm_error += std::abs(f[(t - n_train) * 12 + h] - y[t + h]);
            naive_error += std::abs(y[t - 1] - y[t + h]);
        }
    }
    EXPECT_LT(lstm_error, 0.8 * naive_error) << "lstm " << lstm_error << " naive " << naive_error;
}

TEST(LstmModel, TrainingIsDeterministicForASeed) {
    const std::vector<double> y = Shaped(3, 2);
    const SeriesContext context{.season = 288, .start = 0, .step = 300, .horizon = 3};
    LstmOptions o = SmallOptions();
    o.train.epochs = 2;
    LstmModel a(o), b(o);
    ASSERT_TRUE(a.Fit(y, context).ok());
    ASSERT_TRUE(b.Fit(y, context).ok());
    EXPECT_EQ(a.training().params, b.training().params);
    o.train.seed = 43;
    LstmModel c(o);
    ASSERT_TRUE(c.Fit(y, context).ok());
    EXPECT_NE(a.training().params, c.training().params);
}

// A service told to stop has seconds, and a fleet's epoch can take minutes: training asks before every batch.
TEST(LstmModel, CancellingStopsTrainingWithinABatchAndKeepsACompleteEpochsWeights) {
    const std::vector<double> y = Shaped(3, 2);
    const SeriesContext context{.season = 288, .start = 0, .step = 300, .horizon = 3};
    LstmOptions o = SmallOptions();
    o.train.epochs = 4;
    LstmModel whole(o);
    ASSERT_TRUE(whole.Fit(y, context).ok());
    const std::size_t per_epoch = whole.training().windows_trained / 4;
    const auto batch = static_cast<std::size_t>(o.train.batch);
    const std::size_t batches_per_epoch = (per_epoch + batch - 1) / batch;
    ASSERT_GE(batches_per_epoch, 3u);

    // Cancelled in the middle of the second epoch: the first epoch's weights, and not one batch more.
    int asked = 0;
    const int cancel_at = static_cast<int>(batches_per_epoch) + 2;
    o.train.cancelled = [&] { return ++asked >= cancel_at; };
    LstmModel cancelled(o);
    ASSERT_TRUE(cancelled.Fit(y, context).ok());
    EXPECT_EQ(asked, cancel_at);
    EXPECT_EQ(cancelled.training().epochs_run, 1);
    EXPECT_EQ(cancelled.training().best_epoch, 1);
    EXPECT_EQ(cancelled.training().windows_trained, per_epoch + batch);

    o.train.epochs = 1;
    o.train.cancelled = nullptr;
    LstmModel one_epoch(o);
    ASSERT_TRUE(one_epoch.Fit(y, context).ok());
    EXPECT_EQ(cancelled.training().params, one_epoch.training().params);
}

TEST(LstmModel, RejectsTooShortSeries) {
    LstmModel model(SmallOptions());
    const std::vector<double> y(40, 1.0);
    const Status s = model.Fit(y, SeriesContext{.horizon = 12});
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kUnprocessable);
    EXPECT_NE(s.error().message.find("at least 68 points"), std::string::npos) << s.error().message;
}

// A model's forecasts (origins 500.., 6 steps ahead) and those of the model its bytes load as.
void ExpectTheSameForecastsAfterARoundTrip(const LstmModel& model, const std::string& bytes,
                                           const std::vector<double>& y) {
    auto loaded = LstmModel::Deserialize(bytes);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    std::vector<double> before, after;
    model.ForecastFromOrigins(y, 500, 6, before);
    loaded->ForecastFromOrigins(y, 500, 6, after);
    EXPECT_EQ(before, after);
}

TEST(LstmModel, FileFormatRoundTripsAndRejectsDamage) {
    const std::vector<double> y = Shaped(3, 3);
    LstmOptions o = SmallOptions();
    o.train.epochs = 1;
    LstmModel model(o);
    ASSERT_TRUE(model.Fit(y, SeriesContext{.season = 288, .start = 1700006400, .step = 300, .horizon = 6}).ok());
    const std::string bytes = model.Serialize();
    ExpectTheSameForecastsAfterARoundTrip(model, bytes, y);

    EXPECT_FALSE(LstmModel::Deserialize(bytes.substr(0, bytes.size() - 1)).ok());
    EXPECT_FALSE(LstmModel::Deserialize(bytes.substr(0, 20)).ok());
    std::string wrong_magic = bytes;
    wrong_magic[0] = 'X';
    EXPECT_NE(LstmModel::Deserialize(wrong_magic).error().message.find("magic"), std::string::npos);
    std::string wrong_hidden = bytes;
    wrong_hidden[12] = 9;  // hidden 16 -> 9: the parameter count no longer matches
    EXPECT_FALSE(LstmModel::Deserialize(wrong_hidden).ok());
}

TEST(LstmModel, TheLogScaleMapsTheLoadBackExactly) {
    const std::vector<double> train = {0.0, 1.0, 3.0, 12.0};
    const LstmScaling log = ScalingOf(train, true);
    EXPECT_TRUE(log.log());
    EXPECT_DOUBLE_EQ(log.level, 4.0);  // the training mean
    for (double load : {0.0, 0.5, 4.0, 250.0}) EXPECT_NEAR(log.Original(log.Scaled(load)), load, 1e-9 * (1 + load));
    // A burst 60 times the level is 6.5 of the log scale's units above it and 50 of the linear one's: training
    // weighs it less beside the level between bursts.
    const LstmScaling linear = ScalingOf(train, false);
    EXPECT_FALSE(linear.log());
    EXPECT_LT(log.Scaled(240.0) - log.Scaled(4.0), (linear.Scaled(240.0) - linear.Scaled(4.0)) / 6);
    EXPECT_DOUBLE_EQ(linear.Original(linear.Scaled(7.0)), 7.0);
    // A series without positive load has nothing to take the log of: it stays linear.
    EXPECT_FALSE(ScalingOf(std::vector<double>(10, 0.0), true).log());
}

TEST(LstmModel, ALogScaleNetworkSavesItsScaleAndFilesOfFormatV1StillLoad) {
    const std::vector<double> y = Shaped(3, 4);
    const SeriesContext context{.season = 288, .start = 1700006400, .step = 300, .horizon = 6};
    LstmOptions o = SmallOptions();
    o.train.epochs = 1;
    o.scale = LstmScale::kLog;
    LstmModel log_model(o);
    ASSERT_TRUE(log_model.Fit(y, context).ok());
    const std::string bytes = log_model.Serialize();
    EXPECT_EQ(bytes.substr(0, 8), "COLSTM02");
    ExpectTheSameForecastsAfterARoundTrip(log_model, bytes, y);
    // Trained and read on the linear scale, the network forecasts something else: the scale is part of the model.
    o.scale = LstmScale::kLinear;
    LstmModel linear_model(o);
    ASSERT_TRUE(linear_model.Fit(y, context).ok());
    std::vector<double> log_forecasts, linear;
    log_model.ForecastFromOrigins(y, 500, 6, log_forecasts);
    linear_model.ForecastFromOrigins(y, 500, 6, linear);
    EXPECT_NE(linear, log_forecasts);
    // A v1 file (no level: linear) is the v2 layout without the level's 8 bytes.
    std::string v1 = linear_model.Serialize();
    const std::size_t level_at = 8 + 5 * 4 + 2 * 8 + 2 * 8;  // magic, shape, start and step, offset and scale
    v1.erase(level_at, 8);
    v1[7] = '1';
    auto old = LstmModel::Deserialize(v1);
    ASSERT_TRUE(old.ok()) << old.error().message;
    std::vector<double> from_v1;
    old->ForecastFromOrigins(y, 500, 6, from_v1);
    EXPECT_EQ(from_v1, linear);
    // A negative level is damage, not a scale.
    std::string damaged = log_model.Serialize();
    const double negative = -1.0;
    std::memcpy(damaged.data() + level_at, &negative, sizeof negative);
    EXPECT_NE(LstmModel::Deserialize(damaged).error().message.find("implausible"), std::string::npos);
}

}  // namespace
}  // namespace cloudopt
