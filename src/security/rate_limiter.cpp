#include "security/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace cloudopt::security {

namespace {
constexpr int kFreeFailures = 5;
constexpr auto kFailureWindow = std::chrono::minutes(15);
constexpr double kMaxLockoutSeconds = 15 * 60;
constexpr std::size_t kMaxLoginRecords = 100000;
}  // namespace

RateLimiter::RateLimiter(double rate_per_second, double burst, std::size_t max_keys)
    : rate_(rate_per_second), burst_(std::max(1.0, burst)), max_keys_(max_keys) {}

std::optional<int> RateLimiter::Take(const std::string& key, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_keys_) Prune(now);
        it = buckets_.emplace(key, Bucket{burst_, now}).first;
    }
    Bucket& b = it->second;
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    if (elapsed > 0) {
        b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
        b.updated = now;
    }
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return std::nullopt;
    }
    return std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / rate_)));
}

void RateLimiter::Prune(Clock::time_point now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        const double elapsed = std::chrono::duration<double>(now - it->second.updated).count();
        if (it->second.tokens + elapsed * rate_ >= burst_)
            it = buckets_.erase(it);
        else
            ++it;
    }
    // Still full (a flood from many addresses): start over rather than grow without bound.
    if (buckets_.size() >= max_keys_) buckets_.clear();
}

std::optional<int> LoginThrottle::CheckOne(const std::string& key, Clock::time_point now) {
    auto it = records_.find(key);
    if (it == records_.end() || now >= it->second.locked_until) return std::nullopt;
    return std::max(1, static_cast<int>(std::ceil(std::chrono::duration<double>(it->second.locked_until - now).count())));
}

std::optional<int> LoginThrottle::Check(const std::string& user, const std::string& address, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto a = CheckOne("u:" + user, now);
    auto b = CheckOne("a:" + address, now);
    if (a && b) return std::max(*a, *b);
    return a ? a : b;
}

void LoginThrottle::FailOne(const std::string& key, Clock::time_point now) {
    if (records_.size() >= kMaxLoginRecords) records_.clear();
    Record& r = records_[key];
    if (r.failures == 0 || now - r.first_failure > kFailureWindow) {
        r = Record{};
        r.first_failure = now;
    }
    ++r.failures;
    if (r.failures >= kFreeFailures) {
        const double seconds = std::min(kMaxLockoutSeconds, std::pow(2.0, r.failures - kFreeFailures));
        r.locked_until = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    }
}

void LoginThrottle::Failed(const std::string& user, const std::string& address, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    FailOne("u:" + user, now);
    FailOne("a:" + address, now);
}

void LoginThrottle::Succeeded(const std::string& user) {
    std::lock_guard lock(mutex_);
    records_.erase("u:" + user);
}

}  // namespace cloudopt::security
