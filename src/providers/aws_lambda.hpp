#pragma once
// AWS Lambda provisioned concurrency: the warm capacity of one alias or version of a function. The planner's unit is
// one unit of concurrency (one execution environment kept initialized), so a resource's capacity_per_instance is
// the concurrent executions one environment serves (1) and its load is CloudWatch's ConcurrentExecutions.
//
// - Describe: GetProvisionedConcurrencyConfig (GET /2019-09-30/functions/{name}/provisioned-concurrency?Qualifier=Q):
//   desired = RequestedProvisionedConcurrentExecutions, ready = AvailableProvisionedConcurrentExecutions. No config
//   (ProvisionedConcurrencyConfigNotFoundException) is desired 0.
// - SetDesiredCapacity: PutProvisionedConcurrencyConfig (PUT, {"ProvisionedConcurrentExecutions": N}; Lambda
//   allocates asynchronously and answers 202), or DeleteProvisionedConcurrencyConfig for 0 (Put's minimum is 1).
//   Nothing is sent when the requested amount already equals N, so a repeat is free and never conflicts.
//   ResourceConflictException (409: an allocation is still in progress) and TooManyRequestsException (429) are
//   retried with backoff, then reported as kConflict / kUnavailable with Lambda's message.
// - Load: GetMetricData of AWS/Lambda ConcurrentExecutions (Maximum per minute) for the alias or version
//   (dimensions FunctionName and Resource = "name:qualifier"), and ProvisionedConcurrencySpilloverInvocations (Sum):
//   the invocations that found no warm environment, reported as "spillover_invocations".
//
// A resource's provider_ref names the alias or version: "REGION/FUNCTION:QUALIFIER", e.g. "us-east-1/checkout:live".
// $LATEST is refused: Lambda does not provision concurrency on it.
//
// Thread-safety: the provider keeps no state; the source's collect window is thread-safe.

#include <memory>
#include <string>

#include "core/provider.hpp"
#include "providers/aws_query.hpp"
#include "providers/aws_rest_json.hpp"
#include "providers/collect_window.hpp"

namespace cloudopt::providers {

struct LambdaRef {
    std::string region;
    std::string function;
    std::string qualifier;  // an alias name or a version number
};
// kInvalidArgument saying the expected form when `provider_ref` is not "REGION/FUNCTION:QUALIFIER".
Result<LambdaRef> ParseLambdaRef(const std::string& provider_ref);

class AwsLambdaProvider final : public Provider {
  public:
    explicit AwsLambdaProvider(std::shared_ptr<AwsRestJsonClient> client) : client_(std::move(client)) {}
    Result<CapacityState> Describe(const Resource& resource) override;
    Status SetDesiredCapacity(const Resource& resource, int desired) override;

  private:
    std::shared_ptr<AwsRestJsonClient> client_;
};

class AwsLambdaConcurrencySource final : public MetricSource {
  public:
    explicit AwsLambdaConcurrencySource(std::shared_ptr<AwsQueryClient> client,
                                        UnixSeconds backfill_seconds = 8 * 86400)
        : client_(std::move(client)), window_(backfill_seconds) {}
    Result<std::vector<MetricReading>> Collect(const Resource& resource, UnixSeconds now) override;

  private:
    std::shared_ptr<AwsQueryClient> client_;
    CollectWindow window_;
};

}  // namespace cloudopt::providers
