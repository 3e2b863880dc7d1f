#pragma once
// The life of a recommendation (recommend mode): proposed by a pass, it stays open while the plan holds it, and
// leaves "open" exactly once: applied by a user, dismissed, superseded by a plan that differs materially, expired
// (the capacity already matches, or it grew older than max_age), or closed (the resource left recommend mode).
// A dismissed proposal is not made again while the plan proposes the same thing, unless the user chose a snooze
// and it ran out. Every change of status says why and when.
// Thread safety: none of its own beyond the store's; the control loop calls it for one resource at a time, under that
// resource's lock.

#include <optional>
#include <string>

#include "core/action.hpp"
#include "core/error.hpp"
#include "store/store.hpp"

namespace cloudopt {

struct RecommendationOptions {
    UnixSeconds max_age_seconds = 3600;  // an open recommendation older than this expires (loop.recommendation_max_age)
};

// The same proposal, for a person: the same starting capacity and a target within one instance or 10%.
bool SameProposal(const Recommendation& open, int from_capacity, int to_capacity);

class RecommendationLifecycle {
  public:
    RecommendationLifecycle(Store& store, RecommendationOptions options) : store_(store), options_(options) {}

    // A recommend-mode pass planned `proposal` for the resource (nullopt: the plan keeps the current capacity).
    // Returns the recommendation saved now, or nullopt when the open one still stands, the proposal was
    // dismissed before, or there is nothing to propose.
    Result<std::optional<Recommendation>> Propose(ResourceId resource, const std::optional<Recommendation>& proposal,
                                                  UnixSeconds now);
    // Closes the resource's open recommendations: it left recommend mode, or was deleted.
    Status Close(ResourceId resource, const std::string& why, UnixSeconds now);
    // Whether an open recommendation may still be applied at `now` with `current` capacity running: kConflict
    // (and the recommendation expired, saying why) when it grew too old or the capacity already matches.
    Status CheckStillValid(const Recommendation& recommendation, int current, UnixSeconds now);

  private:
    Store& store_;
    RecommendationOptions options_;
};

}  // namespace cloudopt
