#include "allocate/instance_mix.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>

namespace cloudopt {
namespace {

// Every count vector up to what covers the requirement alone: the reference the branch and bound must match.
double BruteForce(const std::vector<MixCandidate>& items, const MixRequirement& need) {
    double best = std::numeric_limits<double>::infinity();
    std::vector<int> counts(items.size(), 0);
    std::function<void(std::size_t)> visit = [&](std::size_t i) {
        if (i == items.size()) {
            double vcpu = 0, gib = 0, cost = 0;
            for (std::size_t j = 0; j < items.size(); ++j) {
                vcpu += counts[j] * items[j].vcpu;
                gib += counts[j] * items[j].memory_gib;
                cost += counts[j] * items[j].price_per_hour;
            }
            if (vcpu >= need.vcpu - 1e-9 && gib >= need.memory_gib - 1e-9) best = std::min(best, cost);
            return;
        }
        const int most = static_cast<int>(
            std::ceil(std::max(need.vcpu / items[i].vcpu, need.memory_gib / std::max(items[i].memory_gib, 1e-9))));
        for (int x = 0; x <= most; ++x) {
            counts[i] = x;
            visit(i + 1);
        }
        counts[i] = 0;
    };
    visit(0);
    return best;
}

TEST(InstanceMix, MatchesBruteForceOnRandomCatalogs) {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> vcpu_pow(1, 3);
    std::uniform_int_distribution<int> ratio_pick(0, 2);
    std::uniform_real_distribution<double> price_noise(0.8, 1.25);
    std::uniform_real_distribution<double> need_vcpu(1.0, 12.0);
    const double ratios[] = {2.0, 4.0, 8.0};
    for (int trial = 0; trial < 150; ++trial) {
        std::vector<MixCandidate> items;
        const int n = 2 + trial % 3;
        for (int i = 0; i < n; ++i) {
            const double vcpu = std::pow(2.0, vcpu_pow(rng));
            const double gib = vcpu * ratios[ratio_pick(rng)];
            const double price = (0.03 * vcpu + 0.004 * gib) * price_noise(rng);
            items.push_back({"aws", "t" + std::to_string(i), vcpu, gib, price, false});
        }
        MixRequirement need{need_vcpu(rng), 0.0, 0.0};
        need.memory_gib = need.vcpu * ratios[ratio_pick(rng) % 2];
        const InstanceMix mix = CheapestMix(items, need);
        ASSERT_TRUE(mix.feasible) << trial;
        EXPECT_TRUE(mix.exact);
        EXPECT_NEAR(mix.cost_per_hour, BruteForce(items, need), 1e-9) << "trial " << trial;
        EXPECT_GE(mix.vcpu, need.vcpu - 1e-9);
        EXPECT_GE(mix.memory_gib, need.memory_gib - 1e-9);
    }
}

TEST(InstanceMix, SpotCoversAtMostItsShareOfTheRequirement) {
    const std::vector<MixCandidate> items = MixCandidates(
        {{"aws", "m5.large", 2, 8, 0.096, 0.034, ""}, {"aws", "m5.xlarge", 4, 16, 0.192, 0.060, ""}}, true);
    const InstanceMix mix = CheapestMix(items, {40, 160, 0.25});
    double od_vcpu = 0, spot_vcpu = 0;
    for (const MixLine& l : mix.lines)
        (l.spot ? spot_vcpu : od_vcpu) += 2.0 * l.count * (l.name == "m5.xlarge" ? 2 : 1);
    EXPECT_GE(od_vcpu, 30.0);  // on-demand alone carries 75%
    EXPECT_GE(od_vcpu + spot_vcpu, 40.0);
    EXPECT_NEAR(mix.cost_per_hour, 15 * 0.096 + 2 * 0.060 + 0.034, 1e-9) << DescribeMix(mix.lines);
    EXPECT_NEAR(CheapestMix(items, {40, 160, 0.0}).cost_per_hour, 20 * 0.096, 1e-9);  // no share, no spot
}

TEST(InstanceMix, MixesTypesWhenThatIsCheaper) {
    // 6 vCPU / 12 GiB: one 4-vCPU compute type + one 2-vCPU general type beats three of either.
    std::vector<MixCandidate> items = {{"aws", "c5.xlarge", 4, 8, 0.170, false},
                                       {"aws", "m5.large", 2, 8, 0.096, false},
                                       {"aws", "c5.large", 2, 4, 0.085, false}};
    const InstanceMix mix = CheapestMix(items, {6, 12, 0});
    EXPECT_NEAR(mix.cost_per_hour, 0.170 + 0.085, 1e-9) << DescribeMix(mix.lines);
    EXPECT_EQ(mix.instances, 2);
}

TEST(InstanceMix, PrefersFewerInstancesAtTheSamePrice) {
    // Four m5.large are one m5.2xlarge at the same price: 18 vCPU is two of the large size and one small one.
    std::vector<MixCandidate> items = {{"aws", "m5.large", 2, 8, 0.096, false},
                                       {"aws", "m5.2xlarge", 8, 32, 0.384, false}};
    const InstanceMix mix = CheapestMix(items, {18, 72, 0});
    EXPECT_NEAR(mix.cost_per_hour, 9 * 0.096, 1e-9);
    EXPECT_EQ(mix.instances, 3);
    EXPECT_EQ(DescribeMix(mix.lines), "1 x m5.large + 2 x m5.2xlarge");
}

TEST(InstanceMix, LargeRequirementsStayFastAndExact) {
    std::vector<MixCandidate> items = MixCandidates({{"aws", "m5.large", 2, 8, 0.096, 0.034, ""},
                                                     {"aws", "m5.2xlarge", 8, 32, 0.384, 0.134, ""},
                                                     {"aws", "c5.large", 2, 4, 0.085, 0.030, ""},
                                                     {"aws", "r5.large", 2, 16, 0.126, 0.044, ""},
                                                     {"aws", "m6g.large", 2, 8, 0.077, 0.027, ""},
                                                     {"aws", "c6a.2xlarge", 8, 16, 0.306, 0.107, ""}},
                                                    true);
    const InstanceMix mix = CheapestMix(items, {2001, 6000, 0.3});
    EXPECT_TRUE(CheapestMix(items, {2001, 6000, 0.0}).exact);
    ASSERT_TRUE(mix.feasible);
    EXPECT_TRUE(mix.exact);
    EXPECT_GE(mix.vcpu, 2001);
    EXPECT_GE(mix.memory_gib, 6000);
}

TEST(InstanceMix, ReportsWhatCannotBeCovered) {
    EXPECT_FALSE(CheapestMix({}, {4, 8, 0}).feasible);
    std::vector<MixCandidate> no_memory = {{"x", "cpu-only", 4, 0, 0.1, false}};
    EXPECT_FALSE(CheapestMix(no_memory, {4, 8, 0}).feasible);
    const InstanceMix nothing = CheapestMix(no_memory, {0, 0, 0});
    EXPECT_TRUE(nothing.feasible);
    EXPECT_EQ(DescribeMix(nothing.lines), "none");
}

}  // namespace
}  // namespace cloudopt
