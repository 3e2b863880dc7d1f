#include "anomaly/time_of_day_channel.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cloudopt {

namespace {
constexpr std::int64_t kSecondsPerDay = 86400;
}  // namespace

TimeOfDayChannel::TimeOfDayChannel(const TimeOfDaySettings& settings) : settings_(settings) {
    settings_.block_seconds = std::clamp<std::int64_t>(settings_.block_seconds, 1, kSecondsPerDay);
    settings_.mean_points = std::max<std::size_t>(settings_.mean_points, 1);
    settings_.per_block = std::max<std::size_t>(settings_.per_block, 1);
    blocks_ = static_cast<std::size_t>((kSecondsPerDay + settings_.block_seconds - 1) / settings_.block_seconds);
    recent_.assign(settings_.mean_points, 0.0);
    levels_.assign(blocks_ * settings_.per_block, 0.0);
    written_.assign(blocks_, 0);
}

std::size_t TimeOfDayChannel::BlockOf(std::int64_t unix_seconds) const {
    std::int64_t second_of_day = unix_seconds % kSecondsPerDay;
    if (second_of_day < 0) second_of_day += kSecondsPerDay;
    return std::min(static_cast<std::size_t>(second_of_day / settings_.block_seconds), blocks_ - 1);
}

double TimeOfDayChannel::Update(double value, std::int64_t unix_seconds) {
    recent_[seen_ % recent_.size()] = value;
    ++seen_;
    if (seen_ < recent_.size()) return -1.0;
    // Summed afresh each time (mean_points additions): a running sum would drift over millions of points.
    double sum = 0.0;
    for (const double v : recent_) sum += v;
    const double level = sum / static_cast<double>(recent_.size());

    const std::size_t block = BlockOf(unix_seconds);
    const std::size_t per_block = settings_.per_block;
    double* ring = &levels_[block * per_block];
    const std::size_t stored = std::min(written_[block], per_block);
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t slot = 0; slot < stored; ++slot) best = std::min(best, std::fabs(ring[slot] - level));
    ring[written_[block] % per_block] = level;
    ++written_[block];
    return stored >= 2 ? best : -1.0;
}

}  // namespace cloudopt
