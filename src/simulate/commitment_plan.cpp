#include "simulate/commitment_plan.hpp"

#include <algorithm>
#include <numeric>

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

double MeanOfPaths(const std::vector<double>& values) {
    if (values.empty()) return 0.0;
    return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
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
    plan.expected_saving = MeanOfPaths(saving);
    plan.saving = BandOfPaths(std::move(saving));
    return plan;
}

double CommitmentSaving(const std::vector<int>& instances, double step_hours, int committed, const CommitmentRates& r) {
    double saving = 0.0;
    for (int n : instances)
        saving += (r.on_demand_per_hour * std::min(n, committed) - r.committed_per_hour * committed) * step_hours;
    return saving;
}

Result<InstancePaths> InstancePathsOf(const SpendPaths& forecast) {
    if (forecast.path_instances.empty() || forecast.instance_step <= 0)
        return MakeError(ErrorCode::kInvalidArgument,
                         "the spend forecast kept no instance counts per step (SpendOptions::instance_steps)");
    InstancePaths out;
    out.paths = forecast.path_instances;
    for (UnixSeconds t = forecast.from; t < forecast.to; t += forecast.instance_step)
        out.step_hours.push_back(static_cast<double>(std::min(forecast.instance_step, forecast.to - t)) / 3600.0);
    for (const auto& path : out.paths)
        if (path.size() != out.step_hours.size())
            return MakeError(ErrorCode::kInvalidArgument, "a forecast path's steps do not cover its span");
    return out;
}

Status AddInstancePaths(InstancePaths& sum, const InstancePaths& part) {
    if (sum.paths.empty()) {
        sum = part;
        return Status::Ok();
    }
    if (part.paths.size() != sum.paths.size() || part.step_hours != sum.step_hours)
        return MakeError(ErrorCode::kInvalidArgument,
                         "instance paths of different path counts or steps cannot be pooled (" +
                             std::to_string(part.paths.size()) + " paths of " + std::to_string(part.step_hours.size()) +
                             " steps against " + std::to_string(sum.paths.size()) + " of " +
                             std::to_string(sum.step_hours.size()) + ")");
    for (std::size_t path = 0; path < sum.paths.size(); ++path) {
        if (part.paths[path].size() != sum.paths[path].size())
            return MakeError(ErrorCode::kInvalidArgument, "instance paths of different lengths cannot be pooled");
        for (std::size_t step = 0; step < sum.paths[path].size(); ++step)
            sum.paths[path][step] += part.paths[path][step];
    }
    return Status::Ok();
}

std::vector<std::map<int, double>> HoursPerCount(const InstancePaths& fleet) {
    std::vector<std::map<int, double>> out;
    out.reserve(fleet.paths.size());
    for (const auto& path : fleet.paths) {
        std::map<int, double> hours;
        for (std::size_t step = 0; step < path.size() && step < fleet.step_hours.size(); ++step)
            hours[path[step]] += fleet.step_hours[step];
        out.push_back(std::move(hours));
    }
    return out;
}

std::vector<double> PathSavings(const InstancePaths& fleet, int committed, const CommitmentRates& r) {
    std::vector<double> out;
    out.reserve(fleet.paths.size());
    for (const auto& path : fleet.paths) {
        double saving = 0.0;
        for (std::size_t step = 0; step < path.size() && step < fleet.step_hours.size(); ++step)
            saving += (r.on_demand_per_hour * std::min(path[step], committed) - r.committed_per_hour * committed) *
                      fleet.step_hours[step];
        out.push_back(saving);
    }
    return out;
}

Result<PooledCommitmentPlan> PlanPooledCommitment(const InstancePaths& pool,
                                                  const std::vector<double>& members_path_saving, int members_committed,
                                                  const CommitmentRates& rates) {
    if (members_path_saving.size() != pool.paths.size())
        return MakeError(ErrorCode::kInvalidArgument, "the members' savings must have one value per pool path");
    auto plan = PlanCommitment(HoursPerCount(pool), rates);
    if (!plan) return plan.error();
    PooledCommitmentPlan out;
    out.plan = std::move(*plan);
    out.members_committed = members_committed;
    out.members_saving = BandOfPaths(members_path_saving);
    out.members_expected_saving = MeanOfPaths(members_path_saving);
    std::vector<double> gain = PathSavings(pool, out.plan.recommended, rates);
    for (std::size_t path = 0; path < gain.size(); ++path) gain[path] -= members_path_saving[path];
    out.expected_gain = MeanOfPaths(gain);
    out.gain = BandOfPaths(std::move(gain));
    return out;
}

PastCommitmentSaving SavingOverRecord(const std::vector<double>& instances, double step_hours, int committed,
                                      const CommitmentRates& r) {
    PastCommitmentSaving out;
    for (double n : instances) {
        out.hours += step_hours;
        out.on_demand_cost += r.on_demand_per_hour * n * step_hours;
        out.saving +=
            (r.on_demand_per_hour * std::min(n, static_cast<double>(committed)) - r.committed_per_hour * committed) *
            step_hours;
    }
    return out;
}

}  // namespace cloudopt
