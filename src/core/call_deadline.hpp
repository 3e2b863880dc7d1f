#pragma once
// A deadline for the outside calls a thread makes within a scope (issue 31 item 2): a replica plans a resource only
// while it holds the resource's lease, and a cloud call made under the lease must not land after another replica
// took the lease over. The control loop opens a CallDeadline::Scope ending at the lease's local deadline around a
// resource's pass; the outbound HTTP client (providers/http_client.hpp) caps each attempt's timeout and its retries
// by the time left, and refuses to start a call once it has passed. Adapters that do not go through the HTTP
// client check Expired() before acting.
//
// Thread-safety: the deadline is the calling thread's own (thread_local); scopes nest, the nearest deadline wins.

#include <algorithm>
#include <chrono>
#include <optional>

namespace cloudopt {

class CallDeadline {
  public:
    using Time = std::chrono::steady_clock::time_point;

    // The deadline in force on this thread, if any.
    static std::optional<Time> Current() { return Slot(); }
    // Time left before it (zero once passed); none without a deadline.
    static std::optional<std::chrono::milliseconds> Remaining() {
        if (!Slot()) return std::nullopt;
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(*Slot() - std::chrono::steady_clock::now());
        return std::max(left, std::chrono::milliseconds(0));
    }
    static bool Expired() {
        auto left = Remaining();
        return left && left->count() <= 0;
    }

    // Sets the deadline (the earlier of it and an enclosing scope's) until the scope ends. None: no change.
    class Scope {
      public:
        explicit Scope(std::optional<Time> deadline) : previous_(Slot()) {
            if (deadline && (!previous_ || *deadline < *previous_)) Slot() = deadline;
        }
        ~Scope() { Slot() = previous_; }
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

      private:
        std::optional<Time> previous_;
    };

  private:
    static std::optional<Time>& Slot() {
        thread_local std::optional<Time> deadline;
        return deadline;
    }
};

}  // namespace cloudopt
