// How long `auto` takes to weigh its models: FitCombinationWeights (every split of 20 units over the models, the
// last model's share scored with Eigen's vectorized sum) against the same search with a plain scalar loop, as it
// was before the linear model made the candidates six. Prints one JSON object per model count with the median of
// --repeat runs of each, and whether both chose the same weights.
//
//   combination_weights [--points N] [--repeat R]
//
// Points default to what one re-weighing fits on at H = 12 with 5-minute steps: 3 days of origins x 12 steps.
// A backtest re-weighs every 4 hours of its scored part, so bitbrains at H = 12 runs this 36 times per series.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include "forecast/combination_weights.hpp"

namespace {

using Clock = std::chrono::steady_clock;

long Arg(int argc, char** argv, const char* name, long fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return std::atol(argv[i + 1]);
    return fallback;
}

// The search as it was: the last model's mix written out, then summed one value at a time.
std::vector<double> ScalarWeights(const std::vector<double>& actual, const std::vector<std::vector<double>>& f) {
    constexpr int kSteps = 20;
    const std::size_t m = f.size();
    std::vector<int> units(m, 0), best_units(m, 0);
    double best_error = std::numeric_limits<double>::infinity();
    std::vector<std::vector<double>> partial(m + 1, std::vector<double>(actual.size(), 0.0));
    auto add = [&](std::size_t i, int u) {
        const double w = static_cast<double>(u) / kSteps;
        for (std::size_t k = 0; k < actual.size(); ++k) partial[i + 1][k] = partial[i][k] + w * f[i][k];
    };
    std::function<void(std::size_t, int)> visit = [&](std::size_t i, int left) {
        units[i] = left;
        if (i + 1 == m) {
            add(i, left);
            double error = 0;
            for (std::size_t k = 0; k < actual.size(); ++k) error += std::abs(partial[m][k] - actual[k]);
            if (error < best_error) best_error = error, best_units = units;
            return;
        }
        for (int u = 0; u <= left; ++u) {
            units[i] = u;
            add(i, u);
            visit(i + 1, left - u);
        }
    };
    visit(0, kSteps);
    std::vector<double> weights;
    for (int u : best_units) weights.push_back(static_cast<double>(u) / kSteps);
    return weights;
}

template <typename F>
double MedianSeconds(int repeat, F&& run) {
    std::vector<double> seconds;
    for (int r = 0; r < repeat; ++r) {
        const auto start = Clock::now();
        run();
        seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    }
    std::sort(seconds.begin(), seconds.end());
    return seconds[seconds.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    const auto points = static_cast<std::size_t>(std::max(1L, Arg(argc, argv, "--points", 864 * 12)));
    const int repeat = static_cast<int>(std::max(1L, Arg(argc, argv, "--repeat", 5)));
    std::mt19937 rng(5);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<double> actual(points);
    for (std::size_t k = 0; k < points; ++k) actual[k] = 50 + 10 * std::sin(k * 0.01) + 3 * noise(rng);
    for (std::size_t m : {5u, 6u}) {
        // Each model: the actual plus its own error, some biased, so the best split is an inner one.
        std::vector<std::vector<double>> f(m, std::vector<double>(points));
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t k = 0; k < points; ++k) f[i][k] = actual[k] + (i % 3) - 1.0 + (1.0 + i) * noise(rng);
        std::vector<std::span<const double>> spans(f.begin(), f.end());
        std::vector<double> fast, scalar;
        const double fast_s = MedianSeconds(repeat, [&] {
            fast = cloudopt::FitCombinationWeights(actual, {}, 0, 1, spans);
        });
        const double scalar_s = MedianSeconds(repeat, [&] { scalar = ScalarWeights(actual, f); });
        std::printf("{\"models\":%zu,\"points\":%zu,\"repeat\":%d,\"seconds\":{\"vectorized\":%.4f,\"scalar\":%.4f},"
                    "\"speedup\":%.2f,\"same_weights\":%s}\n",
                    m, points, repeat, fast_s, scalar_s, scalar_s / fast_s, fast == scalar ? "true" : "false");
    }
    return 0;
}
