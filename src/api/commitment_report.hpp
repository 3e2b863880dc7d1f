#pragma once
// What GET /api/costs/commitments serves (docs/COSTS.md "Commitments"): per resource, how many of its instances
// to commit to for a year (1-year, no upfront, at the catalog's commit_1y rate) from the forecast of the next 30
// days (simulate/commitment_plan.hpp), with the break-even utilization, the instances it stays above most of the
// time, the expected saving and its band. Reads the store and the loop's catalog; thread-safe as they are; run off
// the I/O threads (a spend forecast per resource).

#include <optional>
#include <string>
#include <vector>

#include "control/control_loop.hpp"
#include "simulate/commitment_plan.hpp"
#include "store/store.hpp"

namespace cloudopt::api {

struct CommitmentAdvice {
    std::string resource;
    std::string provider;
    std::string instance_type;
    std::string offer;  // the catalog's commit_1y_offer: which commitment, its source
    CommitmentRates rates;
    std::optional<CommitmentPlan> plan;
    std::string note;  // why there is no plan (no commitment price, too little history)
};

struct CommitmentReport {
    UnixSeconds now = 0, from = 0, to = 0;  // the forecast span the plans are measured on
    std::vector<CommitmentAdvice> resources;
};

Result<CommitmentReport> ComputeCommitmentReport(Store& store, const ControlLoop& loop, UnixSeconds now,
                                                 int paths = 200);

}  // namespace cloudopt::api
