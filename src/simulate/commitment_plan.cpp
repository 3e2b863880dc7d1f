#include "simulate/commitment_plan.hpp"

#include <algorithm>

namespace cloudopt {

namespace {

// Hours at or above each count, of one path: above[k] for k in [0, peak].
double HoursAtLeast(const std::map<int, double>& hours, int k) {
    double sum = 0.0;
    for (auto it = hours.lower_bound(k); it != hours.end(); ++it) sum += it->second;
    return sum;
}

double UsedCommittedHours(const std::map<int, double>& hours, int k) {  // sum over hours of min(n, k)
    double sum = 0.0;
    for (const auto& [n, h] : hours) sum += std::min(n, k) * h;
    return sum;
}

SpendBand BandOfPaths(std::vector<double> values) {
    if (values.empty()) return {};
    return {Quantile(values, 0.1), Quantile(values, 0.5), Quantile(values, 0.9)};
}

}  // namespace

Result<CommitmentPlan> PlanCommitment(const std::vector<std::map<int, double>>& paths, const CommitmentRates& r) {
    if (paths.empty()) return MakeError(ErrorCode::kInvalidArgument, "commitment planning needs forecast paths");
    if (!(r.on_demand_per_hour > 0) || !(r.committed_per_hour > 0) || r.committed_per_hour >= r.on_demand_per_hour)
        return MakeError(ErrorCode::kInvalidArgument,
                         "commitment planning needs an on-demand rate above a positive committed rate");
    CommitmentPlan plan;
    plan.break_even_utilization = r.committed_per_hour / r.on_demand_per_hour;
    double total_hours = 0.0;
    std::map<int, double> pooled;  // every path's hours at each count
    for (const auto& path : paths)
        for (const auto& [n, h] : path) {
            pooled[n] += h;
            total_hours += h;
            plan.peak = std::max(plan.peak, n);
        }
    if (!(total_hours > 0)) return MakeError(ErrorCode::kInvalidArgument, "the forecast paths hold no hours");
    plan.hours = total_hours / static_cast<double>(paths.size());
    // The highest k held for at least a share of the hours: k is held when P(n >= k) >= share.
    auto held_for = [&](double share) {
        int k = 0;
        for (int candidate = 1; candidate <= plan.peak; ++candidate)
            if (HoursAtLeast(pooled, candidate) >= share * total_hours - 1e-9) k = candidate;
        return k;
    };
    plan.stays_above_p90 = held_for(0.9);
    plan.stays_above_p50 = held_for(0.5);
    // The k-th instance adds p x P(n >= k) - c per hour: worth it while P(n >= k) exceeds c / p.
    int k = 0;
    for (int candidate = 1; candidate <= plan.peak; ++candidate)
        if (HoursAtLeast(pooled, candidate) > plan.break_even_utilization * total_hours + 1e-9) k = candidate;
    plan.recommended = k;
    if (k > 0) plan.expected_utilization = UsedCommittedHours(pooled, k) / (k * total_hours);
    std::vector<double> on_demand, saving;
    for (const auto& path : paths) {
        double hours = 0.0, cost = 0.0;
        for (const auto& [n, h] : path) {
            hours += h;
            cost += n * h * r.on_demand_per_hour;
        }
        on_demand.push_back(cost);
        saving.push_back(r.on_demand_per_hour * UsedCommittedHours(path, k) - r.committed_per_hour * k * hours);
    }
    plan.on_demand_cost = BandOfPaths(std::move(on_demand));
    plan.saving = BandOfPaths(std::move(saving));
    return plan;
}

double CommitmentSaving(const std::vector<int>& instances, double step_hours, int committed, const CommitmentRates& r) {
    double saving = 0.0;
    for (int n : instances)
        saving += (r.on_demand_per_hour * std::min(n, committed) - r.committed_per_hour * committed) * step_hours;
    return saving;
}

}  // namespace cloudopt
