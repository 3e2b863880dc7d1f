#pragma once
// What GET /api/costs/commitments serves (docs/COSTS.md "Commitments"): how many instances to commit to for a year
// (1-year, no upfront, at the catalog's commit_1y rate) from the forecast of the next 30 days
// (simulate/commitment_plan.hpp), with the break-even utilization, the instances the fleet stays above most of the
// time, the expected saving and its band:
//   - per pool, what to buy: a real commitment covers every matching instance of the account, so the resources of
//     one provider and instance type are planned as one fleet (their forecast counts summed path-wise), against the
//     sum of their own plans;
//   - per resource, its own plan and the pool it belongs to;
//   - for both, what the recommended commitment would have saved over the recorded past (the last 30 days of the
//     capacity the loop recorded, or what exists), bought at its start: computed from what ran, not a forecast.
// Reads the store and the loop's catalog; thread-safe as they are; run off the I/O threads (a spend forecast per
// resource).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "control/control_loop.hpp"
#include "simulate/commitment_plan.hpp"
#include "store/store.hpp"

namespace cloudopt::api {

// What a commitment would have saved over the record of what ran.
struct CommitmentPast {
    UnixSeconds from = 0, to = 0;  // the recorded span (whole hours)
    PastCommitmentSaving saving;
};

struct CommitmentAdvice {
    std::string resource;
    std::string provider;
    std::string instance_type;
    std::string offer;  // the catalog's commit_1y_offer: which commitment, its source
    std::string pool;   // "provider/instance_type" of the pool it belongs to (with a plan)
    CommitmentRates rates;
    std::optional<CommitmentPlan> plan;
    std::string note;  // why there is no plan (no commitment price, too little history)
    std::optional<CommitmentPast> past;
    std::string past_note;  // no capacity recorded, or how little
};

struct CommitmentPoolAdvice {
    std::string pool;  // "provider/instance_type"
    std::string provider, instance_type, offer;
    CommitmentRates rates;
    std::vector<std::string> members;  // the resources planned in it, by name
    std::optional<PooledCommitmentPlan> plan;
    std::string note;
    std::optional<CommitmentPast> past;
    std::string past_note;
};

struct CommitmentReport {
    UnixSeconds now = 0, from = 0, to = 0;  // the forecast span the plans are measured on
    UnixSeconds record_from = 0;            // the past the "would have saved" figures may cover (30 days back)
    std::vector<CommitmentAdvice> resources;
    std::vector<CommitmentPoolAdvice> pools;  // by provider, then instance type
};

Result<CommitmentReport> ComputeCommitmentReport(Store& store, const ControlLoop& loop, UnixSeconds now,
                                                 int paths = 200);

// The API's body (src/api/openapi.json "CommitmentReport").
nlohmann::json CommitmentReportJson(const CommitmentReport& report);

}  // namespace cloudopt::api
