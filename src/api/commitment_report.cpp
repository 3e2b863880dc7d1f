#include "api/commitment_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace cloudopt::api {

namespace {

constexpr UnixSeconds kCommitDay = 86400;
constexpr int kCommitSpanDays = 30;     // "next month"
constexpr int kCommitHistoryDays = 28;  // as the spend forecast
constexpr int kCommitRecordDays = 30;   // the past a commitment "would have saved" over
// Hourly: commitments are billed per clock-hour, they cover the floor rather than the minutes' peaks, and a month of
// 200 paths at 5-minute steps took 10 s per resource in the debug build.
constexpr UnixSeconds kCommitStep = 3600;

// One pool being built, a member at a time (its members' paths are not kept: a large fleet's would not fit).
struct CommitPoolBuild {
    CommitmentPoolAdvice advice;
    InstancePaths summed;
    std::vector<double> members_path_saving;
    int members_committed = 0;
    std::map<UnixSeconds, double> ran;  // the members' recorded instances per hour, summed
};

// The instances a resource ran per hour (its recorded ready capacity, hourly means; a gap holds the count before
// it, as the fleet most likely stayed) over [from, to). Empty when the loop recorded none.
Result<RegularSeries> CommitRecordedInstances(Store& store, ResourceId id, UnixSeconds from, UnixSeconds to) {
    auto samples = store.QueryDownsampled({id, "capacity"}, from, to, kCommitStep, Aggregation::kAvg);
    if (!samples) return samples.error();
    return Regularize(*samples, kCommitStep);
}

std::optional<CommitmentPast> CommitPastOf(const std::map<UnixSeconds, double>& ran, int committed,
                                           const CommitmentRates& rates) {
    if (ran.empty()) return std::nullopt;
    // Every hour from the first recorded to the last: an hour none of the members recorded ran none of them.
    const UnixSeconds first = ran.begin()->first, last = ran.rbegin()->first;
    std::vector<double> hours;
    for (UnixSeconds t = first; t <= last; t += kCommitStep) {
        auto it = ran.find(t);
        hours.push_back(it == ran.end() ? 0.0 : it->second);
    }
    CommitmentPast past;
    past.from = first;
    past.to = last + kCommitStep;
    past.saving = SavingOverRecord(hours, static_cast<double>(kCommitStep) / 3600.0, committed, rates);
    return past;
}

std::string CommitPastNote(const std::optional<CommitmentPast>& past) {
    if (!past) return "no capacity recorded yet: nothing to measure what it would have saved on";
    const double days = static_cast<double>(past->to - past->from) / kCommitDay;
    if (days >= kCommitRecordDays - 1.0 / 24) return "";
    char text[160];
    std::snprintf(text, sizeof text, "the recorded capacity covers %.1f of the last %d days", days, kCommitRecordDays);
    return text;
}

double CommitCents(double v) { return std::round(v * 100.0) / 100.0; }
double CommitThousandths(double v) { return std::round(v * 1000.0) / 1000.0; }

nlohmann::json CommitBand(const SpendBand& b) {
    return {{"p10", CommitCents(b.p10)}, {"p50", CommitCents(b.p50)}, {"p90", CommitCents(b.p90)}};
}

void CommitPlanFields(nlohmann::json& item, const CommitmentPlan& p, const CommitmentRates& rates) {
    item["on_demand_per_hour"] = rates.on_demand_per_hour;
    item["committed_per_hour"] = rates.committed_per_hour;
    item["break_even_utilization"] = CommitThousandths(p.break_even_utilization);
    item["stays_above"] = {{"p90_of_hours", p.stays_above_p90}, {"p50_of_hours", p.stays_above_p50}};
    item["peak"] = p.peak;
    item["recommended_instances"] = p.recommended;
    item["expected_utilization"] = CommitThousandths(p.expected_utilization);
    item["on_demand_cost"] = CommitBand(p.on_demand_cost);
    item["saving"] = CommitBand(p.saving);
    item["expected_saving"] = CommitCents(p.expected_saving);
    item["saving_share_p50"] = p.on_demand_cost.p50 > 0 ? CommitThousandths(p.saving.p50 / p.on_demand_cost.p50) : 0.0;
}

nlohmann::json CommitPastJson(const std::optional<CommitmentPast>& past, const std::string& note) {
    if (!past) return {{"note", note}};
    const PastCommitmentSaving& s = past->saving;
    nlohmann::json out = {
        {"from", past->from},
        {"to", past->to},
        {"days", std::round(static_cast<double>(past->to - past->from) / kCommitDay * 10) / 10},
        {"on_demand_cost", CommitCents(s.on_demand_cost)},
        {"saving", CommitCents(s.saving)},
        {"saving_share", s.on_demand_cost > 0 ? CommitThousandths(s.saving / s.on_demand_cost) : 0.0}};
    if (!note.empty()) out["note"] = note;
    return out;
}

}  // namespace

Result<CommitmentReport> ComputeCommitmentReport(Store& store, const ControlLoop& loop, UnixSeconds now, int paths) {
    CommitmentReport report;
    report.now = now;
    report.from = now;
    report.to = now + kCommitSpanDays * kCommitDay;
    const UnixSeconds record_to = now - ((now % kCommitStep) + kCommitStep) % kCommitStep;  // whole hours only
    report.record_from = record_to - kCommitRecordDays * kCommitDay;
    auto resources = store.ListResources();
    if (!resources) return resources.error();
    std::sort(resources->begin(), resources->end(),
              [](const Resource& a, const Resource& b) { return a.name < b.name; });
    std::map<std::string, CommitPoolBuild> pools;  // by "provider/instance_type": the order they are reported in
    for (const Resource& r : *resources) {
        CommitmentAdvice advice;
        advice.resource = r.name;
        advice.provider = r.provider;
        advice.instance_type = r.instance_type;
        auto type = loop.catalog().Find(r.provider, r.instance_type);
        if (!type || !(type->commit_price_per_hour > 0) || !(type->price_per_hour > type->commit_price_per_hour)) {
            advice.note = "the catalog lists no 1-year commitment rate for " + r.provider + " " + r.instance_type;
            report.resources.push_back(std::move(advice));
            continue;
        }
        advice.offer = type->commit_offer;
        advice.rates = {type->price_per_hour, type->commit_price_per_hour};
        auto load = store.QueryDownsampled({r.id, r.load_metric}, now - kCommitHistoryDays * kCommitDay, now,
                                           kCommitStep, Aggregation::kAvg);
        if (!load) return load.error();
        SpendSizing sizing;
        sizing.capacity_per_instance = r.capacity_per_instance;
        sizing.target = r.target_utilization();
        sizing.min_instances = std::max(0, r.min_capacity);
        sizing.max_instances = std::max(sizing.min_instances, r.max_capacity);
        sizing.price_per_instance_hour = type->price_per_hour;
        SpendOptions options;
        options.from = report.from;
        options.to = report.to;
        options.paths = paths;
        options.history_days = kCommitHistoryDays;
        // One seed for every resource, so path i of each draws the same past days and their sums are a pool's.
        options.seed = static_cast<std::uint64_t>(now / kCommitDay);
        options.instance_steps = true;
        auto forecast = ForecastSpend(Regularize(*load, kCommitStep), sizing, options);
        auto fleet = forecast ? InstancePathsOf(*forecast) : Result<InstancePaths>(forecast.error());
        auto plan = fleet ? PlanCommitment(HoursPerCount(*fleet), advice.rates) : Result<CommitmentPlan>(fleet.error());
        if (!plan) {
            advice.note = plan.error().message;
            report.resources.push_back(std::move(advice));
            continue;
        }
        advice.plan = *plan;
        advice.pool = r.provider + "/" + r.instance_type;
        CommitPoolBuild& pool = pools[advice.pool];
        if (pool.advice.pool.empty()) {
            pool.advice.pool = advice.pool;
            pool.advice.provider = r.provider;
            pool.advice.instance_type = r.instance_type;
            pool.advice.offer = advice.offer;
            pool.advice.rates = advice.rates;
            pool.members_path_saving.assign(fleet->paths.size(), 0.0);
        }
        pool.advice.members.push_back(r.name);
        if (Status added = AddInstancePaths(pool.summed, *fleet); !added) return added.error();
        const std::vector<double> own = PathSavings(*fleet, plan->recommended, advice.rates);
        for (std::size_t path = 0; path < own.size() && path < pool.members_path_saving.size(); ++path)
            pool.members_path_saving[path] += own[path];
        pool.members_committed += plan->recommended;

        // What ran: the resource's own record, and its part of the pool's.
        auto ran = CommitRecordedInstances(store, r.id, report.record_from, record_to);
        if (!ran) return ran.error();
        std::map<UnixSeconds, double> hours;
        for (std::size_t i = 0; i < ran->values.size(); ++i) {
            hours[ran->TimeOf(i)] += ran->values[i];
            pool.ran[ran->TimeOf(i)] += ran->values[i];
        }
        advice.past = CommitPastOf(hours, plan->recommended, advice.rates);
        advice.past_note = CommitPastNote(advice.past);
        report.resources.push_back(std::move(advice));
    }
    for (auto& [key, build] : pools) {
        CommitmentPoolAdvice advice = std::move(build.advice);
        auto plan =
            PlanPooledCommitment(build.summed, build.members_path_saving, build.members_committed, advice.rates);
        if (!plan) {
            advice.note = plan.error().message;
        } else {
            advice.plan = *plan;
            advice.past = CommitPastOf(build.ran, plan->plan.recommended, advice.rates);
            advice.past_note = CommitPastNote(advice.past);
        }
        report.pools.push_back(std::move(advice));
    }
    return report;
}

nlohmann::json CommitmentReportJson(const CommitmentReport& report) {
    nlohmann::json items = nlohmann::json::array();
    double saving_p50 = 0.0, on_demand_p50 = 0.0;
    for (const CommitmentAdvice& a : report.resources) {
        nlohmann::json item = {{"resource", a.resource}, {"provider", a.provider}, {"instance_type", a.instance_type}};
        if (a.plan) {
            item["offer"] = a.offer;
            item["pool"] = a.pool;
            CommitPlanFields(item, *a.plan, a.rates);
            item["past"] = CommitPastJson(a.past, a.past_note);
            saving_p50 += a.plan->saving.p50;
            on_demand_p50 += a.plan->on_demand_cost.p50;
        } else {
            item["note"] = a.note;
        }
        items.push_back(std::move(item));
    }
    nlohmann::json pools = nlohmann::json::array();
    double pooled_p50 = 0.0;
    for (const CommitmentPoolAdvice& p : report.pools) {
        nlohmann::json item = {{"pool", p.pool},
                               {"provider", p.provider},
                               {"instance_type", p.instance_type},
                               {"offer", p.offer},
                               {"members", p.members}};
        if (p.plan) {
            CommitPlanFields(item, p.plan->plan, p.rates);
            item["members_committed"] = p.plan->members_committed;
            item["members_saving"] = CommitBand(p.plan->members_saving);
            item["members_expected_saving"] = CommitCents(p.plan->members_expected_saving);
            nlohmann::json gain = CommitBand(p.plan->gain);
            gain["expected"] = CommitCents(p.plan->expected_gain);
            item["gain"] = gain;
            item["past"] = CommitPastJson(p.past, p.past_note);
            pooled_p50 += p.plan->plan.saving.p50;
        } else {
            item["note"] = p.note;
        }
        pools.push_back(std::move(item));
    }
    return {{"from", report.from},
            {"to", report.to},
            {"record_from", report.record_from},
            {"term", "1 year, no upfront"},
            {"currency", "USD"},
            {"pools", pools},
            {"resources", items},
            {"total",
             {{"saving_p50", CommitCents(saving_p50)},
              {"on_demand_p50", CommitCents(on_demand_p50)},
              {"pooled_saving_p50", CommitCents(pooled_p50)}}}};
}

}  // namespace cloudopt::api
