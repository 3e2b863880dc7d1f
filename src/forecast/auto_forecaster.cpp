#include "forecast/auto_forecaster.hpp"

#include "forecast/backtest.hpp"

namespace cloudopt {

Result<Forecast> AutoForecaster::Predict(const RegularSeries& history, int horizon_steps) const {
    auto forecast = ForecastSeries("auto", history, horizon_steps);
    if (forecast) return forecast;
    if (forecast.error().code != ErrorCode::kUnprocessable) return forecast.error();
    return fallback_.Predict(history, horizon_steps);  // too little history yet for calibrated bands
}

}  // namespace cloudopt
