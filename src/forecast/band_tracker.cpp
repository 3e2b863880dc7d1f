#include "forecast/band_tracker.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "forecast/trained_model.hpp"

namespace cloudopt {

namespace {
// Weight of the newest absolute error in the running mean (a memory of about 100 steps). Faster memories let a
// burst raise the step size just while the band is pushed up, which biased coverage upwards on the tuning set
// (bitbrains p95 0.963 at 0.05 against 0.956 at 0.01).
constexpr double kRecentWeight = 0.01;
}  // namespace

BandTracker::BandTracker(const Calibration& calibrated, double rate)
    : rate_(rate), bands_(calibrated), floor_scale_(calibrated.q90.size(), 0.0),
      recent_scale_(calibrated.q90.size(), 0.0) {
    // Without a calibration error (a model file from before v2, or one that was exact) the band's own width.
    for (std::size_t k = 0; k < floor_scale_.size(); ++k)
        floor_scale_[k] = k < calibrated.mae.size() && calibrated.mae[k] > 0
                              ? calibrated.mae[k]
                              : std::max(std::abs(bands_.q90[k]), std::abs(bands_.q95[k]));
    recent_scale_ = floor_scale_;
    // Bands calibrated before p99 existed (built in code, not loaded: model files extrapolate theirs) get p95's.
    if (bands_.q99.size() != bands_.q95.size()) bands_.q99 = bands_.q95;
    if (bands_.phase.q99.size() != bands_.phase.q95.size()) bands_.phase.q99 = bands_.phase.q95;
}

const BandTracker::Level BandTracker::kLevels[3] = {
    {0.90, &Calibration::q90, &PhaseBands::q90},
    {0.95, &Calibration::q95, &PhaseBands::q95},
    {0.99, &Calibration::q99, &PhaseBands::q99},
};

void BandTracker::Shift(std::size_t k, const Level& level, double delta) {
    (bands_.*level.plain)[k] += delta;
    if (!bands_.phase.active()) return;
    const std::size_t groups = bands_.phase.groups();
    std::vector<double>& cells = bands_.phase.*level.by_phase;
    for (std::size_t g = 0; g < groups; ++g) cells[k * groups + g] += delta;
}

void BandTracker::Observe(std::size_t step, double error, UnixSeconds ts, double forecast) {
    if (step >= bands_.q90.size() || !std::isfinite(error)) return;
    recent_scale_[step] += kRecentWeight * (std::abs(error) - recent_scale_[step]);
    const double eta = rate_ * std::max(floor_scale_[step], recent_scale_[step]);
    const double observed[3] = {bands_.Offset90(step, ts, forecast), bands_.Offset95(step, ts, forecast),
                                bands_.Offset99(step, ts, forecast)};
    for (int i = 0; i < 3; ++i)
        Shift(step, kLevels[i], eta * ((error > observed[i] ? 1.0 : 0.0) - (1.0 - kLevels[i].value)));
    // A higher band never sits under a lower one.
    const std::size_t groups = bands_.phase.groups();
    for (int i = 1; i < 3; ++i) {
        std::vector<double>& upper = bands_.*kLevels[i].plain;
        upper[step] = std::max(upper[step], (bands_.*kLevels[i - 1].plain)[step]);
        std::vector<double>& upper_cells = bands_.phase.*kLevels[i].by_phase;
        const std::vector<double>& lower_cells = bands_.phase.*kLevels[i - 1].by_phase;
        for (std::size_t at = step * groups; at < (step + 1) * groups; ++at)
            upper_cells[at] = std::max(upper_cells[at], lower_cells[at]);
    }
}

void BandTracker::ObserveArrival(std::size_t index, UnixSeconds ts, double actual, std::span<const double> forecasts,
                                 std::size_t first_origin) {
    const std::size_t h = bands_.q90.size();
    for (std::size_t k = 0; k < h && index >= first_origin + k; ++k) {
        const std::size_t at = (index - k - first_origin) * h + k;
        if (at < forecasts.size()) Observe(k, actual - forecasts[at], ts, forecasts[at]);
    }
}

LiveScore ScoreForecasts(std::span<const double> values, std::span<const std::uint8_t> missing,
                         std::span<const double> forecasts, std::size_t forecasts_origin, std::size_t first,
                         std::size_t end, std::size_t horizon) {
    LiveScore live;
    double abs_error = 0.0, naive_abs_error = 0.0, abs_actual = 0.0;
    first = std::max<std::size_t>(first, 1);  // an origin has history
    for (std::size_t j = first; j < end; ++j) {
        if (j < missing.size() && missing[j]) continue;  // a filled gap is no actual
        // The forecasts of value j: from origin j - k at step k; the last value known there is values[j - k - 1].
        for (std::size_t k = 0; k < horizon && j >= first + k; ++k) {
            const std::size_t at = (j - k - forecasts_origin) * horizon + k;
            if (at >= forecasts.size() || !std::isfinite(forecasts[at])) continue;
            abs_error += std::abs(values[j] - forecasts[at]);
            naive_abs_error += std::abs(values[j] - values[j - k - 1]);
            abs_actual += std::abs(values[j]);
        }
        ++live.actuals;
    }
    if (live.actuals > 0 && abs_actual > 0) {
        live.accuracy = 1.0 - abs_error / abs_actual;
        live.naive_accuracy = 1.0 - naive_abs_error / abs_actual;
    }
    return live;
}

Tracked TrackTrainedModel(const TrainedModel& trained, const RegularSeries& history, std::size_t steps,
                          double rate, std::size_t since_training) {
    const std::vector<double>& y = history.values;
    const std::size_t n = y.size();
    const std::size_t h = trained.bands.q90.size();
    Tracked out;
    out.bands = trained.bands;
    if (steps == 0 || n < 2 || h == 0 || !trained.point) return out;
    const std::size_t first = n > steps ? n - steps : 1;
    std::vector<double> forecasts;  // origin t, step k at (t - first) * h + k
    if (trained.Reweighs() && since_training > 0) {
        const std::size_t fresh = std::min(first, n > since_training ? n - since_training : 1);
        Reweighed reweighed = ForecastReweighed(*trained.point, trained.weights, history.start, y, history.missing,
                                                first, fresh, static_cast<int>(h), history.step);
        if (!reweighed.forecasts.empty()) forecasts = std::move(reweighed.forecasts);
        if (reweighed.refits > 0) {
            out.weights = std::move(reweighed.weights);
            out.reweighings = reweighed.refits;
        }
    }
    if (forecasts.empty())
        trained.point->ForecastFromOriginsAt(history.start, y, first, static_cast<int>(h), forecasts);
    BandTracker tracker(trained.bands, rate);
    BandCoverage coverage;
    for (std::size_t j = first; j < n; ++j) {
        if (history.IsMissing(j)) continue;  // a filled gap is no actual
        // Coverage by the bands in force before this actual moves them, as the backtest measures it.
        const Calibration& bands = tracker.Bands();
        const UnixSeconds ts = history.TimeOf(j);
        for (std::size_t k = 0; k < h && j >= first + k; ++k) {
            const double f = forecasts[(j - k - first) * h + k];
            if (!std::isfinite(f)) continue;
            coverage.Add(bands, k, ts, f, y[j]);
        }
        tracker.ObserveArrival(j, ts, y[j], forecasts, first);
    }
    out.bands = tracker.Bands();
    out.live = ScoreForecasts(y, history.missing, forecasts, first, first, n, h);
    const double none = std::numeric_limits<double>::quiet_NaN();  // no actual yet: nothing to say
    out.live.coverage_p90 = coverage.Share(coverage.p90, none);
    out.live.coverage_p95 = coverage.Share(coverage.p95, none);
    out.live.coverage_p99 = coverage.Share(coverage.p99, none);
    return out;
}

}  // namespace cloudopt
