#pragma once
// Token buckets keyed by a string (a client address, a token id): `rate` requests per second on average with
// bursts up to `burst`. Thread-safe. Memory is bounded: idle buckets (full again) are dropped when the table
// grows past `max_keys`.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace cloudopt::security {

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;
    RateLimiter(double rate_per_second, double burst, std::size_t max_keys = 100000);

    // nullopt when allowed (and counted); otherwise the whole seconds to wait, for Retry-After (at least 1).
    std::optional<int> Take(const std::string& key, Clock::time_point now = Clock::now());

private:
    struct Bucket {
        double tokens;
        Clock::time_point updated;
    };
    void Prune(Clock::time_point now);
    double rate_;
    double burst_;
    std::size_t max_keys_;
    std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
};

// Slows down password guessing: after 5 failures for a user name or a client address within 15 minutes, further
// attempts for it are refused for a lockout that doubles with each further failure (1 s up to 15 min). A success
// clears the user name's record.
class LoginThrottle {
public:
    using Clock = std::chrono::steady_clock;
    // nullopt when an attempt may proceed; otherwise seconds to wait.
    std::optional<int> Check(const std::string& user, const std::string& address, Clock::time_point now = Clock::now());
    void Failed(const std::string& user, const std::string& address, Clock::time_point now = Clock::now());
    void Succeeded(const std::string& user);

private:
    struct Record {
        int failures = 0;
        Clock::time_point first_failure;
        Clock::time_point locked_until;
    };
    std::optional<int> CheckOne(const std::string& key, Clock::time_point now);
    void FailOne(const std::string& key, Clock::time_point now);
    std::mutex mutex_;
    std::unordered_map<std::string, Record> records_;
};

}  // namespace cloudopt::security
