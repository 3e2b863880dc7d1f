#pragma once
// Holt-Winters exponential smoothing: level, damped trend and seasonality (additive or multiplicative).
// Parameters (alpha, beta, gamma, phi) are fitted by minimizing the one-step-ahead squared error on the training
// data with a bounded Nelder-Mead search; both seasonal forms are fitted and the one with the lower error kept
// (multiplicative only for strictly positive data). The trend is damped (phi < 1) because an undamped trend
// extrapolated an hour ahead overshoots on the bursty series cloud workloads are.

#include <array>

#include "forecast/point_model.hpp"

namespace cloudopt {

struct HoltWintersParams {
    double alpha = 0.5;  // level
    double beta = 0.05;  // trend
    double gamma = 0.1;  // season
    double phi = 0.95;   // trend damping
    bool multiplicative = false;
};

class HoltWintersModel final : public PointModel {
public:
    std::string name() const override { return "holt_winters"; }
    Status Fit(std::span<const double> train, const SeriesContext& context) override;
    void ForecastFromOrigins(std::span<const double> values, std::size_t first_origin, int horizon,
                             std::vector<double>& out) const override;
    // alpha, beta, gamma, phi (f64) and multiplicative (u8); the season comes from the context.
    std::string SaveState() const override;
    Status LoadState(std::string_view state, const SeriesContext& context) override;

    const HoltWintersParams& params() const { return params_; }
    // One-step squared error of `params` over `values` (exposed for tests).
    static double OneStepSse(std::span<const double> values, int season, const HoltWintersParams& params);

private:
    HoltWintersParams params_;
    int season_ = 1;
};

}  // namespace cloudopt
