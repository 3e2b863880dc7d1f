#include "control/recommendation_lifecycle.hpp"

#include <algorithm>
#include <cstdlib>

namespace cloudopt {

bool SameProposal(const Recommendation& open, int from_capacity, int to_capacity) {
    const int tolerance = std::max(1, open.to_capacity / 10);
    return open.from_capacity == from_capacity && std::abs(open.to_capacity - to_capacity) <= tolerance;
}

Result<std::optional<Recommendation>> RecommendationLifecycle::Propose(ResourceId resource,
                                                                       const std::optional<Recommendation>& proposal,
                                                                       UnixSeconds now) {
    auto open = store_.ListRecommendations(std::string("open"));
    if (!open) return open.error();
    for (const Recommendation& o : *open) {
        if (o.resource_id != resource) continue;
        if (!proposal) {
            if (Status s = store_.SetRecommendationStatus(o.id, "expired", "the plan keeps the capacity running", now);
                !s)
                return s.error();
            continue;
        }
        if (now - o.created_at >= options_.max_age_seconds) {
            if (Status s = store_.SetRecommendationStatus(
                    o.id, "expired", "older than " + std::to_string(options_.max_age_seconds / 60) + " minutes", now);
                !s)
                return s.error();
            continue;
        }
        if (SameProposal(o, proposal->from_capacity, proposal->to_capacity))
            return std::optional<Recommendation>();  // it stands
    }
    if (!proposal) return std::optional<Recommendation>();
    // Dismissed: not proposed again while the plan says the same thing, or until the snooze the user chose ends.
    auto dismissed = store_.ListRecommendations(std::string("dismissed"));
    if (!dismissed) return dismissed.error();
    for (const Recommendation& d : *dismissed) {
        if (d.resource_id != resource || !SameProposal(d, proposal->from_capacity, proposal->to_capacity)) continue;
        if (d.snooze_until == 0 || now < d.snooze_until) return std::optional<Recommendation>();
    }
    // Saving supersedes the resource's open one, if any ("a newer plan differs").
    auto saved = store_.SaveRecommendation(*proposal);
    if (!saved) return saved.error();
    return std::optional<Recommendation>(*saved);
}

Status RecommendationLifecycle::Close(ResourceId resource, const std::string& why, UnixSeconds now) {
    auto open = store_.ListRecommendations(std::string("open"));
    if (!open) return open.error();
    for (const Recommendation& o : *open) {
        if (o.resource_id != resource) continue;
        if (Status s = store_.SetRecommendationStatus(o.id, "closed", why, now); !s) return s;
    }
    return Status::Ok();
}

Status RecommendationLifecycle::CheckStillValid(const Recommendation& r, int current, UnixSeconds now) {
    std::string why;
    if (now - r.created_at >= options_.max_age_seconds)
        why = "older than " + std::to_string(options_.max_age_seconds / 60) + " minutes";
    else if (current == r.to_capacity)
        why = "the capacity already is " + std::to_string(current);
    if (why.empty()) return Status::Ok();
    if (Status s = store_.SetRecommendationStatus(r.id, "expired", why, now); !s) return s;
    return MakeError(ErrorCode::kConflict, "recommendation " + std::to_string(r.id) + " expired (" + why +
                                               "); GET /api/resources/recommendations has the current one");
}

}  // namespace cloudopt
