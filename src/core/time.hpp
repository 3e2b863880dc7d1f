#pragma once
// Time is integer unix seconds (UTC) everywhere in the domain: samples, forecasts, actions.
// A Clock is injected wherever "now" matters so tests and the demo can drive time.

#include <chrono>
#include <cstdint>
#include <mutex>

namespace cloudopt {

using UnixSeconds = std::int64_t;

class Clock {
public:
    virtual ~Clock() = default;
    virtual UnixSeconds Now() const = 0;
};

class SystemClock final : public Clock {
public:
    UnixSeconds Now() const override {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
};

// A clock the test (or anyone) moves by hand. Thread-safe.
class ManualClock final : public Clock {
public:
    explicit ManualClock(UnixSeconds start) : now_(start) {}
    UnixSeconds Now() const override {
        std::lock_guard lock(mutex_);
        return now_;
    }
    void Set(UnixSeconds t) {
        std::lock_guard lock(mutex_);
        now_ = t;
    }
    void Advance(UnixSeconds seconds) {
        std::lock_guard lock(mutex_);
        now_ += seconds;
    }

private:
    mutable std::mutex mutex_;
    UnixSeconds now_;
};

// Replays time faster than real time: simulated now = origin + speed * (real elapsed). Used by --demo so the
// control loop acts visibly within a minute; speed 1 is real time.
class ScaledClock final : public Clock {
public:
    // Simulated time starts at `origin` (e.g. where a previous demo run left off) and runs `speed` times faster.
    ScaledClock(UnixSeconds origin, double speed)
        : origin_(origin), speed_(speed), start_(std::chrono::steady_clock::now()) {}
    UnixSeconds Now() const override {
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        return origin_ + static_cast<UnixSeconds>(elapsed * speed_);
    }

private:
    UnixSeconds origin_;
    double speed_;
    std::chrono::steady_clock::time_point start_;
};

// Rounds down to a multiple of step (step > 0), correct for negative times too.
inline UnixSeconds FloorTo(UnixSeconds t, UnixSeconds step) {
    const UnixSeconds r = t % step;
    return r < 0 ? t - r - step : t - r;
}

}  // namespace cloudopt
