#pragma once
// An AWS-style seasonal policy, for the cost/risk frontier (simulate/sweep.hpp): EC2 Auto Scaling's predictive
// scaling in "forecast and scale" mode together with a target-tracking policy, as AWS documents them (AWS does not
// publish its forecasting model, so the forecast here is a stated stand-in):
// - predictive part: an hourly load forecast from up to 14 days of history (at least 24 h), here the mean of the
//   same hour of the day over those days; the hour's capacity is forecast / (c x target), launched a scheduling
//   buffer (300 s, AWS's default) before the hour starts. It only ever raises capacity: AWS's predictive scaling
//   does not scale in on a forecast;
// - target tracking: scales out at once to ceil(load / (c x target)) when the last finished step was above the
//   target, and scales in only to the highest such recommendation of the last 15 minutes (AWS's scale-in alarm
//   waits for 15 datapoints below the target);
// - the fleet is the higher of the two.
// It reads the demand of finished steps only.

#include <cstddef>
#include <vector>

#include "core/sample.hpp"

namespace cloudopt {

struct SeasonalPolicyOptions {
    double target = 0.5;  // target utilization of both parts
    UnixSeconds scheduling_buffer_s = 300;
    int history_days = 14;
    UnixSeconds scale_in_window_s = 900;
};

// One replay's policy state; not thread-safe (one replay owns it). `series` must outlive it.
class SeasonalPolicy {
  public:
    SeasonalPolicy(const RegularSeries& series, double capacity_per_instance, SeasonalPolicyOptions options);
    // The desired count from boundary k on (reads the demand of steps before k only).
    int Decide(std::size_t k, int desired, int ready_previous);
    // The predictive part alone at boundary k: instances the hourly forecast asks for (0 with under a day of
    // history). Exposed for tests.
    int ForecastInstances(std::size_t k) const;

  private:
    // Mean measured load of hour `hour` (unix hours), from steps before `before` only; nullopt without data.
    double HourMean(long long hour, std::size_t before, bool& found) const;

    const RegularSeries& series_;
    double c_;
    SeasonalPolicyOptions options_;
    std::vector<std::pair<std::size_t, int>> recommendations_;  // (boundary, target-tracking count), recent ones
};

}  // namespace cloudopt
