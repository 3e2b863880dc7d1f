#include "app/loop_settings.hpp"

#include <algorithm>

namespace cloudopt {

ControlLoopOptions LoopOptionsFrom(const Config& config) {
    ControlLoopOptions o;
    o.engine.tick_seconds = config.tick_seconds;
    o.engine.stabilization_seconds = config.stabilization_seconds;
    o.engine.quantile = ParseQuantileLevel(config.quantile).value_or(QuantileLevel::kP95);
    o.engine.service_level = {config.unmet_budget, config.service_correction_rate};
    o.engine.max_actions_per_resource_per_hour = config.max_actions_per_resource_per_hour;
    o.engine.max_retry_backoff_seconds = config.max_retry_backoff_seconds;
    o.engine.flap_guard = {config.flap_window_seconds,        config.scale_in_hysteresis, config.flap_backoff_max,
                           config.scale_in_lookahead_seconds, config.flap_budget_per_day, config.flap_hold_seconds,
                           config.min_scale_in_share,         config.scale_out_tolerance};
    o.forecast_step = config.forecast_step_seconds;
    o.horizon_steps = config.horizon_steps;
    o.history_seconds = static_cast<UnixSeconds>(config.history_days) * 86400;
    o.train_epochs = config.train_epochs;
    o.lstm_shape = {config.lstm_hidden, config.lstm_layers, config.lstm_window, ParseLstmScale(config.lstm_scale)};
    o.phase_bands = config.phase_bands;
    o.reweigh = config.reweigh;
    o.retrain_seconds = static_cast<UnixSeconds>(config.retrain_hours) * 3600;
    o.band_tracking_seconds = static_cast<UnixSeconds>(config.band_tracking_hours) * 3600;
    o.drift.error_ratio = config.drift_error_ratio;
    o.drift.min_actuals = static_cast<std::size_t>(config.drift_min_hours) * 3600 /
                          static_cast<std::size_t>(config.forecast_step_seconds);
    o.max_actions_per_minute = config.max_actions_per_minute;
    o.recommendation_max_age_seconds = static_cast<UnixSeconds>(config.recommendation_max_age_minutes) * 60;
    // A pass waits on the database's round trips (docs/PERFORMANCE.md, the fleet): on PostgreSQL, as many resources in
    // flight as the store's pool serves with two connections left for the API and the leases. SQLite's calls stay in
    // the process and its writes take one connection: one after another, as before.
    o.parallel_resources = config.parallel_resources > 0       ? config.parallel_resources
                           : config.store_driver == "postgres" ? std::max(1, config.store_max_connections - 2)
                                                               : 1;
    return o;
}

}  // namespace cloudopt
