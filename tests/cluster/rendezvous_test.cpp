// The even assignment of resources to replicas: every member computes the same answer, no member gets more than
// ceil(N / M), and a change of members moves few resources.

#include "cluster/rendezvous.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace cloudopt::cluster {
namespace {

std::vector<ResourceId> Ids(int n) {
    std::vector<ResourceId> ids;
    for (int i = 1; i <= n; ++i) ids.push_back(i);
    return ids;
}

std::map<std::string, std::size_t> Counts(const std::map<ResourceId, std::string>& assignment) {
    std::map<std::string, std::size_t> counts;
    for (const auto& [id, member] : assignment) ++counts[member];
    return counts;
}

TEST(Rendezvous, EveryResourceGoesToOneMemberAndNoMemberGetsMoreThanItsShare) {
    const std::vector<std::string> members = {"host-a-101-1f2e", "host-b-202-9c9c", "host-c-303-0001"};
    const auto assignment = AssignResources(members, Ids(200));
    ASSERT_EQ(assignment.size(), 200u);
    const auto counts = Counts(assignment);
    ASSERT_EQ(counts.size(), 3u);
    for (const auto& [member, count] : counts) EXPECT_LE(count, 67u) << member;  // ceil(200 / 3)
    std::size_t total = 0;
    for (const auto& [member, count] : counts) total += count;
    EXPECT_EQ(total, 200u);
}

TEST(Rendezvous, TheOrderOfTheListsDoesNotMatter) {
    std::vector<std::string> members = {"m3", "m1", "m2"};
    std::vector<ResourceId> ids = Ids(50);
    const auto first = AssignResources(members, ids);
    std::reverse(members.begin(), members.end());
    std::reverse(ids.begin(), ids.end());
    members.push_back("m1");  // a duplicate is one member
    EXPECT_EQ(AssignResources(members, ids), first);
}

TEST(Rendezvous, AMemberLeavingMovesOnlyItsResourcesAndAJoinerTakesAboutItsShare) {
    const std::vector<std::string> three = {"alpha", "beta", "gamma"};
    const auto before = AssignResources(three, Ids(300));
    const auto after = AssignResources({"alpha", "beta"}, Ids(300));
    std::size_t moved_from_survivors = 0;
    for (const auto& [id, member] : before)
        if (member != "gamma" && after.at(id) != member) ++moved_from_survivors;
    // With the cap, a few of the survivors' resources may shift to make room; most stay.
    EXPECT_LT(moved_from_survivors, 30u);
    const auto four = AssignResources({"alpha", "beta", "gamma", "delta"}, Ids(300));
    std::size_t moved = 0;
    for (const auto& [id, member] : before) moved += four.at(id) != member ? 1 : 0;
    EXPECT_GE(moved, 75u);  // the joiner's share
    EXPECT_LT(moved, 120u) << "a join should not reshuffle everything";
}

TEST(Rendezvous, NoMembersNoAssignment) {
    EXPECT_TRUE(AssignResources({}, Ids(5)).empty());
    EXPECT_TRUE(AssignResources({"only"}, {}).empty());
    EXPECT_EQ(RendezvousWeight("a", 1), RendezvousWeight("a", 1));
    EXPECT_NE(RendezvousWeight("a", 1), RendezvousWeight("a", 2));
}

}  // namespace
}  // namespace cloudopt::cluster
