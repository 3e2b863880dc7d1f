#include "providers/aws_cloudwatch.hpp"

#include <charconv>
#include <cmath>

#include "core/timestamp.hpp"

namespace cloudopt::providers {

namespace {

constexpr const char* kCloudWatchVersion = "2010-08-01";

void AddQuery(QueryParams& p, int n, const std::string& id, const std::string& ns, const std::string& metric,
              const std::string& group, UnixSeconds period) {
    const std::string q = "MetricDataQueries.member." + std::to_string(n) + ".";
    p.emplace_back(q + "Id", id);
    p.emplace_back(q + "MetricStat.Metric.Namespace", ns);
    p.emplace_back(q + "MetricStat.Metric.MetricName", metric);
    p.emplace_back(q + "MetricStat.Metric.Dimensions.member.1.Name", "AutoScalingGroupName");
    p.emplace_back(q + "MetricStat.Metric.Dimensions.member.1.Value", group);
    p.emplace_back(q + "MetricStat.Period", std::to_string(period));
    p.emplace_back(q + "MetricStat.Stat", "Average");
    p.emplace_back(q + "ReturnData", "true");
}

std::optional<double> ToDouble(const std::string& text) {
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

}  // namespace

AwsCloudWatchSource::AwsCloudWatchSource(std::shared_ptr<AwsQueryClient> client, CloudWatchOptions options)
    : client_(client), groups_(client), options_(options), window_(options.backfill_seconds) {}

Result<std::vector<MetricReading>> AwsCloudWatchSource::Collect(const Resource& resource, UnixSeconds now) {
    auto ref = ParseAsgRef(resource.provider_ref);
    if (!ref) return ref.error();
    const UnixSeconds period = options_.period;
    const UnixSeconds end = now / period * period;  // whole periods only
    const UnixSeconds start = window_.Start(resource.id, end);
    if (start >= end) return std::vector<MetricReading>{};

    std::map<UnixSeconds, double> cpu, instances;
    std::string next_token;
    for (int page = 0; page < options_.max_pages; ++page) {
        QueryParams params;
        AddQuery(params, 1, "cpu", "AWS/EC2", "CPUUtilization", ref->name, period);
        AddQuery(params, 2, "instances", "AWS/AutoScaling", "GroupInServiceInstances", ref->name, period);
        params.emplace_back("StartTime", FormatRfc3339(start));
        params.emplace_back("EndTime", FormatRfc3339(end));
        params.emplace_back("ScanBy", "TimestampAscending");
        if (!next_token.empty()) params.emplace_back("NextToken", next_token);
        auto doc = client_->Call("monitoring", ref->region, kCloudWatchVersion, "GetMetricData", params);
        if (!doc) return doc.error();
        const XmlElement result = doc->Root().Child("GetMetricDataResult");
        if (!result) return MakeError(ErrorCode::kUnavailable, "AWS monitoring GetMetricData: the answer has no GetMetricDataResult");
        for (const XmlElement& series : result.Child("MetricDataResults").Children("member")) {
            const std::string id = series.ChildText("Id");
            if (series.ChildText("StatusCode") == "InternalError")
                return MakeError(ErrorCode::kUnavailable, "AWS monitoring GetMetricData: query '" + id + "' failed inside CloudWatch (InternalError)");
            const auto times = series.Child("Timestamps").Children("member");
            const auto values = series.Child("Values").Children("member");
            if (times.size() != values.size())
                return MakeError(ErrorCode::kUnavailable, "AWS monitoring GetMetricData: query '" + id + "' has " +
                                                              std::to_string(times.size()) + " timestamps but " +
                                                              std::to_string(values.size()) + " values");
            auto& into = id == "cpu" ? cpu : instances;
            for (std::size_t i = 0; i < times.size(); ++i) {
                auto t = ParseRfc3339(times[i].Text());
                auto v = ToDouble(values[i].Text());
                if (!t || !v)
                    return MakeError(ErrorCode::kUnavailable, "AWS monitoring GetMetricData: query '" + id +
                                                                  "' has an unreadable point ('" + times[i].Text() + "', '" +
                                                                  values[i].Text() + "')");
                into[*t] = *v;
            }
        }
        next_token = result.ChildText("NextToken");
        if (next_token.empty()) break;
    }

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
