#include "forecast/holt_winters.hpp"

#include "forecast/binary_io.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace cloudopt {

namespace {

// Filter state after consuming a prefix of the series.
struct State {
    double level = 0.0;
    double trend = 0.0;
    std::vector<double> season;  // indexed by time % m
};

State Initial(std::span<const double> y, int m, bool multiplicative) {
    State s;
    const auto mm = static_cast<std::size_t>(m);
    const std::size_t first = std::min(y.size(), mm);
    s.level = std::accumulate(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(first), 0.0) / static_cast<double>(first);
    if (y.size() >= 2 * mm && m > 1) {
        const double second = std::accumulate(y.begin() + static_cast<std::ptrdiff_t>(mm),
                                              y.begin() + static_cast<std::ptrdiff_t>(2 * mm), 0.0) /
                              static_cast<double>(mm);
        s.trend = (second - s.level) / static_cast<double>(m);
    }
    // Seasonal indices against the trend line through the first season, so a rising series does not leave a
    // ramp baked into the season; the level starts one step before the data.
    const double mean = s.level;
    s.season.assign(mm, multiplicative ? 1.0 : 0.0);
    if (m > 1) {
        for (std::size_t i = 0; i < first; ++i) {
            const double line = mean + s.trend * (static_cast<double>(i) - (static_cast<double>(first) - 1) / 2);
            s.season[i] = multiplicative ? (line > 0 ? y[i] / line : 1.0) : y[i] - line;
        }
    }
    s.level = mean - s.trend * (static_cast<double>(first) + 1) / 2;
    return s;
}

double Predict(const State& s, std::size_t t, int h, int m, const HoltWintersParams& p) {
    double damp = 0.0, f = 1.0;
    for (int i = 0; i < h; ++i) {
        f *= p.phi;
        damp += f;
    }
    const double base = s.level + damp * s.trend;
    const double seasonal = m > 1 ? s.season[(t + static_cast<std::size_t>(h) - 1) % static_cast<std::size_t>(m)]
                                  : (p.multiplicative ? 1.0 : 0.0);
    return p.multiplicative ? base * seasonal : base + seasonal;
}

void Update(State& s, std::size_t t, double y, int m, const HoltWintersParams& p) {
    const std::size_t k = t % static_cast<std::size_t>(m);
    const double seasonal = m > 1 ? s.season[k] : (p.multiplicative ? 1.0 : 0.0);
    const double prev_level = s.level;
    const double deseasoned = p.multiplicative ? (seasonal != 0 ? y / seasonal : y) : y - seasonal;
    s.level = p.alpha * deseasoned + (1 - p.alpha) * (prev_level + p.phi * s.trend);
    s.trend = p.beta * (s.level - prev_level) + (1 - p.beta) * p.phi * s.trend;
    if (m > 1) {
        const double fresh = p.multiplicative ? (s.level != 0 ? y / s.level : 1.0) : y - s.level;
        s.season[k] = p.gamma * fresh + (1 - p.gamma) * seasonal;
    }
}

// Minimizes f over the unit box [0,1]^4 (mapped to the parameters by the caller) with Nelder-Mead.
template <typename F>
std::array<double, 4> NelderMead(F f, std::array<double, 4> start) {
    constexpr int kDim = 4;
    constexpr int kIterations = 300;
    auto clamp = [](std::array<double, 4> x) {
        for (double& v : x) v = std::clamp(v, 0.0, 1.0);
        return x;
    };
    std::array<std::array<double, 4>, kDim + 1> simplex;
    std::array<double, kDim + 1> value;
    simplex[0] = clamp(start);
    for (int i = 0; i < kDim; ++i) {
        simplex[i + 1] = simplex[0];
        simplex[i + 1][i] = simplex[0][i] > 0.5 ? simplex[0][i] - 0.25 : simplex[0][i] + 0.25;
    }
    for (int i = 0; i <= kDim; ++i) value[i] = f(simplex[i]);
    for (int iter = 0; iter < kIterations; ++iter) {
        std::array<int, kDim + 1> order;
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](int a, int b) { return value[a] < value[b]; });
        const int best = order[0], worst = order[kDim], second = order[kDim - 1];
        if (std::abs(value[worst] - value[best]) <= 1e-10 * (std::abs(value[best]) + 1e-12)) break;
        std::array<double, 4> centroid{};
        for (int i = 0; i <= kDim; ++i) {
            if (i == worst) continue;
            for (int d = 0; d < kDim; ++d) centroid[d] += simplex[i][d] / kDim;
        }
        auto along = [&](double t) {
            std::array<double, 4> x;
            for (int d = 0; d < kDim; ++d) x[d] = centroid[d] + t * (simplex[worst][d] - centroid[d]);
            return clamp(x);
        };
        const auto reflected = along(-1.0);
        const double fr = f(reflected);
        if (fr < value[best]) {
            const auto expanded = along(-2.0);
            const double fe = f(expanded);
            if (fe < fr) {
                simplex[worst] = expanded;
                value[worst] = fe;
            } else {
                simplex[worst] = reflected;
                value[worst] = fr;
            }
        } else if (fr < value[second]) {
            simplex[worst] = reflected;
            value[worst] = fr;
        } else {
            const auto contracted = along(0.5);
            const double fc = f(contracted);
            if (fc < value[worst]) {
                simplex[worst] = contracted;
                value[worst] = fc;
            } else {
                for (int i = 0; i <= kDim; ++i) {
                    if (i == best) continue;
                    for (int d = 0; d < kDim; ++d) simplex[i][d] = simplex[best][d] + 0.5 * (simplex[i][d] - simplex[best][d]);
                    value[i] = f(simplex[i]);
                }
            }
        }
    }
    int best = 0;
    for (int i = 1; i <= kDim; ++i) {
        if (value[i] < value[best]) best = i;
    }
    return simplex[best];
}

constexpr double kPhiMin = 0.80;
constexpr double kPhiMax = 0.98;

HoltWintersParams FromUnit(const std::array<double, 4>& x, bool multiplicative) {
    // beta and gamma stay small: large values chase noise and the fit on one-step error cannot see that.
    return {x[0], 0.3 * x[1], 0.5 * x[2], kPhiMin + (kPhiMax - kPhiMin) * x[3], multiplicative};
}

}  // namespace

double HoltWintersModel::OneStepSse(std::span<const double> y, int season, const HoltWintersParams& p) {
    const int m = std::max(1, season);
    State s = Initial(y, m, p.multiplicative);
    double sse = 0.0;
    const std::size_t warmup = std::min(y.size(), static_cast<std::size_t>(m));
    for (std::size_t t = 0; t < y.size(); ++t) {
        if (t >= warmup) {
            const double e = y[t] - Predict(s, t, 1, m, p);
            sse += e * e;
        }
        Update(s, t, y[t], m, p);
    }
    return std::isfinite(sse) ? sse : std::numeric_limits<double>::max();
}

Status HoltWintersModel::Fit(std::span<const double> train, const SeriesContext& context) {
    season_ = std::max(1, context.season);
    if (train.size() < static_cast<std::size_t>(season_) + 3)
        return MakeError(ErrorCode::kUnprocessable, "holt_winters needs at least one season plus 3 points, has " +
                                                        std::to_string(train.size()));
    const bool positive = std::all_of(train.begin(), train.end(), [](double v) { return v > 0; });
    double best_sse = std::numeric_limits<double>::max();
    for (bool multiplicative : {false, true}) {
        if (multiplicative && (!positive || season_ == 1)) continue;
        auto objective = [&](const std::array<double, 4>& x) {
            return OneStepSse(train, season_, FromUnit(x, multiplicative));
        };
        for (const std::array<double, 4>& start : {std::array<double, 4>{0.5, 0.1, 0.2, 0.8},
                                                   std::array<double, 4>{0.1, 0.02, 0.05, 0.5}}) {
            const std::array<double, 4> x = NelderMead(objective, start);
            const double sse = objective(x);
            if (sse < best_sse) {
                best_sse = sse;
                params_ = FromUnit(x, multiplicative);
            }
        }
    }
    return Status::Ok();
}

void HoltWintersModel::ForecastFromOrigins(std::span<const double> values, std::size_t first_origin, int horizon,
                                           std::vector<double>& out) const {
    out.clear();
    // The initial state reads the first two seasons; only what precedes the first origin, or a forecast from
    // inside them would see its own future.
    const std::size_t known = std::clamp<std::size_t>(first_origin, 1, std::max<std::size_t>(1, values.size()));
    State s = Initial(values.first(std::min(known, values.size())), season_, params_.multiplicative);
    for (std::size_t t = 0; t < values.size() + 1; ++t) {
        if (t >= first_origin) {
            for (int h = 1; h <= horizon; ++h) out.push_back(Predict(s, t, h, season_, params_));
        }
        if (t < values.size()) Update(s, t, values[t], season_, params_);
    }
}

std::unique_ptr<PointModel> MakeHoltWintersModel() { return std::make_unique<HoltWintersModel>(); }

std::string HoltWintersModel::SaveState() const {
    std::string out;
    for (double v : {params_.alpha, params_.beta, params_.gamma, params_.phi}) binary::Put<double>(out, v);
    binary::Put<std::uint8_t>(out, params_.multiplicative ? 1 : 0);
    return out;
}

Status HoltWintersModel::LoadState(std::string_view in, const SeriesContext& context) {
    HoltWintersParams p;
    std::uint8_t multiplicative = 0;
    if (!binary::Get(in, p.alpha) || !binary::Get(in, p.beta) || !binary::Get(in, p.gamma) || !binary::Get(in, p.phi) ||
        !binary::Get(in, multiplicative) || !in.empty())
        return MakeError(ErrorCode::kInvalidArgument, "holt_winters state: wrong size");
    for (double v : {p.alpha, p.beta, p.gamma, p.phi})
        if (!(v >= 0 && v <= 1)) return MakeError(ErrorCode::kInvalidArgument, "holt_winters state: parameter out of [0, 1]");
    p.multiplicative = multiplicative != 0;
    params_ = p;
    season_ = std::max(1, context.season);
    return Status::Ok();
}

}  // namespace cloudopt
