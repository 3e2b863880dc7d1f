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
// paths.
//
// Pools: a real commitment covers every matching instance of the account (an EC2 Instance Savings Plan the family in
// its region, an Azure reservation with shared scope, a GCP CUD the region's machines), so the resources of one
// provider and instance type are planned as one fleet: their forecast instance counts summed step by step within
// each path (path i of every resource draws the same past days), and the pool's k planned on that sum. Peaks that
// do not coincide leave the sum steadier than its parts, so the pool commits at least what is worth committing; its
// expected saving is never below that of its members' own plans (their summed k is one of the pool's choices, and it
// covers at least as many hours on the sum as on the parts). Pure functions; thread-safe.

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
    double expected_saving = 0.0;       // its mean over the paths: what k maximizes
};

// kInvalidArgument without paths, hours or a committed rate below the on-demand one.
Result<CommitmentPlan> PlanCommitment(const std::vector<std::map<int, double>>& path_instance_hours,
                                      const CommitmentRates& rates);

// What committing `committed` instances saved (negative: cost) against paying on demand, over a fleet that ran
// `instances[i]` instances for `step_hours` each.
double CommitmentSaving(const std::vector<int>& instances, double step_hours, int committed,
                        const CommitmentRates& rates);

// --- pools ---

// A fleet's forecast instance counts: paths[path][step], each step lasting step_hours[step] (the last may be short).
struct InstancePaths {
    std::vector<std::vector<int>> paths;
    std::vector<double> step_hours;
};

// From a spend forecast made with SpendOptions::instance_steps (kInvalidArgument without them).
Result<InstancePaths> InstancePathsOf(const SpendPaths& forecast);
// Adds `part` to `sum` step by step within each path (an empty `sum` becomes `part`); kInvalidArgument when their
// path counts or steps differ.
Status AddInstancePaths(InstancePaths& sum, const InstancePaths& part);
// Per path, the hours at each count: what PlanCommitment reads.
std::vector<std::map<int, double>> HoursPerCount(const InstancePaths& fleet);
// Per path, what committing `committed` instances saves over the span (USD; negative: it costs).
std::vector<double> PathSavings(const InstancePaths& fleet, int committed, const CommitmentRates& rates);

struct PooledCommitmentPlan {
    CommitmentPlan plan;        // the pool's own: planned on its members' summed counts
    int members_committed = 0;  // the sum of its members' own plans' k
    SpendBand members_saving;   // their savings summed path-wise, p10/p50/p90
    double members_expected_saving = 0.0;
    SpendBand gain;              // the pool's saving less its members' summed, path-wise
    double expected_gain = 0.0;  // its mean: not below 0 (see above)
};

// The pool's plan from its summed counts, against its members' own plans: `members_path_saving[path]` is the sum of
// each member's PathSavings with its own k (kInvalidArgument when its length is not the pool's path count).
Result<PooledCommitmentPlan> PlanPooledCommitment(const InstancePaths& pool,
                                                  const std::vector<double>& members_path_saving, int members_committed,
                                                  const CommitmentRates& rates);

// --- what a commitment would have saved over what ran ---

struct PastCommitmentSaving {
    double hours = 0.0;           // the record's span
    double on_demand_cost = 0.0;  // what it ran, all on demand (USD)
    double saving = 0.0;          // what `committed` instances bought at the record's start would have saved
};

// Over a record of what ran: `instances[i]` the mean instances of hour-long (or `step_hours`) step i, fractional
// because a fleet changes within an hour. A commitment is applied per clock-hour to that hour's instance-hours, so a
// step's covered usage is min(mean, k): exact for hourly steps.
PastCommitmentSaving SavingOverRecord(const std::vector<double>& instances, double step_hours, int committed,
                                      const CommitmentRates& rates);

}  // namespace cloudopt
