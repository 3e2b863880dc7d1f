#pragma once
// The service's forecaster for resources without a trained model: `auto` from the forecasting engine (the best mix
// of naive, seasonal naive and Holt-Winters on the series' recent history, with split-conformal bands), falling
// back to seasonal naive while a resource has too little history for a calibrated forecast. It is refitted on
// every forecast, so it leaves out the models that cost most to fit (the LSTM; the linear autoregression, which a
// trained model weighs).

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
