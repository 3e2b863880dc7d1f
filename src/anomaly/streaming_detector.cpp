#include "anomaly/streaming_detector.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cloudopt {

namespace {
// A flat series has no range yet: any distance then counts against this floor instead of dividing by zero.
constexpr double kMinRange = 1e-9;
}  // namespace

StreamingDetector::Channel::Channel(const PatternChannel& shape, std::size_t memory)
    : shape_{std::max<std::size_t>(shape.window, 1), std::max<std::size_t>(shape.paa, 1), shape.weight},
      memory_(std::max<std::size_t>(memory, 1)),
      recent_(shape_.window * shape_.paa, 0.0),
      patterns_(shape_.window * memory_, 0.0),
      current_(shape_.window, 0.0) {}

double StreamingDetector::Channel::NearestSquared(std::size_t first_slot, std::size_t end_slot) const {
    const std::size_t w = shape_.window;
    double best = std::numeric_limits<double>::infinity();
    if (w == 1) {
        const double x = current_[0];
        for (std::size_t slot = first_slot; slot < end_slot; ++slot) {
            const double diff = patterns_[slot] - x;
            best = std::min(best, diff * diff);
        }
        return best;
    }
    for (std::size_t slot = first_slot; slot < end_slot; ++slot) {
        const double* pattern = &patterns_[slot * w];
        double d = 0.0;
        for (std::size_t i = 0; i < w; ++i) {
            const double diff = pattern[i] - current_[i];
            d += diff * diff;
        }
        best = std::min(best, d);
    }
    return best;
}

double StreamingDetector::Channel::Update(double value) {
    const std::size_t w = shape_.window;
    const std::size_t span = w * shape_.paa;
    recent_[seen_ % span] = value;
    ++seen_;
    if (seen_ < span) return -1.0;
    for (std::size_t i = 0; i < w; ++i) {
        double sum = 0.0;
        for (std::size_t j = 0; j < shape_.paa; ++j) sum += recent_[(seen_ + i * shape_.paa + j) % span];
        current_[i] = sum / static_cast<double>(shape_.paa);
    }
    // The last `span` patterns are left out: those that overlap the current one would match it trivially, and
    // leaving out one more (for the value alone: the value before) keeps the second point of a jump new, so an
    // incident two points long is judged on its larger point. The rest lie before slot next_ in the ring.
    const std::size_t excluded = std::min(stored_, span);
    const std::size_t usable = stored_ - excluded;
    double best = std::numeric_limits<double>::infinity();
    if (usable > 0) {
        // Usable slots, oldest first: from (next_ - stored_) mod memory for `usable` slots.
        const std::size_t first = (next_ + memory_ - stored_) % memory_;
        const std::size_t end = first + usable;
        if (end <= memory_) {
            best = NearestSquared(first, end);
        } else {
            best = std::min(NearestSquared(first, memory_), NearestSquared(0, end - memory_));
        }
    }
    std::copy(current_.begin(), current_.end(), patterns_.begin() + static_cast<std::ptrdiff_t>(next_ * w));
    next_ = (next_ + 1) % memory_;
    stored_ = std::min(stored_ + 1, memory_);
    if (usable == 0) return -1.0;
    return std::sqrt(best / static_cast<double>(w));
}

double StreamingDetector::RestPeriod::Pass(double evidence, double suppression_factor) {
    const double recent_max = *std::max_element(ring_.begin(), ring_.end());
    ring_[seen_ % ring_.size()] = evidence;
    ++seen_;
    return evidence > recent_max ? evidence : evidence * suppression_factor;
}

StreamingDetector::StreamingDetector(const DetectorSettings& settings)
    : settings_(settings),
      channels_rest_(settings.rest),
      time_of_day_(settings.time_of_day),
      time_of_day_rest_(settings.time_of_day.rest) {
    if (settings_.channels.empty()) settings_.channels.push_back(PatternChannel{});
    channels_.reserve(settings_.channels.size());
    for (const PatternChannel& shape : settings_.channels) channels_.emplace_back(shape, settings_.memory);
}

double StreamingDetector::ScoreOfEvidence(double evidence, double evidence_scale) {
    if (!(evidence > 0.0)) return 0.0;
    return 1.0 - std::exp(-evidence / std::max(evidence_scale, 1e-12));
}

double StreamingDetector::Update(double value) {
    const auto at = static_cast<std::int64_t>(calls_) * settings_.implicit_step_seconds;
    return Update(value, at);
}

double StreamingDetector::Update(double value, std::int64_t unix_seconds) {
    ++calls_;
    if (!std::isfinite(value)) {
        last_evidence_ = 0.0;
        return 0.0;
    }
    if (seen_ == 0) max_ = min_ = value;
    ++seen_;
    // The range before this value: a value outside it is judged against what came before.
    const double range = std::max(max_ - min_, kMinRange);
    double evidence = 0.0;
    for (Channel& channel : channels_) {
        const double distance = channel.Update(value);
        if (distance >= 0.0) evidence = std::max(evidence, channel.weight() * distance / range);
    }
    double time_of_day_evidence = 0.0;
    if (settings_.time_of_day.enabled) {
        const double distance = time_of_day_.Update(value, unix_seconds);
        if (distance >= 0.0) time_of_day_evidence = settings_.time_of_day.weight * distance / range;
    }
    max_ = std::max(max_, value);
    min_ = std::min(min_, value);
    last_evidence_ = std::max(evidence, time_of_day_evidence);

    // Each channel has its own rest period: an incident one channel already reported does not silence the other.
    const double passed = std::max(channels_rest_.Pass(evidence, settings_.suppression_factor),
                                   time_of_day_rest_.Pass(time_of_day_evidence, settings_.suppression_factor));
    if (seen_ <= settings_.warmup) return 0.0;
    return ScoreOfEvidence(passed, settings_.evidence_scale);
}

std::vector<double> DetectAnomalies(const std::vector<double>& values, const DetectorSettings& settings) {
    StreamingDetector detector(settings);
    std::vector<double> scores;
    scores.reserve(values.size());
    for (const double value : values) scores.push_back(detector.Update(value));
    return scores;
}

std::vector<double> DetectAnomalies(const std::vector<double>& values, std::span<const std::int64_t> unix_seconds,
                                    const DetectorSettings& settings) {
    if (unix_seconds.size() != values.size()) return DetectAnomalies(values, settings);
    StreamingDetector detector(settings);
    std::vector<double> scores;
    scores.reserve(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) scores.push_back(detector.Update(values[i], unix_seconds[i]));
    return scores;
}

}  // namespace cloudopt
