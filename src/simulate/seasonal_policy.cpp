#include "simulate/seasonal_policy.hpp"

#include <algorithm>
#include <cmath>

#include "allocate/capacity_planner.hpp"

namespace cloudopt {

namespace {
constexpr UnixSeconds kHour = 3600;
constexpr long long kHoursPerDay = 24;
}  // namespace

SeasonalPolicy::SeasonalPolicy(const RegularSeries& series, double c, SeasonalPolicyOptions options)
    : series_(series), c_(c), options_(options) {}

double SeasonalPolicy::HourMean(long long hour, std::size_t before, bool& found) const {
    found = false;
    const UnixSeconds from = hour * kHour, to = from + kHour;
    if (series_.step <= 0 || to <= series_.start) return 0.0;
    const auto index_of = [&](UnixSeconds t) {
        return t <= series_.start ? std::size_t{0} : static_cast<std::size_t>((t - series_.start) / series_.step);
    };
    const std::size_t lo = index_of(from), hi = std::min(before, index_of(to));
    double sum = 0.0;
    std::size_t n = 0;
    for (std::size_t i = lo; i < hi && i < series_.values.size(); ++i) {
        if (series_.IsMissing(i)) continue;
        sum += series_.values[i];
        ++n;
    }
    found = n > 0;
    return found ? sum / static_cast<double>(n) : 0.0;
}

int SeasonalPolicy::ForecastInstances(std::size_t k) const {
    // Instances launched now for the hour that starts within the scheduling buffer, or the hour in progress.
    const UnixSeconds now = series_.TimeOf(k);
    const long long hour = (now + options_.scheduling_buffer_s) / kHour;
    // AWS needs 24 h of history before it forecasts.
    if (now - series_.start < kHoursPerDay * kHour) return 0;
    double sum = 0.0;
    int days = 0;
    for (int d = 1; d <= options_.history_days; ++d) {
        bool found = false;
        const double mean = HourMean(hour - d * kHoursPerDay, k, found);
        if (!found) continue;
        sum += mean;
        ++days;
    }
    if (days == 0) return 0;
    return InstancesFor(sum / days, c_, options_.target);
}

int SeasonalPolicy::Decide(std::size_t k, int desired, int ready_previous) {
    (void)ready_previous;  // target tracking reads the load, which does not depend on how many served it
    int tracking = desired;
    if (k > 0 && !series_.IsMissing(k - 1)) {
        const int recommendation = std::max(1, InstancesFor(series_.values[k - 1], c_, options_.target));
        recommendations_.emplace_back(k, recommendation);
    }
    while (!recommendations_.empty() &&
           static_cast<UnixSeconds>(k - recommendations_.front().first) * series_.step > options_.scale_in_window_s)
        recommendations_.erase(recommendations_.begin());
    if (!recommendations_.empty()) {
        const int latest = recommendations_.back().second;
        int highest = 0;
        for (const auto& entry : recommendations_) highest = std::max(highest, entry.second);
        tracking = latest > desired ? latest : std::min(desired, highest);
    }
    return std::max({1, tracking, ForecastInstances(k)});
}

}  // namespace cloudopt
