#pragma once
// The cheapest instance mix that covers a capacity requirement: a small integer program
//   minimize  sum(price_i * x_i)
//   subject to sum(vcpu_i * x_i) >= vCPU needed, sum(memory_i * x_i) >= GiB needed, x_i whole and >= 0,
// solved exactly by branch and bound: candidates sorted by price per vCPU, the most of the cheapest tried first,
// and a branch cut as soon as its cost plus the linear relaxation's bound on what is still missing (from the
// vertices of its two-variable dual) cannot beat the best mix found.
//
// A spot share s splits the requirement: on-demand instances alone cover (1 - s) of the vCPU and memory, so losing
// every spot instance at once leaves the service short by at most s; spot covers the rest. Each part is solved
// exactly. (This is AWS's "on-demand percentage" and a stricter promise than capping spot's share of the result.)

#include <span>
#include <string>
#include <vector>

#include "core/catalog.hpp"
#include "core/plan.hpp"

namespace cloudopt {

struct MixCandidate {
    std::string provider;
    std::string name;
    double vcpu = 0.0;
    double memory_gib = 0.0;
    double price_per_hour = 0.0;
    bool spot = false;
};

struct MixRequirement {
    double vcpu = 0.0;
    double memory_gib = 0.0;
    double spot_share_max = 0.0;  // share of the requirement spot may cover, in [0, 1]
};

struct InstanceMix {
    std::vector<MixLine> lines;  // one per type used
    double cost_per_hour = 0.0;
    double vcpu = 0.0;
    double memory_gib = 0.0;
    int instances = 0;
    bool feasible = false;  // false when no candidate can cover the requirement (none given, or no memory)
    bool exact = true;      // false only if the search stopped at its node budget (never seen; see the test)
};

// The candidates for a set of catalog types: each on demand, and on spot too when it has a spot price and spot
// is allowed at all.
std::vector<MixCandidate> MixCandidates(const std::vector<InstanceType>& types, bool with_spot);

InstanceMix CheapestMix(std::span<const MixCandidate> candidates, const MixRequirement& need);

// "10 x m6g.large + 2 x m5.large (spot)"; "none" for an empty mix.
std::string DescribeMix(const std::vector<MixLine>& lines);

}  // namespace cloudopt
