#include "forecast/load_forecaster.hpp"

#include <algorithm>

namespace cloudopt {

namespace {
// Without band tracking, a trained model's live accuracy is measured over this much recent load.
constexpr UnixSeconds kLiveScoreSeconds = 86400;
}  // namespace

Result<LoadForecast> ForecastLoad(const RegularSeries& history, UnixSeconds now, int horizon, TrainedModelRef trained,
                                  const Forecaster& fallback, const LoadForecastOptions& options) {
    LoadForecast out;
    // A trained model answers when it fits this question (same grid, long enough horizon); else the forecaster.
    const TrainedModel* model = trained.model;
    if (model && model->context.step == options.step && static_cast<int>(model->bands.q90.size()) >= horizon) {
        // Only forecasts of load the model never trained on move the bands and score it: in-sample errors are
        // smaller and would narrow the bands and flatter the model. Without tracking, the last day still scores it.
        const bool tracking = options.band_tracking_seconds > 0;
        const UnixSeconds window = tracking ? options.band_tracking_seconds : kLiveScoreSeconds;
        const UnixSeconds tracked = std::clamp<UnixSeconds>(now - trained.trained_at, 0, window);
        const auto tracked_steps = static_cast<std::size_t>(tracked / options.step);
        const auto steps_since_training =
            options.reweigh
                ? static_cast<std::size_t>(std::max<UnixSeconds>(0, now - trained.trained_at) / options.step)
                : 0;
        const Tracked since_training = TrackTrainedModel(
            *model, history, tracked_steps, tracking ? BandTracker::kDefaultRate : 0.0, steps_since_training);
        auto forecast = ForecastWith(*model, history, horizon, &since_training.bands, since_training.weights);
        if (forecast) {
            out.forecast = std::move(*forecast);
            out.live = since_training.live;
            out.forecast.generated_at = now;
            return out;
        }
    }
    auto forecast = fallback.Predict(history, horizon);
    if (!forecast) return forecast.error();
    out.forecast = std::move(*forecast);
    out.forecast.generated_at = now;
    return out;
}

}  // namespace cloudopt
