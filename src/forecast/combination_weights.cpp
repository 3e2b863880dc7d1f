#include "forecast/combination_weights.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "core/sample.hpp"

namespace cloudopt {

std::vector<double> FitCombinationWeights(std::span<const double> values, std::span<const std::uint8_t> missing,
                                          std::size_t first, int horizon,
                                          std::span<const std::span<const double>> forecasts) {
    constexpr int kSteps = 20;
    const std::size_t m = forecasts.size(), h = static_cast<std::size_t>(horizon);
    if (m == 0) return {};
    // The scored (forecast..., actual) tuples, model-major.
    std::vector<double> actual;
    std::vector<std::vector<double>> f(m);
    for (std::size_t t = first; t < values.size(); ++t) {
        for (std::size_t k = 0; k < h && t + k < values.size(); ++k) {
            if (!Measured(missing, t + k)) continue;
            actual.push_back(values[t + k]);
            for (std::size_t i = 0; i < m; ++i) f[i].push_back(forecasts[i][(t - first) * h + k]);
        }
    }
    if (actual.empty()) return {};  // nothing to fit on
    std::vector<int> units(m, 0), best_units(m, 0);
    double best_error = std::numeric_limits<double>::infinity();
    // partial[i]: the mix of models 0..i-1 with the units chosen for them so far. Summing in model order, as the
    // combined forecast does, keeps the error of a split exactly that of the forecasts it will make.
    std::vector<std::vector<double>> partial(m, std::vector<double>(actual.size(), 0.0));
    auto add = [&](std::size_t i, int u) {
        if (u == 0) {
            partial[i + 1] = partial[i];
            return;
        }
        const double w = static_cast<double>(u) / kSteps;
        for (std::size_t k = 0; k < actual.size(); ++k) partial[i + 1][k] = partial[i][k] + w * f[i][k];
    };
    using Values = Eigen::Map<const Eigen::ArrayXd>;
    const auto n = static_cast<Eigen::Index>(actual.size());
    const Values target(actual.data(), n);
    // Every split of kSteps units over the m models.
    std::function<void(std::size_t, int)> visit = [&](std::size_t i, int left) {
        units[i] = left;
        if (i + 1 == m) {
            // The last model takes what is left; its mix is only scored, not kept. Eigen's sum runs in SIMD
            // lanes: this line is nearly all of the search's time (53,130 splits of six models).
            const Values before(partial[i].data(), n), last(f[i].data(), n);
            const double w = static_cast<double>(left) / kSteps;
            const double error = left == 0 ? (before - target).abs().sum() : (before + w * last - target).abs().sum();
            if (error < best_error) {
                best_error = error;
                best_units = units;
            }
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

ReweighSchedule DefaultReweighSchedule(long long step_seconds) {
    const long long step = std::max(1LL, step_seconds);
    auto steps = [&](long long seconds) { return static_cast<std::size_t>(std::max(1LL, seconds / step)); };
    return {.warmup = steps(86400), .every = steps(4 * 3600), .window = std::max<std::size_t>(4, steps(3 * 86400))};
}

namespace {

// The re-weighing point whose weights are in force at origin t (t >= fresh + warmup).
std::size_t RefitPointFor(std::size_t t, std::size_t fresh, const ReweighSchedule& s) {
    const std::size_t start = fresh + s.warmup, every = std::max<std::size_t>(1, s.every);
    return start + (t - start) / every * every;
}

std::size_t WindowStart(std::size_t refit, std::size_t fresh, const ReweighSchedule& s) {
    return std::max(fresh, refit > s.window ? refit - s.window : 0);
}

}  // namespace

std::size_t ReweighFrom(std::size_t first, std::size_t fresh, const ReweighSchedule& schedule) {
    const std::size_t refit = first >= fresh + schedule.warmup ? RefitPointFor(first, fresh, schedule)
                                                                : fresh + schedule.warmup;
    return std::min(first, WindowStart(refit, fresh, schedule));
}

Reweighed CombineReweighed(std::span<const double> values, std::span<const std::uint8_t> missing,
                           std::span<const std::span<const double>> parts, std::size_t from, std::size_t first,
                           std::size_t fresh, int horizon, std::span<const double> prior,
                           const ReweighSchedule& schedule) {
    const std::size_t n = values.size(), h = static_cast<std::size_t>(horizon), m = parts.size();
    Reweighed out;
    out.weights.assign(prior.begin(), prior.end());
    if (first > n) return out;
    out.forecasts.assign((n - first + 1) * h, 0.0);
    std::size_t fitted_at = std::numeric_limits<std::size_t>::max();
    std::vector<std::span<const double>> window_parts(m);
    for (std::size_t t = first; t <= n; ++t) {
        if (t >= fresh + schedule.warmup) {
            const std::size_t refit = RefitPointFor(t, fresh, schedule);
            if (refit != fitted_at) {
                fitted_at = refit;
                const std::size_t begin = std::max(from, WindowStart(refit, fresh, schedule));
                for (std::size_t i = 0; i < m; ++i) window_parts[i] = parts[i].subspan((begin - from) * h);
                std::vector<double> fitted =
                    FitCombinationWeights(values.first(refit), missing.first(std::min(missing.size(), refit)), begin,
                                          horizon, window_parts);
                if (!fitted.empty()) {  // else no actual was known yet: the weights stay
                    out.weights = std::move(fitted);
                    ++out.refits;
                }
            }
        }
        for (std::size_t k = 0; k < h; ++k) {
            double combined = 0.0;
            for (std::size_t i = 0; i < m; ++i) combined += out.weights[i] * parts[i][(t - from) * h + k];
            out.forecasts[(t - first) * h + k] = combined;
        }
    }
    return out;
}

}  // namespace cloudopt
