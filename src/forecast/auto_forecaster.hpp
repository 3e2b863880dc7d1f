#pragma once
// The service's forecaster: `auto` from the forecasting engine (the best of naive, seasonal naive and
// Holt-Winters on the series' recent history, with split-conformal bands), falling back to seasonal naive while
// a resource has too little history for a calibrated forecast.

#include "core/forecast.hpp"
#include "forecast/seasonal_naive.hpp"

namespace cloudopt {

class AutoForecaster final : public Forecaster {
public:
    Result<Forecast> Predict(const RegularSeries& history, int horizon_steps) const override;

private:
    SeasonalNaiveForecaster fallback_;
};

}  // namespace cloudopt
