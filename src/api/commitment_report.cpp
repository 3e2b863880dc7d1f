#include "api/commitment_report.hpp"

#include <algorithm>

namespace cloudopt::api {

namespace {

constexpr UnixSeconds kCommitDay = 86400;
constexpr int kCommitSpanDays = 30;     // "next month"
constexpr int kCommitHistoryDays = 28;  // as the spend forecast
// Hourly: commitments are billed per clock-hour, they cover the floor rather than the minutes' peaks, and a month of
// 200 paths at 5-minute steps took 10 s per resource in the debug build.
constexpr UnixSeconds kCommitStep = 3600;

}  // namespace

Result<CommitmentReport> ComputeCommitmentReport(Store& store, const ControlLoop& loop, UnixSeconds now, int paths) {
    CommitmentReport report;
    report.now = now;
    report.from = now;
    report.to = now + kCommitSpanDays * kCommitDay;
    auto resources = store.ListResources();
    if (!resources) return resources.error();
    std::sort(resources->begin(), resources->end(),
              [](const Resource& a, const Resource& b) { return a.name < b.name; });
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
        options.seed = static_cast<std::uint64_t>(now / kCommitDay);
        options.instance_hours = true;
        auto forecast = ForecastSpend(Regularize(*load, kCommitStep), sizing, options);
        if (!forecast) {
            advice.note = forecast.error().message;
        } else if (auto plan = PlanCommitment(forecast->path_instance_hours, advice.rates); plan) {
            advice.plan = *plan;
        } else {
            advice.note = plan.error().message;
        }
        report.resources.push_back(std::move(advice));
    }
    return report;
}

}  // namespace cloudopt::api
