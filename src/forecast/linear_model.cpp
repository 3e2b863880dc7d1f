#include "forecast/linear_model.hpp"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "forecast/binary_io.hpp"

namespace cloudopt {

namespace {

constexpr char kLinearMagic[8] = {'C', 'O', 'L', 'I', 'N', '0', '0', '1'};
constexpr long long kDaySeconds = 86400;
// Least absolute error by reweighting: a residual's weight is 1 / max(|residual|, kL1Floor) (in units of the
// training mean), so near-zero residuals cannot dominate. On bitbrains at H = 3 least squares alone scores 0.821,
// 8 rounds 0.876, 12 rounds 0.877 and 40 rounds 0.877; floors of 0.01 and 0.03 converge to less (0.876, 0.875).
constexpr int kL1Rounds = 12;
constexpr double kL1Floor = 1e-3;
// Each step ahead is fitted on its own (rows x inputs^2 per round), and with the daily inputs the inputs grow
// with the horizon, so the cost grows with its cube: 48 steps cost 8 times 12 steps (bitbrains: 56 s against 7 s),
// a day of 5-minute steps would cost 700 times.
constexpr int kMaxOutputs = 48;
// Ridge per training window: enough to keep the normal equations solvable when inputs repeat (a flat series),
// too little to move the weights of a series that has signal.
constexpr double kRidgePerRow = 1e-4;
// Training windows per input below which the weights would fit noise.
constexpr int kRowsPerInput = 4;

bool ReadInt(std::string_view& in, int& v, int lo, int hi) {
    std::int32_t raw = 0;
    if (!binary::Get(in, raw) || raw < lo || raw > hi) return false;
    v = raw;
    return true;
}

}  // namespace

void LinearModel::Inputs(std::span<const double> values, std::size_t t, double* x) const {
    const double inv = 1.0 / scale_;
    const auto at = [&](long long i) { return values[static_cast<std::size_t>(std::max(0LL, i))] * inv; };
    const auto origin = static_cast<long long>(t);
    int j = 0;
    for (int l = lags_; l >= 1; --l) x[j++] = at(origin - l);
    if (day_ > 0)
        for (int k = 0; k < outputs_; ++k) x[j++] = at(origin - day_ + k);
    x[j] = 1.0;
}

Status LinearModel::Fit(std::span<const double> train, const SeriesContext& context) {
    weights_.resize(0, 0);  // a failed fit forecasts nothing rather than with another shape's weights
    lags_ = kLags;
    outputs_ = std::max(1, context.horizon);
    if (outputs_ > kMaxOutputs)
        return MakeError(ErrorCode::kUnprocessable, "linear forecasts at most " + std::to_string(kMaxOutputs) +
                                                        " steps ahead, " + std::to_string(outputs_) +
                                                        " were asked; holt_winters and the LSTM forecast further");
    const auto rows_with = [&](int day) {
        const long long first = std::max(lags_, day);
        return static_cast<long long>(train.size()) - first - outputs_ + 1;
    };
    // The same time yesterday, where a day is a whole number of steps longer than the horizon and the training
    // series holds enough windows for the extra inputs.
    day_ = 0;
    if (context.step > 0 && kDaySeconds % context.step == 0) {
        const auto day = static_cast<int>(kDaySeconds / context.step);
        if (day > outputs_ && rows_with(day) >= kRowsPerInput * (lags_ + outputs_ + 1)) day_ = day;
    }
    const int p = inputs();
    const long long rows = rows_with(day_);
    if (rows < kRowsPerInput * p)
        return MakeError(ErrorCode::kUnprocessable,
                         "linear needs at least " + std::to_string(lags_ + outputs_ - 1 + kRowsPerInput * p) +
                             " points (" + std::to_string(lags_) + " past values, the horizon and " +
                             std::to_string(kRowsPerInput) + " windows per input), has " +
                             std::to_string(train.size()));
    double mean_abs = 0.0;
    for (double v : train) mean_abs += std::abs(v);
    mean_abs /= static_cast<double>(train.size());
    scale_ = mean_abs > 0 && std::isfinite(mean_abs) ? mean_abs : 1.0;
    non_negative_ = std::all_of(train.begin(), train.end(), [](double v) { return v >= 0; });

    const std::size_t first = static_cast<std::size_t>(std::max(lags_, day_));
    Eigen::MatrixXd x(rows, p), y(rows, outputs_);
    for (long long r = 0; r < rows; ++r) {
        const std::size_t t = first + static_cast<std::size_t>(r);
        Eigen::VectorXd row(p);
        Inputs(train, t, row.data());
        x.row(r) = row.transpose();
        for (int k = 0; k < outputs_; ++k) y(r, k) = train[t + static_cast<std::size_t>(k)] / scale_;
    }
    Eigen::MatrixXd ridge = Eigen::MatrixXd::Identity(p, p) * (kRidgePerRow * static_cast<double>(rows));
    ridge(p - 1, p - 1) = 0.0;  // the constant is not shrunk
    Eigen::MatrixXd normal = x.transpose() * x + ridge;
    Eigen::MatrixXd weights = normal.ldlt().solve(x.transpose() * y);
    if (!weights.allFinite())
        return MakeError(ErrorCode::kUnprocessable,
                         "linear: the least-squares fit did not converge on this series (is every value finite?)");
    Eigen::MatrixXd weighted(rows, p);
    for (int k = 0; k < outputs_; ++k) {
        Eigen::VectorXd w = weights.col(k);
        for (int round = 0; round < kL1Rounds; ++round) {
            const Eigen::ArrayXd root = (y.col(k) - x * w).array().abs().max(kL1Floor).rsqrt();
            weighted = x.array().colwise() * root;  // rows scaled by sqrt(1 / |residual|)
            normal = ridge;
            normal.selfadjointView<Eigen::Lower>().rankUpdate(weighted.transpose());
            const Eigen::VectorXd target = (root * y.col(k).array()).matrix();
            const Eigen::VectorXd next =
                normal.selfadjointView<Eigen::Lower>().ldlt().solve(weighted.transpose() * target);
            if (!next.allFinite()) break;  // keep the last good round
            w = next;
        }
        weights.col(k) = w;
    }
    weights_ = std::move(weights);
    return Status::Ok();
}

void LinearModel::ForecastFromOrigins(std::span<const double> values, std::size_t first_origin, int horizon,
                                      std::vector<double>& out) const {
    out.clear();
    if (values.empty() || weights_.size() == 0) return;
    out.reserve((values.size() + 1 - std::min(first_origin, values.size())) * static_cast<std::size_t>(horizon));
    Eigen::VectorXd x(inputs());
    Eigen::VectorXd y(outputs_);
    for (std::size_t t = std::max<std::size_t>(first_origin, 1); t <= values.size(); ++t) {
        Inputs(values, t, x.data());
        y.noalias() = weights_.transpose() * x;
        for (int h = 1; h <= horizon; ++h) {
            const double f = y(std::min(h, outputs_) - 1) * scale_;
            out.push_back(non_negative_ ? std::max(0.0, f) : f);
        }
    }
}

std::string LinearModel::SaveState() const {
    std::string out(kLinearMagic, sizeof kLinearMagic);
    for (int v : {lags_, day_, outputs_}) binary::Put<std::int32_t>(out, v);
    binary::Put<double>(out, scale_);
    binary::Put<std::uint8_t>(out, non_negative_ ? 1 : 0);
    for (Eigen::Index i = 0; i < weights_.size(); ++i) binary::Put<double>(out, weights_.data()[i]);
    return out;
}

Status LinearModel::LoadState(std::string_view in, const SeriesContext&) {
    const auto bad = [](const std::string& what) {
        return MakeError(ErrorCode::kInvalidArgument, "linear state: " + what);
    };
    if (in.size() < sizeof kLinearMagic || std::memcmp(in.data(), kLinearMagic, sizeof kLinearMagic) != 0)
        return bad("not a linear model (format COLIN001 expected)");
    in.remove_prefix(sizeof kLinearMagic);
    int lags = 0, day = 0, outputs = 0;
    double scale = 0;
    std::uint8_t non_negative = 0;
    if (!ReadInt(in, lags, 1, 100'000) || !ReadInt(in, day, 0, 1'000'000) || !ReadInt(in, outputs, 1, 100'000))
        return bad("truncated or implausible shape");
    if (day != 0 && day <= outputs) return bad("a day of " + std::to_string(day) + " steps within the horizon");
    if (!binary::Get(in, scale) || !(scale > 0) || !std::isfinite(scale) || !binary::Get(in, non_negative))
        return bad("truncated or implausible scale");
    const long long p = lags + (day > 0 ? outputs : 0) + 1;
    if (in.size() != static_cast<std::size_t>(p * outputs) * sizeof(double))
        return bad("expected " + std::to_string(p * outputs) + " weights (" + std::to_string(p * outputs * 8) +
                   " bytes), the state holds " + std::to_string(in.size()) + " bytes");
    Eigen::MatrixXd weights(p, outputs);
    for (Eigen::Index i = 0; i < weights.size(); ++i) {
        binary::Get(in, weights.data()[i]);
        if (!std::isfinite(weights.data()[i])) return bad("a weight is not a finite number");
    }
    lags_ = lags, day_ = day, outputs_ = outputs, scale_ = scale, non_negative_ = non_negative != 0;
    weights_ = std::move(weights);
    return Status::Ok();
}

std::unique_ptr<PointModel> MakeLinearModel() { return std::make_unique<LinearModel>(); }

}  // namespace cloudopt
