#pragma once
// Commitment planning (issue 32 item 4, docs/COSTS.md "Commitments"): how many instances of a fleet to commit to
// for a year (AWS Savings Plans / reserved instances, Azure reservations, GCP committed use discounts; 1-year, no
// upfront), from the forecast of how many it will run.
//
// A commitment of k instances is paid every hour (k x the committed rate c) whether used or not; the hours the fleet
// runs more than k are paid on demand (rate p). Against paying everything on demand it saves, per hour,
// p x min(n, k) - c x k. The k-th instance pays for itself when the fleet runs at least k instances for more than
// c / p of the hours: that share is the break-even utilization, and the expected saving is largest at the highest k
// the fleet stays at or above for at least that share of the forecast's hours (the saving is concave in k). The
// forecast is the spend forecast's analog paths (simulate/spend_forecast.hpp, SpendOptions::instance_hours) over
// the next month, taken as what the year's months look like; the band of the saving is its p10/p50/p90 over the
// paths. Pure functions; thread-safe.

#include <map>
#include <vector>

#include "core/error.hpp"
#include "simulate/spend_forecast.hpp"

namespace cloudopt {

struct CommitmentRates {
    double on_demand_per_hour = 0.0;  // one instance, USD
    double committed_per_hour = 0.0;  // one committed instance, USD, paid every hour of the term
};

struct CommitmentPlan {
    double break_even_utilization = 0.0;  // c / p
    // The instances the fleet runs at least, 90% and 50% of the forecast's hours (over all paths).
    int stays_above_p90 = 0;
    int stays_above_p50 = 0;
    int peak = 0;                       // the most it runs in any path
    int recommended = 0;                // k: the commitment with the largest expected saving (0: none pays)
    double expected_utilization = 0.0;  // E[min(n, k)] / k: the share of committed hours used (0 without k)
    double hours = 0.0;                 // of the forecast span, per path
    SpendBand on_demand_cost;           // everything on demand over the span, p10/p50/p90 over the paths
    SpendBand saving;                   // USD over the span with k committed, p10/p50/p90 over the paths
};

// kInvalidArgument without paths, hours or a committed rate below the on-demand one.
Result<CommitmentPlan> PlanCommitment(const std::vector<std::map<int, double>>& path_instance_hours,
                                      const CommitmentRates& rates);

// What committing `committed` instances saved (negative: cost) against paying on demand, over a fleet that ran
// `instances[i]` instances for `step_hours` each.
double CommitmentSaving(const std::vector<int>& instances, double step_hours, int committed,
                        const CommitmentRates& rates);

}  // namespace cloudopt
