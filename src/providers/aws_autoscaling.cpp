#include "providers/aws_autoscaling.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace cloudopt::providers {

namespace {

constexpr const char* kService = "autoscaling";
constexpr const char* kAutoScalingVersion = "2011-01-01";

std::optional<int> ToInt(const std::string& text) {
    int v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

}  // namespace

Result<AsgRef> ParseAsgRef(const std::string& ref) {
    const std::size_t slash = ref.find('/');
    const auto bad = [&] {
        return MakeError(ErrorCode::kInvalidArgument,
                         "provider_ref '" + ref + "': use REGION/AUTO_SCALING_GROUP_NAME, e.g. us-east-1/web-asg");
    };
    if (slash == std::string::npos) return bad();
    AsgRef r{ref.substr(0, slash), ref.substr(slash + 1)};
    const bool region_ok = !r.region.empty() && std::all_of(r.region.begin(), r.region.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-';
    });
    // Group names are 1..255 characters without control characters (the API's XmlStringMaxLen255).
    const bool name_ok = !r.name.empty() && r.name.size() <= 255 &&
                         std::none_of(r.name.begin(), r.name.end(), [](char c) { return std::iscntrl(static_cast<unsigned char>(c)); });
    if (!region_ok || !name_ok) return bad();
    return r;
}

Result<CapacityState> AwsAutoScalingProvider::Describe(const Resource& resource) {
    auto ref = ParseAsgRef(resource.provider_ref);
    if (!ref) return ref.error();
    auto doc = client_->Call(kService, ref->region, kAutoScalingVersion, "DescribeAutoScalingGroups",
                             {{"AutoScalingGroupNames.member.1", ref->name}});
    if (!doc) return doc.error();
    const XmlElement groups = doc->Root().Path({"DescribeAutoScalingGroupsResult", "AutoScalingGroups"});
    if (!groups)
        return MakeError(ErrorCode::kUnavailable, "AWS autoscaling DescribeAutoScalingGroups: the answer has no AutoScalingGroups");
    for (const XmlElement& group : groups.Children("member")) {
        if (group.ChildText("AutoScalingGroupName") != ref->name) continue;
        CapacityState state;
        auto desired = ToInt(group.ChildText("DesiredCapacity"));
        if (!desired)
            return MakeError(ErrorCode::kUnavailable, "AWS autoscaling: group '" + ref->name + "' has no DesiredCapacity");
        state.desired = *desired;
        state.min_size = ToInt(group.ChildText("MinSize"));
        state.max_size = ToInt(group.ChildText("MaxSize"));
        // Serving = in service and healthy; Pending instances are still booting.
        for (const XmlElement& instance : group.Child("Instances").Children("member")) {
            if (instance.ChildText("LifecycleState") == "InService" && instance.ChildText("HealthStatus") == "Healthy")
                ++state.ready;
            if (state.instance_type.empty()) state.instance_type = instance.ChildText("InstanceType");
        }
        if (state.instance_type.empty()) state.instance_type = resource.instance_type;
        return state;
    }
    return MakeError(ErrorCode::kNotFound, "no Auto Scaling group '" + ref->name + "' in " + ref->region);
}

Result<std::vector<OfferedInstanceType>> AwsAutoScalingProvider::ListInstanceTypes(const Resource& resource) {
    auto ref = ParseAsgRef(resource.provider_ref);
    if (!ref) return ref.error();
    std::vector<OfferedInstanceType> types;
    std::string next_token;
    for (int page = 0; page < 100; ++page) {
        QueryParams params = {{"MaxResults", "100"}};
        if (!next_token.empty()) params.emplace_back("NextToken", next_token);
        auto doc = client_->Call("ec2", ref->region, "2016-11-15", "DescribeInstanceTypes", params);
        if (!doc) return doc.error();
        for (const XmlElement& item : doc->Root().Child("instanceTypeSet").Children("item")) {
            OfferedInstanceType t;
            t.name = item.ChildText("instanceType");
            const auto vcpu = ToInt(item.Path({"vCpuInfo", "defaultVCpus"}).Text());
            const auto mib = ToInt(item.Path({"memoryInfo", "sizeInMiB"}).Text());
            if (t.name.empty() || !vcpu || !mib)
                return MakeError(ErrorCode::kUnavailable, "AWS ec2 DescribeInstanceTypes: an item without instanceType, vCPUs or memory");
            t.vcpu = *vcpu;
            t.memory_gib = *mib / 1024.0;
            types.push_back(std::move(t));
        }
        next_token = doc->Root().ChildText("nextToken");
        if (next_token.empty()) break;
    }
    return types;
}

Status AwsAutoScalingProvider::SetDesiredCapacity(const Resource& resource, int desired) {
    auto ref = ParseAsgRef(resource.provider_ref);
    if (!ref) return ref.error();
    if (desired < 0) return MakeError(ErrorCode::kInvalidArgument, "desired capacity cannot be negative");
    auto doc = client_->Call(kService, ref->region, kAutoScalingVersion, "SetDesiredCapacity",
                             {{"AutoScalingGroupName", ref->name},
                              {"DesiredCapacity", std::to_string(desired)},
                              {"HonorCooldown", "false"}});
    if (!doc) return doc.error();
    return Status::Ok();
}

}  // namespace cloudopt::providers
