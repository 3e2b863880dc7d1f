#pragma once
// Google Compute Engine managed instance groups, zonal and regional: get (targetSize, and the instances with no
// pending action as serving) and resize (POST .../resize?size=N with a requestId, so a retried call is not done
// twice). Load from Cloud Monitoring's compute.googleapis.com/instance/cpu/utilization, one series per instance
// of the group, summed.
//
// A resource's provider_ref names the group: "PROJECT/zones/ZONE/NAME" or "PROJECT/regions/REGION/NAME".

#include <functional>
#include <memory>
#include <string>

#include "core/provider.hpp"
#include "providers/collect_window.hpp"
#include "providers/gcp_auth.hpp"

namespace cloudopt::providers {

struct MigRef {
    std::string project;
    std::string scope;     // zones | regions
    std::string location;  // us-central1-a | us-central1
    std::string name;
    std::string Path() const {  // projects/P/zones/Z/instanceGroupManagers/N
        return "projects/" + project + "/" + scope + "/" + location + "/instanceGroupManagers/" + name;
    }
};
Result<MigRef> ParseMigRef(const std::string& provider_ref);

class GcpMigProvider final : public Provider {
public:
    using RequestId = std::function<std::string()>;  // a fresh UUID per resize; tests fix it
    explicit GcpMigProvider(std::shared_ptr<GcpClient> client, RequestId request_id = {});
    Result<CapacityState> Describe(const Resource& resource) override;
    Status SetDesiredCapacity(const Resource& resource, int desired) override;
    // Machine types of the group's zone (for a regional group, of the region's first zone), every page.
    Result<std::vector<OfferedInstanceType>> ListInstanceTypes(const Resource& resource) override;

private:
    std::shared_ptr<GcpClient> client_;
    RequestId request_id_;
};

class GcpMonitoringSource final : public MetricSource {
public:
    explicit GcpMonitoringSource(std::shared_ptr<GcpClient> client, UnixSeconds backfill_seconds = 8 * 86400)
        : client_(std::move(client)), window_(backfill_seconds) {}
    Result<std::vector<MetricReading>> Collect(const Resource& resource, UnixSeconds now) override;

private:
    std::shared_ptr<GcpClient> client_;
    CollectWindow window_;
};

}  // namespace cloudopt::providers
