#include "api/cost_report.hpp"

#include <algorithm>
#include <ctime>
#include <map>

namespace cloudopt::api {

namespace {

constexpr UnixSeconds kCostDay = 86400;
constexpr UnixSeconds kCostHour = 3600;

// Spend of [from, to) from the recorded cost per hour: hourly means times the part of each hour within the span,
// per UTC day (index from `first_day`).
Result<std::vector<double>> ActualPerDay(Store& store, ResourceId id, UnixSeconds first_day, UnixSeconds from,
                                         UnixSeconds to, std::size_t days) {
    std::vector<double> out(days, 0.0);
    if (to <= from) return out;
    auto hourly = store.QueryDownsampled({id, "cost_per_hour"}, from, to, kCostHour, Aggregation::kAvg);
    if (!hourly) return hourly.error();
    for (const Sample& s : *hourly) {
        const UnixSeconds bucket = s.ts - ((s.ts % kCostHour) + kCostHour) % kCostHour;
        const UnixSeconds begin = std::max(bucket, from), end = std::min(bucket + kCostHour, to);
        if (end <= begin) continue;
        const auto day = static_cast<std::size_t>((begin - first_day) / kCostDay);
        if (day < days) out[day] += s.value * static_cast<double>(end - begin) / kCostHour;
    }
    return out;
}

SpendBand Shifted(SpendBand b, double by) { return {b.p10 + by, b.p50 + by, b.p90 + by}; }

CostGroup GroupOf(std::string kind, std::string name, const std::vector<double>& actual,
                  const std::optional<SpendPaths>& paths, UnixSeconds first_day, UnixSeconds now) {
    CostGroup g;
    g.kind = std::move(kind);
    g.name = std::move(name);
    for (double a : actual) g.actual_to_date += a;
    std::vector<SpendBand> days;
    if (paths) {
        g.rest = paths->Total();
        g.month_end = Shifted(*g.rest, g.actual_to_date);
        days = paths->Days();
    }
    const auto today = static_cast<std::size_t>((now - first_day) / kCostDay);
    for (std::size_t d = 0; d < actual.size(); ++d) {
        CostDay day;
        day.day = first_day + static_cast<UnixSeconds>(d) * kCostDay;
        day.actual = actual[d];
        // The paths start today: their day 0 is today.
        if (d >= today && d - today < days.size()) day.forecast = days[d - today];
        g.days.push_back(day);
    }
    return g;
}

}  // namespace

std::pair<UnixSeconds, UnixSeconds> UtcMonthOf(UnixSeconds t) {
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    const UnixSeconds start = static_cast<UnixSeconds>(timegm(&tm));
    tm.tm_mon += 1;
    const UnixSeconds end = static_cast<UnixSeconds>(timegm(&tm));
    return {start, end};
}

Result<CostReport> ComputeCostReport(Store& store, const ControlLoop& loop, UnixSeconds now,
                                     const CostReportOptions& options) {
    CostReport report;
    report.now = now;
    std::tie(report.month_start, report.month_end) = UtcMonthOf(now);
    const std::size_t days = static_cast<std::size_t>((report.month_end - report.month_start) / kCostDay);
    auto resources = store.ListResources();
    if (!resources) return resources.error();
    std::sort(resources->begin(), resources->end(),
              [](const Resource& a, const Resource& b) { return a.name < b.name; });

    struct Part {
        std::string provider;
        ResourceLabels labels;
        std::vector<double> actual;
        std::optional<SpendPaths> paths;
    };
    std::vector<Part> parts;
    // Every resource's load first: their forecasts are made together, as a fleet whose bands are calibrated on each
    // other's errors (ForecastFleetSpend; docs/COSTS.md section 2).
    std::vector<RegularSeries> loads;
    std::vector<SpendMember> fleet;
    loads.reserve(resources->size());
    for (const Resource& r : *resources) {
        Part part;
        part.provider = r.provider;
        part.labels = r.labels;
        auto actual = ActualPerDay(store, r.id, report.month_start, report.month_start, now, days);
        if (!actual) return actual.error();
        part.actual = std::move(*actual);
        const UnixSeconds history_from = now - static_cast<UnixSeconds>(options.history_days) * kCostDay;
        auto load =
            store.QueryDownsampled({r.id, r.load_metric}, history_from, now, options.load_step, Aggregation::kAvg);
        if (!load) return load.error();
        loads.push_back(Regularize(*load, options.load_step));
        SpendSizing sizing;
        sizing.capacity_per_instance = r.capacity_per_instance;
        sizing.target = (r.target_low + r.target_high) / 2;
        sizing.min_instances = std::max(0, r.min_capacity);
        sizing.max_instances = std::max(sizing.min_instances, r.max_capacity);
        sizing.price_per_instance_hour = loop.HourlyCost(r, 1);
        fleet.push_back({nullptr, sizing});
        parts.push_back(std::move(part));
    }
    for (std::size_t i = 0; i < fleet.size(); ++i) fleet[i].history = &loads[i];
    SpendOptions spend;
    spend.from = now;
    spend.to = report.month_end;
    spend.paths = options.paths;
    spend.history_days = options.history_days;
    // One seed for every resource: path i of each draws the same past days, so a group's paths are scenarios.
    spend.seed = static_cast<std::uint64_t>(report.month_start);
    std::vector<Result<SpendPaths>> forecasts = ForecastFleetSpend(fleet, spend);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        Part& part = parts[i];
        std::string note;
        if (forecasts[i])
            part.paths = std::move(*forecasts[i]);
        else
            note = forecasts[i].error().message;
        report.groups.push_back(
            GroupOf("resource", (*resources)[i].name, part.actual, part.paths, report.month_start, now));
        report.groups.back().note = note;
    }
    // Providers and the total: sums of their resources; a group's band covers the resources that have one, and
    // its note says how many have none.
    auto group = [&](const std::string& kind, const std::string& name, auto member) {
        std::vector<double> actual(days, 0.0);
        std::vector<const SpendPaths*> paths;
        int without = 0, members = 0;
        for (const Part& p : parts) {
            if (!member(p)) continue;
            ++members;
            for (std::size_t d = 0; d < days; ++d) actual[d] += p.actual[d];
            if (p.paths)
                paths.push_back(&*p.paths);
            else
                ++without;
        }
        std::optional<SpendPaths> sum;
        if (!paths.empty())
            if (auto s = SumSpend(paths); s) sum = std::move(*s);
        CostGroup g = GroupOf(kind, name, actual, sum, report.month_start, now);
        if (without > 0)
            g.note = std::to_string(without) + " of " + std::to_string(members) +
                     " resources have no forecast (too little load history); the projection leaves them out";
        report.groups.push_back(std::move(g));
    };
    std::map<std::string, int> providers;
    for (const Part& p : parts) ++providers[p.provider];
    for (const auto& [provider, count] : providers)
        group("provider", provider, [&provider](const Part& p) { return p.provider == provider; });
    // One group per label key and value ("team:payments"), for GET /api/costs?group_by=label:team and label budgets.
    std::map<std::pair<std::string, std::string>, int> labels;
    for (const Part& p : parts)
        for (const auto& kv : p.labels) ++labels[kv];
    for (const auto& [label, count] : labels)
        group("label", label.first + ":" + label.second, [&label](const Part& p) {
            auto it = p.labels.find(label.first);
            return it != p.labels.end() && it->second == label.second;
        });
    group("total", "total", [](const Part&) { return true; });
    return report;
}

}  // namespace cloudopt::api
