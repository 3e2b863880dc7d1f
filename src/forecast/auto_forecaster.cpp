#include "forecast/auto_forecaster.hpp"

#include "forecast/trained_model.hpp"

namespace cloudopt {

Result<Forecast> AutoForecaster::Predict(const RegularSeries& history, int horizon_steps) const {
    ModelOptions options;
    options.auto_includes_linear = false;  // refitted on every forecast: see ModelOptions
    auto forecast = ForecastSeries("auto", history, horizon_steps, options);
    if (forecast) return forecast;
    if (forecast.error().code != ErrorCode::kUnprocessable) return forecast.error();
    return fallback_.Predict(history, horizon_steps);  // too little history yet for calibrated bands
}

}  // namespace cloudopt
