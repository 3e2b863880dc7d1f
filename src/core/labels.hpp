#pragma once
// Labels on resources (team, env, any key): what costs and budgets group by (issue 32 item 5, docs/COSTS.md).
// The rules are Kubernetes' (a label a user already has on a Deployment or a cloud tag can be copied as it is):
//   key   = [prefix "/"] name; name: 1-63 of [A-Za-z0-9-_.], alphanumeric at both ends; prefix: a lowercase DNS
//           subdomain of at most 253 characters.
//   value = 0-63 of [A-Za-z0-9-_.], alphanumeric at both ends when not empty.
// Neither may hold ',', '=' or ':', so the stores keep a resource's labels as one "k=v,k=v" column and the API's
// selector "team:payments" is unambiguous. Pure functions; no state.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cloudopt {

using ResourceLabels = std::map<std::string, std::string>;

inline constexpr std::size_t kMaxLabels = 64;

// kUnprocessable naming the key (and the rule it broke) for the first bad label.
Status ValidateLabels(const ResourceLabels& labels);
Status ValidateLabelKey(std::string_view key);
Status ValidateLabelValue(std::string_view key, std::string_view value);

// "env=prod,team=payments" (sorted by key, as std::map holds them); "" for none. Round-trips with ParseLabels.
std::string FormatLabels(const ResourceLabels& labels);
// The inverse of FormatLabels; also reads one "k=v" as the CLI's --label gives it. Validates every label.
Result<ResourceLabels> ParseLabels(std::string_view text);

// One term of a label selector: "team:payments" (or "team=payments") matches resources whose label team is
// payments; "team" alone matches resources that have the key at all.
struct LabelTerm {
    std::string key;
    std::string value;
    bool any_value = false;
};
// A comma-separated list of terms, all of which must match ("team:payments,env:prod"). kInvalidArgument naming the
// bad term.
Result<std::vector<LabelTerm>> ParseLabelSelector(std::string_view text);
bool MatchesLabels(const ResourceLabels& labels, const std::vector<LabelTerm>& selector);

}  // namespace cloudopt
