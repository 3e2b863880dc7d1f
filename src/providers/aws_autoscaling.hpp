#pragma once
// AWS EC2 Auto Scaling groups (Query API 2011-01-01): DescribeAutoScalingGroups for desired, in-service, min, max
// and instance type; SetDesiredCapacity (HonorCooldown=false: cloudopt's own timing rules decide when to act).
//
// A resource's provider_ref names the group: "REGION/GROUP_NAME", e.g. "us-east-1/web-asg".

#include <memory>
#include <string>

#include "core/provider.hpp"
#include "providers/aws_query.hpp"

namespace cloudopt::providers {

struct AsgRef {
    std::string region;
    std::string name;
};
// kInvalidArgument saying the expected form when `provider_ref` is not "REGION/NAME".
Result<AsgRef> ParseAsgRef(const std::string& provider_ref);

class AwsAutoScalingProvider final : public Provider {
public:
    explicit AwsAutoScalingProvider(std::shared_ptr<AwsQueryClient> client) : client_(std::move(client)) {}
    Result<CapacityState> Describe(const Resource& resource) override;
    Status SetDesiredCapacity(const Resource& resource, int desired) override;
    // EC2 DescribeInstanceTypes (2016-11-15) in the group's region, every page.
    Result<std::vector<OfferedInstanceType>> ListInstanceTypes(const Resource& resource) override;

private:
    std::shared_ptr<AwsQueryClient> client_;
};

}  // namespace cloudopt::providers
