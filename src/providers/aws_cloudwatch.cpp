#include "providers/aws_cloudwatch.hpp"

#include <charconv>
#include <cmath>

#include "core/timestamp.hpp"

namespace cloudopt::providers {

namespace {

constexpr const char* kCloudWatchVersion = "2010-08-01";

void AddQuery(QueryParams& p, int n, const CloudWatchQuery& query, UnixSeconds period) {
    const std::string q = "MetricDataQueries.member." + std::to_string(n) + ".";
    p.emplace_back(q + "Id", query.id);
    p.emplace_back(q + "MetricStat.Metric.Namespace", query.name_space);
    p.emplace_back(q + "MetricStat.Metric.MetricName", query.metric);
    int d = 0;
    for (const auto& [name, value] : query.dimensions) {
        const std::string dim = q + "MetricStat.Metric.Dimensions.member." + std::to_string(++d) + ".";
        p.emplace_back(dim + "Name", name);
        p.emplace_back(dim + "Value", value);
    }
    p.emplace_back(q + "MetricStat.Period", std::to_string(period));
    p.emplace_back(q + "MetricStat.Stat", query.stat);
    p.emplace_back(q + "ReturnData", "true");
}

std::optional<double> ToDouble(const std::string& text) {
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

}  // namespace

Result<CloudWatchSeries> GetMetricData(AwsQueryClient& client, const std::string& region,
                                       const std::vector<CloudWatchQuery>& queries, UnixSeconds period,
                                       UnixSeconds start, UnixSeconds end, int max_pages) {
    CloudWatchSeries out;
    for (const CloudWatchQuery& q : queries) out[q.id];
    std::string next_token;
    for (int page = 0; page < max_pages; ++page) {
        QueryParams params;
        for (std::size_t i = 0; i < queries.size(); ++i) AddQuery(params, static_cast<int>(i) + 1, queries[i], period);
        params.emplace_back("StartTime", FormatRfc3339(start));
        params.emplace_back("EndTime", FormatRfc3339(end));
        params.emplace_back("ScanBy", "TimestampAscending");
        if (!next_token.empty()) params.emplace_back("NextToken", next_token);
        auto doc = client.Call("monitoring", region, kCloudWatchVersion, "GetMetricData", params);
        if (!doc) return doc.error();
        const XmlElement result = doc->Root().Child("GetMetricDataResult");
        if (!result)
            return MakeError(ErrorCode::kUnavailable,
                             "AWS monitoring GetMetricData: the answer has no GetMetricDataResult");
        for (const XmlElement& series : result.Child("MetricDataResults").Children("member")) {
            const std::string id = series.ChildText("Id");
            if (series.ChildText("StatusCode") == "InternalError")
                return MakeError(ErrorCode::kUnavailable, "AWS monitoring GetMetricData: query '" + id +
                                                              "' failed inside CloudWatch (InternalError)");
            const auto times = series.Child("Timestamps").Children("member");
            const auto values = series.Child("Values").Children("member");
            if (times.size() != values.size())
                return MakeError(ErrorCode::kUnavailable, "AWS monitoring GetMetricData: query '" + id + "' has " +
                                                              std::to_string(times.size()) + " timestamps but " +
                                                              std::to_string(values.size()) + " values");
            auto into = out.find(id);
            if (into == out.end()) continue;  // not asked for
            for (std::size_t i = 0; i < times.size(); ++i) {
                auto t = ParseRfc3339(times[i].Text());
                auto v = ToDouble(values[i].Text());
                if (!t || !v)
                    return MakeError(ErrorCode::kUnavailable, "AWS monitoring GetMetricData: query '" + id +
                                                                  "' has an unreadable point ('" + times[i].Text() +
                                                                  "', '" + values[i].Text() + "')");
                into->second[*t] = *v;
            }
        }
        next_token = result.ChildText("NextToken");
        if (next_token.empty()) break;
    }
    return out;
}

AwsCloudWatchSource::AwsCloudWatchSource(std::shared_ptr<AwsQueryClient> client, CloudWatchOptions options)
    : client_(client), groups_(client), options_(options), window_(options.backfill_seconds) {}

Result<std::vector<MetricReading>> AwsCloudWatchSource::Collect(const Resource& resource, UnixSeconds now) {
    auto ref = ParseAsgRef(resource.provider_ref);
    if (!ref) return ref.error();
    const UnixSeconds period = options_.period;
    const UnixSeconds end = now / period * period;  // whole periods only
    const UnixSeconds start = window_.Start(resource.id, end);
    if (start >= end) return std::vector<MetricReading>{};

    const std::vector<CloudWatchQuery> queries = {
        {"cpu", "AWS/EC2", "CPUUtilization", {{"AutoScalingGroupName", ref->name}}, "Average"},
        {"instances", "AWS/AutoScaling", "GroupInServiceInstances", {{"AutoScalingGroupName", ref->name}}, "Average"}};
    auto series = GetMetricData(*client_, ref->region, queries, period, start, end, options_.max_pages);
    if (!series) return series.error();
    const std::map<UnixSeconds, double>& cpu = (*series)["cpu"];
    const std::map<UnixSeconds, double>& instances = (*series)["instances"];

    std::optional<int> current_in_service;
    std::vector<MetricReading> readings;
    for (const auto& [t, percent] : cpu) {
        double count;
        if (auto it = instances.find(t); it != instances.end()) {
            count = it->second;
        } else {
            if (!current_in_service) {
                auto state = groups_.Describe(resource);
                if (!state) return state.error();
                current_in_service = state->ready;
            }
            count = *current_in_service;
        }
        const double utilization = percent / 100.0;
        readings.push_back({"cpu_utilization", {t, utilization}});
        readings.push_back({resource.load_metric, {t, utilization * count * resource.capacity_per_instance}});
    }
    if (!cpu.empty()) window_.Seen(resource.id, cpu.rbegin()->first, period);
    return readings;
}

}  // namespace cloudopt::providers
