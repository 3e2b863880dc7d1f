#pragma once
// Point-forecast models used by the backtest and the forecasting engine. A model is fitted once on a training
// prefix, then produces H-step point forecasts from many origins in one pass over the data (so a rolling-origin
// backtest costs one filter pass, not one refit per origin). Quantile bands are added by calibration
// (forecast/backtest.hpp), not by the models.

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"

namespace cloudopt {

// What a model may know about the series besides its values: value i is at start + i * step.
struct SeriesContext {
    int season = 1;        // season length in steps (1: no seasonality)
    UnixSeconds start = 0;
    long long step = 300;  // seconds
    int horizon = 12;      // steps the forecasts will need (a direct multi-step model trains for this many)
};

class PointModel {
public:
    virtual ~PointModel() = default;
    virtual std::string name() const = 0;
    virtual Status Fit(std::span<const double> train, const SeriesContext& context) = 0;
    // For each origin t in [first_origin, values.size()] (history values[0, t)), writes the forecasts of
    // values[t], ..., values[t + horizon - 1] to out[(t - first_origin) * horizon + h - 1]. first_origin >= 1.
    virtual void ForecastFromOrigins(std::span<const double> values, std::size_t first_origin, int horizon,
                                     std::vector<double>& out) const = 0;
    // The same for a series whose first value is at `start` rather than where the training series began: models
    // with calendar inputs (the LSTM) need it when they forecast a later window of the series than they saw.
    virtual void ForecastFromOriginsAt(UnixSeconds start, std::span<const double> values, std::size_t first_origin,
                                       int horizon, std::vector<double>& out) const {
        (void)start;
        ForecastFromOrigins(values, first_origin, horizon, out);
    }
    // A combination's parts' forecasts, each laid out as ForecastFromOriginsAt writes them; none for a model that
    // is not a combination. Re-weighing combines them with weights of its own (combination_weights.hpp).
    virtual void PartForecastsAt(UnixSeconds start, std::span<const double> values, std::size_t first_origin,
                                 int horizon, std::vector<std::vector<double>>& out) const {
        (void)start, (void)values, (void)first_origin, (void)horizon;
        out.clear();
    }
    // The fitted state (parameters, weights) in a versioned binary form, and back: a loaded model forecasts
    // without being fitted again (model_file.hpp).
    virtual std::string SaveState() const = 0;
    virtual Status LoadState(std::string_view state, const SeriesContext& context) = 0;
};

// Last value.
std::unique_ptr<PointModel> MakeNaiveModel();
// The value one season ago (falls back to the last value without a season).
std::unique_ptr<PointModel> MakeSeasonalNaiveModel();
// Holt-Winters exponential smoothing (see holt_winters.hpp).
std::unique_ptr<PointModel> MakeHoltWintersModel();
// A direct linear autoregression fitted by least absolute error (see linear_model.hpp).
std::unique_ptr<PointModel> MakeLinearModel();

// Picks the season length: daily or weekly when the data holds two of them and its autocorrelation at that lag
// is clearly positive, else 1. `step` is the sampling interval in seconds.
int DetectSeason(std::span<const double> values, long long step);

}  // namespace cloudopt
