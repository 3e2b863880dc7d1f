#pragma once
// Which live member plans each resource: rendezvous (highest random weight) hashing with a cap of ceil(N / M)
// resources per member, so the spread is even (no member above the cap) and a change of members moves few
// resources. Every member computes the same answer from the same lists, with no coordination: the leases
// (cluster/lease_manager.hpp) only make the answer safe while members disagree for a moment.
//
// Pure functions; thread-safe.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/resource.hpp"

namespace cloudopt::cluster {

// The weight of (member, resource): a stable 64-bit hash, the same in every process and build.
std::uint64_t RendezvousWeight(const std::string& member, ResourceId resource);

// Assigns every resource to one member: in order of resource id, the member with the highest weight among those
// below the cap. `members` in any order (duplicates ignored); empty members: an empty map.
std::map<ResourceId, std::string> AssignResources(const std::vector<std::string>& members,
                                                  const std::vector<ResourceId>& resources);

}  // namespace cloudopt::cluster
