#include "forecast/lstm_trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <thread>

namespace cloudopt {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Copies the windows of origins[first, first + count) into ws.input (sized for `count`).
void FillInputs(const LstmLayout& layout, const WindowSource& data, std::span<const std::size_t> origins,
                LstmWorkspace& ws) {
    const int T = layout.shape().window;
    const auto B = static_cast<Eigen::Index>(origins.size());
    for (Eigen::Index b = 0; b < B; ++b) {
        const auto origin = static_cast<Eigen::Index>(origins[static_cast<std::size_t>(b)]);
        for (Eigen::Index t = 0; t < T; ++t) {
            const Eigen::Index point = std::max<Eigen::Index>(0, origin - T + t);
            ws.input.col(t * B + b) = data.features->col(point);
        }
    }
}

// Runs fn(slice) for slices 0..n-1, slice 0 on the calling thread.
template <typename Fn>
void ForSlices(int n, Fn&& fn) {
    std::vector<std::thread> workers;
    workers.reserve(static_cast<std::size_t>(n > 0 ? n - 1 : 0));
    for (int s = 1; s < n; ++s) workers.emplace_back([&fn, s] { fn(s); });
    fn(0);
    for (std::thread& w : workers) w.join();
}

// Slice s of a batch of `count`: [begin, end).
std::pair<std::size_t, std::size_t> SliceRange(std::size_t count, int slices, int s) {
    const std::size_t per = count / static_cast<std::size_t>(slices), extra = count % static_cast<std::size_t>(slices);
    const auto us = static_cast<std::size_t>(s);
    const std::size_t begin = us * per + std::min(us, extra);
    return {begin, begin + per + (us < extra ? 1 : 0)};
}

struct Adam {
    std::vector<float> m, v;
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    long long t = 0;
    void Step(std::vector<float>& params, const std::vector<float>& grad, double lr) {
        if (m.empty()) m.assign(params.size(), 0.0f), v.assign(params.size(), 0.0f);
        ++t;
        const auto b1 = static_cast<float>(beta1), b2 = static_cast<float>(beta2);
        const double c1 = 1.0 - std::pow(beta1, static_cast<double>(t)), c2 = 1.0 - std::pow(beta2, static_cast<double>(t));
        const auto step = static_cast<float>(lr / c1), vc = static_cast<float>(1.0 / c2), e = static_cast<float>(eps);
        for (std::size_t i = 0; i < params.size(); ++i) {
            m[i] = b1 * m[i] + (1 - b1) * grad[i];
            v[i] = b2 * v[i] + (1 - b2) * grad[i] * grad[i];
            params[i] -= step * m[i] / (std::sqrt(v[i] * vc) + e);
        }
    }
};

// WAPE of the predictions for `origins` in original units.
double ValidationError(const LstmLayout& layout, const std::vector<float>& params, const WindowSource& data,
                       std::span<const std::size_t> origins, int threads, std::vector<float>& scratch) {
    if (origins.empty()) return 0.0;
    PredictLstm(layout, params, data, origins, threads, scratch);
    const auto outputs = static_cast<std::size_t>(layout.shape().outputs);
    double abs_error = 0, abs_actual = 0;
    for (std::size_t k = 0; k < origins.size(); ++k) {
        const std::size_t t = origins[k];
        for (std::size_t j = 0; j < outputs && t + j < data.scaled.size(); ++j) {
            const double forecast =
                data.scaling.Original(static_cast<double>(data.scaled[t - 1]) + scratch[k * outputs + j]);
            const double actual = data.scaling.Original(static_cast<double>(data.scaled[t + j]));
            abs_error += std::abs(forecast - actual);
            abs_actual += std::abs(actual);
        }
    }
    return abs_actual > 0 ? abs_error / abs_actual : 0.0;
}

}  // namespace

double LstmScaling::Scaled(double load) const {
    const double f = log() ? std::log1p(std::max(0.0, load) / level) : load;
    return (f - offset) / scale;
}

double LstmScaling::Original(double scaled) const {
    const double f = scaled * scale + offset;
    return log() ? level * std::expm1(f) : f;
}

int ResolveThreads(int requested) {
    if (requested > 0) return requested;
    return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

TrainResult TrainLstm(const LstmLayout& layout, const WindowSource& data, std::span<const std::size_t> train_origins,
                      std::span<const std::size_t> validation_origins, const LstmTrainOptions& o) {
    const auto started = SteadyClock::now();
    const LstmShape& shape = layout.shape();
    const int threads = ResolveThreads(o.threads);
    const int batch = std::max(1, o.batch);
    TrainResult result;
    // Given weights of another shape are never read (LstmModel checks the shape before it passes them).
    const bool given = o.initial_params.size() == layout.size();
    std::vector<float> params = given ? o.initial_params : InitialParameters(layout, o.seed);
    result.params = params;
    result.best_validation_error = std::numeric_limits<double>::infinity();
    std::vector<float> scratch;
    // Weights to start from are already a forecaster: an epoch has to beat them to replace them.
    if (given && !validation_origins.empty())
        result.best_validation_error = ValidationError(layout, params, data, validation_origins, threads, scratch);

    struct Slice {
        LstmWorkspace ws;
        std::vector<float> grad;
        Eigen::MatrixXf d_output;
        double loss = 0.0;
    };
    std::vector<Slice> slices(static_cast<std::size_t>(threads));
    for (Slice& s : slices) s.grad.assign(layout.size(), 0.0f);
    std::vector<float> grad(layout.size());
    std::vector<std::size_t> order(train_origins.begin(), train_origins.end());
    std::mt19937_64 rng(o.seed ^ 0x9e3779b97f4a7c15ULL);
    Adam adam;
    int since_best = 0;
    std::size_t windows_seen = 0;

    // After each shuffle the epoch takes the first `per_epoch` windows: a fresh random sample each epoch.
    const std::size_t per_epoch =
        o.windows_per_epoch > 0 ? std::min(order.size(), o.windows_per_epoch) : order.size();

    bool cancelled = false;
    for (int epoch = 1; epoch <= o.epochs && !cancelled; ++epoch) {
        std::shuffle(order.begin(), order.end(), rng);
        double loss_sum = 0.0;
        for (std::size_t first = 0; first < per_epoch; first += static_cast<std::size_t>(batch)) {
            // Asked every batch, not every epoch: a fleet's epoch can take minutes, and a service that is told to
            // stop has seconds before it is killed (Kubernetes' default grace period is 30 s).
            if (o.cancelled && o.cancelled()) {
                cancelled = true;
                break;
            }
            const std::size_t count = std::min(per_epoch - first, static_cast<std::size_t>(batch));
            const std::span<const std::size_t> batch_origins(order.data() + first, count);
            // Fewer slices than threads when the batch is small: a slice of a few windows costs more than it saves.
            const int used = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(threads), (count + 7) / 8));
            const float norm = 1.0f / static_cast<float>(count * static_cast<std::size_t>(shape.outputs));
            ForSlices(used, [&](int si) {
                Slice& s = slices[static_cast<std::size_t>(si)];
                const auto [b0, b1] = SliceRange(count, used, si);
                const auto mine = batch_origins.subspan(b0, b1 - b0);
                const auto B = static_cast<int>(mine.size());
                s.ws.Resize(layout, B);
                FillInputs(layout, data, mine, s.ws);
                LstmForward(layout, params.data(), s.ws);
                s.d_output.resize(shape.outputs, B);
                s.loss = 0.0;
                for (int b = 0; b < B; ++b) {
                    const std::size_t t = mine[static_cast<std::size_t>(b)];
                    const float last = data.scaled[t - 1];
                    for (int j = 0; j < shape.outputs; ++j) {
                        const float diff = s.ws.output(j, b) - (data.scaled[t + static_cast<std::size_t>(j)] - last);
                        if (o.loss == LstmLoss::kAbsolute) {
                            s.loss += std::abs(diff);
                            s.d_output(j, b) = (diff > 0 ? 1.0f : diff < 0 ? -1.0f : 0.0f) * norm;
                        } else {
                            s.loss += static_cast<double>(diff) * diff;
                            s.d_output(j, b) = 2.0f * diff * norm;
                        }
                    }
                }
                std::fill(s.grad.begin(), s.grad.end(), 0.0f);
                LstmBackward(layout, params.data(), s.d_output, s.ws, s.grad.data());
            });
            std::fill(grad.begin(), grad.end(), 0.0f);
            for (int si = 0; si < used; ++si) {
                const Slice& s = slices[static_cast<std::size_t>(si)];
                for (std::size_t i = 0; i < grad.size(); ++i) grad[i] += s.grad[i];
                loss_sum += s.loss;
            }
            double norm2 = 0.0;
            for (float g : grad) norm2 += static_cast<double>(g) * g;
            const double grad_norm = std::sqrt(norm2);
            if (o.clip_norm > 0 && grad_norm > o.clip_norm) {
                const auto k = static_cast<float>(o.clip_norm / grad_norm);
                for (float& g : grad) g *= k;
            }
            adam.Step(params, grad, o.learning_rate);
            windows_seen += count;
        }
        if (cancelled) break;  // a part of an epoch is not scored: the best complete epoch's weights stay

        const double validation = ValidationError(layout, params, data, validation_origins, threads, scratch);
        EpochReport report;
        report.epoch = epoch;
        report.epochs = o.epochs;
        const auto targets = per_epoch * static_cast<std::size_t>(shape.outputs);
        report.train_loss = targets == 0 ? 0.0 : loss_sum / static_cast<double>(targets);
        report.validation_error = validation;
        report.improved = validation < result.best_validation_error;
        if (report.improved) {
            result.best_validation_error = validation;
            result.best_epoch = epoch;
            result.params = params;
            since_best = 0;
        } else {
            ++since_best;
        }
        result.epochs_run = epoch;
        report.seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
        report.eta_seconds = report.seconds / epoch * (o.epochs - epoch);
        if (o.on_epoch) o.on_epoch(report);
        if (since_best >= o.patience && !validation_origins.empty()) break;
    }
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
    result.windows_per_second = seconds > 0 ? static_cast<double>(windows_seen) / seconds : 0.0;
    result.windows_trained = windows_seen;
    return result;
}

void PredictLstm(const LstmLayout& layout, std::span<const float> params, const WindowSource& data,
                 std::span<const std::size_t> origins, int threads, std::vector<float>& out,
                 const LstmFusedWeights* fused) {
    const auto outputs = static_cast<std::size_t>(layout.shape().outputs);
    out.assign(origins.size() * outputs, 0.0f);
    const int used = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(ResolveThreads(threads)),
                                                             (origins.size() + 31) / 32));
    if (used == 0) return;
    LstmFusedWeights built;
    if (!fused) {
        built = FuseForInference(layout, params.data());
        fused = &built;
    }
    // Each slice walks its share of the origins in chunks large enough for efficient products.
    constexpr std::size_t kChunk = 128;
    ForSlices(used, [&](int si) {
        const auto [b0, b1] = SliceRange(origins.size(), used, si);
        LstmWorkspace ws;
        for (std::size_t first = b0; first < b1; first += kChunk) {
            const std::size_t count = std::min(kChunk, b1 - first);
            ws.Resize(layout, static_cast<int>(count));
            FillInputs(layout, data, origins.subspan(first, count), ws);
            LstmInfer(layout, params.data(), ws, fused);
            for (std::size_t b = 0; b < count; ++b)
                for (std::size_t j = 0; j < outputs; ++j)
                    out[(first + b) * outputs + j] = ws.output(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(b));
        }
    });
}

}  // namespace cloudopt
