#pragma once
// Google Cloud Run minimum instances: the warm capacity of one service (Admin API v2). The planner's unit is one
// instance kept warm; a resource's load is its request rate and capacity_per_instance the requests per second one
// instance serves at 100%.
//
// - Describe: GET {run}/v2/projects/P/locations/L/services/S: desired = scaling.minInstanceCount (absent: 0),
//   max_size = scaling.maxInstanceCount when set. The Admin API does not count warm instances, so ready is the
//   desired count (Cloud Run starts minimum instances within seconds; Cloud Monitoring's instance_count, collected
//   below, shows what actually runs).
// - SetDesiredCapacity: PATCH .../services/S?updateMask=scaling.minInstanceCount with
//   {"scaling":{"minInstanceCount":N}}: only that field changes, no new revision is deployed. The answer is a
//   long-running operation that finishes asynchronously. Nothing is sent when the count already equals N.
//   Cloud Run refuses a change while another is rolling out (409 ABORTED, or 400 FAILED_PRECONDITION): such an
//   answer, like a 429, is retried with backoff, then reported as kConflict with Google's message.
// - Load: Cloud Monitoring's run.googleapis.com/request_count (ALIGN_RATE, summed over revisions) as the load in
//   requests per second, and run.googleapis.com/container/instance_count (summed) as "instance_count".
//
// A resource's provider_ref names the service: "PROJECT/REGION/SERVICE", e.g. "shop-prod/us-central1/checkout".
//
// Thread-safety: the provider keeps no state; the source's collect window is thread-safe.

#include <memory>
#include <string>

#include "core/provider.hpp"
#include "providers/collect_window.hpp"
#include "providers/gcp_auth.hpp"

namespace cloudopt::providers {

struct CloudRunRef {
    std::string project;
    std::string region;
    std::string service;
    std::string Path() const { return "projects/" + project + "/locations/" + region + "/services/" + service; }
};
Result<CloudRunRef> ParseCloudRunRef(const std::string& provider_ref);

class GcpCloudRunProvider final : public Provider {
  public:
    explicit GcpCloudRunProvider(std::shared_ptr<GcpClient> client) : client_(std::move(client)) {}
    Result<CapacityState> Describe(const Resource& resource) override;
    Status SetDesiredCapacity(const Resource& resource, int desired) override;

  private:
    std::shared_ptr<GcpClient> client_;
};

class GcpCloudRunSource final : public MetricSource {
  public:
    explicit GcpCloudRunSource(std::shared_ptr<GcpClient> client, UnixSeconds backfill_seconds = 8 * 86400)
        : client_(std::move(client)), window_(backfill_seconds) {}
    Result<std::vector<MetricReading>> Collect(const Resource& resource, UnixSeconds now) override;

  private:
    std::shared_ptr<GcpClient> client_;
    CollectWindow window_;
};

}  // namespace cloudopt::providers
