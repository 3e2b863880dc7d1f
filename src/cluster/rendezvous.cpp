#include "cluster/rendezvous.hpp"

#include <algorithm>

namespace cloudopt::cluster {

namespace {

// FNV-1a over the bytes, then splitmix64's finalizer: FNV alone clusters on inputs that differ in their last bytes
// (resource ids 1, 2, 3), the finalizer spreads them.
std::uint64_t MixBits(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

}  // namespace

std::uint64_t RendezvousWeight(const std::string& member, ResourceId resource) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    auto feed = [&h](unsigned char byte) {
        h ^= byte;
        h *= 0x100000001b3ULL;
    };
    for (char c : member) feed(static_cast<unsigned char>(c));
    feed(0);
    const auto id = static_cast<std::uint64_t>(resource);
    for (int shift = 0; shift < 64; shift += 8) feed(static_cast<unsigned char>((id >> shift) & 0xff));
    return MixBits(h);
}

std::map<ResourceId, std::string> AssignResources(const std::vector<std::string>& members,
                                                  const std::vector<ResourceId>& resources) {
    std::vector<std::string> live = members;
    std::sort(live.begin(), live.end());
    live.erase(std::unique(live.begin(), live.end()), live.end());
    std::map<ResourceId, std::string> out;
    if (live.empty()) return out;
    std::vector<ResourceId> ordered = resources;
    std::sort(ordered.begin(), ordered.end());
    ordered.erase(std::unique(ordered.begin(), ordered.end()), ordered.end());
    const std::size_t cap = (ordered.size() + live.size() - 1) / live.size();
    std::vector<std::size_t> load(live.size(), 0);
    for (ResourceId id : ordered) {
        std::size_t best = live.size();
        std::uint64_t best_weight = 0;
        for (std::size_t member_idx = 0; member_idx < live.size(); ++member_idx) {
            if (load[member_idx] >= cap) continue;
            const std::uint64_t w = RendezvousWeight(live[member_idx], id);
            if (best == live.size() || w > best_weight) {
                best = member_idx;
                best_weight = w;
            }
        }
        ++load[best];  // the caps sum to at least the resources, so some member is below its cap
        out[id] = live[best];
    }
    return out;
}

}  // namespace cloudopt::cluster
