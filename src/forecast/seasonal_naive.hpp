#pragma once
// Seasonal naive: the value one season ago (the same time yesterday by default). With less than two seasons
// of history it falls back to naive (the last value). It is the baseline every model has to beat, and the
// control loop's forecaster until the forecasting engine lands.
//
// Bands come from the model's own in-sample errors: p90 = p50 + the 90th percentile of (actual - forecast)
// over the recent history, so the band is as wide as the model has actually been wrong.

#include "core/forecast.hpp"

namespace cloudopt {

class SeasonalNaiveForecaster final : public Forecaster {
public:
    explicit SeasonalNaiveForecaster(UnixSeconds season_seconds = 86400, int max_seasons_for_errors = 7);
    Result<Forecast> Predict(const RegularSeries& history, int horizon_steps) const override;

private:
    UnixSeconds season_seconds_;
    int max_seasons_for_errors_;
};

}  // namespace cloudopt
