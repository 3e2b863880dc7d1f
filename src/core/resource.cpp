#include "core/resource.hpp"

#include <cmath>

#include "core/text.hpp"

namespace cloudopt {

const char* ModeName(Mode mode) {
    switch (mode) {
        case Mode::kOff:
            return "off";
        case Mode::kRecommend:
            return "recommend";
        case Mode::kAuto:
            return "auto";
    }
    return "off";
}

std::optional<Mode> ParseMode(std::string_view text) {
    if (text == "off") return Mode::kOff;
    if (text == "recommend") return Mode::kRecommend;
    if (text == "auto") return Mode::kAuto;
    return std::nullopt;
}

bool IsValidMetricName(std::string_view name) {
    constexpr std::size_t kMaxMetricName = 128;
    if (name.empty() || name.size() > kMaxMetricName) return false;
    auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; };
    if (!is_alpha(name[0])) return false;
    for (char c : name) {
        if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '.') return false;
    }
    return true;
}

namespace {

Status Invalid(std::string message) { return MakeError(ErrorCode::kUnprocessable, std::move(message)); }

bool IsPrintableName(std::string_view s) {
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) return false;
    }
    return true;
}

}  // namespace

Status ValidateResource(const Resource& r) {
    constexpr std::size_t kMaxName = 128;
    constexpr int kMaxInstances = 100000;
    constexpr int kMaxBootDelay = 3600;
    if (r.name.empty() || r.name.size() > kMaxName || !IsPrintableName(r.name))
        return Invalid("name: must be 1-128 printable characters");
    // Wherever a resource is named, a number means an id: a resource named "2" would be shadowed by resource 2.
    if (ParseInt(r.name) || r.name.rfind("id:", 0) == 0 || r.name.rfind("name:", 0) == 0)
        return Invalid(
            "name: must not be a number or start with 'id:' or 'name:' (those select resources by id); "
            "add a letter, e.g. \"web-2\"");
    if (r.provider.empty() || !IsPrintableName(r.provider)) return Invalid("provider: must be set, e.g. \"aws\"");
    if (r.provider_ref.empty() || r.provider_ref.size() > 512 || !IsPrintableName(r.provider_ref))
        return Invalid("provider_ref: must name the group at the provider (1-512 printable characters)");
    if (r.instance_type.empty() || !IsPrintableName(r.instance_type))
        return Invalid("instance_type: must be set, e.g. \"m5.large\"");
    if (r.min_capacity < 0) return Invalid("min_capacity: must be >= 0");
    if (r.max_capacity < 1 || r.max_capacity > kMaxInstances)
        return Invalid("max_capacity: must be between 1 and 100000");
    if (r.min_capacity > r.max_capacity) return Invalid("min_capacity: must not exceed max_capacity");
    if (!(r.target_low > 0.0 && r.target_low < 1.0)) return Invalid("target_low: must be in (0, 1)");
    if (!(r.target_high > 0.0 && r.target_high <= 1.0)) return Invalid("target_high: must be in (0, 1]");
    if (r.target_low > r.target_high) return Invalid("target_low: must not exceed target_high");
    if (r.boot_delay_s < 0 || r.boot_delay_s > kMaxBootDelay)
        return Invalid("boot_delay_s: must be between 0 and 3600 seconds");
    if (r.load_query.size() > 4096) return Invalid("load_query: at most 4096 characters");
    if (!r.load_query.empty() && r.load_query.find_first_not_of(" \t\r\n") == std::string::npos)
        return Invalid("load_query: must be a PromQL expression or empty, not blank");
    if (!r.risk_quantile.empty() && r.risk_quantile != "p50" && r.risk_quantile != "p90" && r.risk_quantile != "p95" &&
        r.risk_quantile != "p99")
        return Invalid("risk_quantile: must be p50, p90, p95, p99 or empty (the loop's default)");
    if (r.allowed_types.size() > 64) return Invalid("allowed_types: at most 64 instance types");
    for (const std::string& t : r.allowed_types)
        if (t.empty() || t.size() > 128 || !IsPrintableName(t) || t.find(',') != std::string::npos)
            return Invalid("allowed_types: each entry must name an instance type (\"m6g.large\" or \"aws/m6g.large\")");
    if (!(std::isfinite(r.spot_share_max) && r.spot_share_max >= 0.0 && r.spot_share_max <= 1.0))
        return Invalid("spot_share_max: must be between 0 and 1 (the share of vCPU that may run on spot)");
    if (r.max_step < 0 || r.max_step > kMaxInstances)
        return Invalid("max_step: must be between 0 (no limit) and 100000");
    if (!IsValidMetricName(r.load_metric))
        return Invalid("load_metric: must match [a-zA-Z_:][a-zA-Z0-9_:.]* (at most 128 characters)");
    if (!(std::isfinite(r.capacity_per_instance) && r.capacity_per_instance > 0.0))
        return Invalid("capacity_per_instance: must be a positive number (load one instance serves at 100%)");
    return ValidateLabels(r.labels);
}

}  // namespace cloudopt
