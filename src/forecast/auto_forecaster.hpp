#pragma once
// The service's forecaster: `auto` from the forecasting engine (the best mix of naive, seasonal naive, Holt-Winters
// and the linear autoregression on the series' recent history, with split-conformal bands), falling back to
// seasonal naive while a resource has too little history for a calibrated forecast.

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
