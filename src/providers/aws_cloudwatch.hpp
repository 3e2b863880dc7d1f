#pragma once
// An Auto Scaling group's load from CloudWatch GetMetricData (Query API 2010-08-01): per period, the group's
// average CPUUtilization (AWS/EC2) and its GroupInServiceInstances (AWS/AutoScaling; needs the group's metrics
// collection enabled). cloudopt forecasts load, not utilization, so each period yields
//   cpu_utilization = CPUUtilization / 100
//   <load_metric>   = cpu_utilization x in-service instances x the resource's capacity_per_instance
// When a period has no instance count (group metrics not enabled), the group's current in-service count is used.
//
// The first call backfills `backfill_seconds` of history; later calls ask from the last period seen. CloudWatch
// publishes a period a minute or two late, so the newest periods are re-read until they appear.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/provider.hpp"
#include "providers/aws_autoscaling.hpp"
#include "providers/aws_query.hpp"
#include "providers/collect_window.hpp"

namespace cloudopt::providers {

// One metric of a GetMetricData call: its id in the answer, namespace, name, dimensions and statistic.
struct CloudWatchQuery {
    std::string id;
    std::string name_space;  // AWS/EC2, AWS/Lambda, ...
    std::string metric;
    std::vector<std::pair<std::string, std::string>> dimensions;
    std::string stat = "Average";
};
// Per query id, its points by period start.
using CloudWatchSeries = std::map<std::string, std::map<UnixSeconds, double>>;

// GetMetricData over [start, end) at `period`, oldest first, following NextToken up to `max_pages` pages.
// kUnavailable naming the query when CloudWatch failed it or answered something unreadable.
Result<CloudWatchSeries> GetMetricData(AwsQueryClient& client, const std::string& region,
                                       const std::vector<CloudWatchQuery>& queries, UnixSeconds period,
                                       UnixSeconds start, UnixSeconds end, int max_pages);

struct CloudWatchOptions {
    UnixSeconds period = 60;
    UnixSeconds backfill_seconds =
        8 * 86400;       // a week and a day; at 60 s that is 23,040 of the 100,800 points a call may return
    int max_pages = 20;  // NextToken pages followed per call
};

class AwsCloudWatchSource final : public MetricSource {
  public:
    AwsCloudWatchSource(std::shared_ptr<AwsQueryClient> client, CloudWatchOptions options = {});
    Result<std::vector<MetricReading>> Collect(const Resource& resource, UnixSeconds now) override;

  private:
    std::shared_ptr<AwsQueryClient> client_;
    AwsAutoScalingProvider groups_;
    CloudWatchOptions options_;
    CollectWindow window_;
};

}  // namespace cloudopt::providers
