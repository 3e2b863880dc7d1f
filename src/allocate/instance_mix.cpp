#include "allocate/instance_mix.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace cloudopt {

namespace {

constexpr double kEpsilon = 1e-9;
// Large requirements settle well within it (2,001 vCPU from six types: under 50 ms in the sanitizer build); the budget
// only guards against a pathological catalog turning one plan into a long stall.
constexpr long kNodeBudget = 2'000'000;

// Whole instances of `c` needed to cover `amount` of a resource it offers `per` of.
double CountFor(double amount, double per) {
    if (amount <= kEpsilon) return 0.0;
    if (per <= 0.0) return std::numeric_limits<double>::infinity();
    return std::ceil(amount / per - kEpsilon);
}

class Search {
public:
    Search(std::vector<MixCandidate> items, double vcpu, double gib)
        : items_(std::move(items)), vcpu_(vcpu), gib_(gib) {
        std::sort(items_.begin(), items_.end(), [](const MixCandidate& a, const MixCandidate& b) {
            const double pa = a.price_per_hour / a.vcpu, pb = b.price_per_hour / b.vcpu;
            if (pa != pb) return pa < pb;
            return a.memory_gib / a.price_per_hour > b.memory_gib / b.price_per_hour;
        });
        const std::size_t n = items_.size();
        has_memory_.assign(n + 1, false);
        duals_.resize(n + 1);
        for (std::size_t i = n; i-- > 0;) {
            const MixCandidate& c = items_[i];
            has_memory_[i] = has_memory_[i + 1] || c.memory_gib > 0;
            duals_[i] = DualVertices(i);
        }
        counts_.assign(n, 0);
        best_counts_.assign(n, 0);
    }

    InstanceMix Run() {
        Visit(0, vcpu_, gib_, 0.0);
        InstanceMix mix;
        mix.exact = nodes_ < kNodeBudget;
        if (!std::isfinite(best_)) return mix;
        mix.feasible = true;
        for (std::size_t i = 0; i < items_.size(); ++i) {
            if (best_counts_[i] == 0) continue;
            const MixCandidate& c = items_[i];
            mix.lines.push_back({c.provider, c.name, c.spot, best_counts_[i], c.price_per_hour});
            mix.instances += best_counts_[i];
            mix.vcpu += c.vcpu * best_counts_[i];
            mix.memory_gib += c.memory_gib * best_counts_[i];
            mix.cost_per_hour += c.price_per_hour * best_counts_[i];
        }
        return mix;
    }

private:
    // The vertices of the dual of the linear relaxation over items [i, n):
    //   max a*u + b*w  subject to  vcpu_j*u + memory_j*w <= price_j (j >= i), u, w >= 0.
    // Any of them prices a remaining need (a vCPU, b GiB) no higher than the cheapest fractional completion (weak
    // duality), so the best of them is a lower bound on completing a partial mix with whole instances; it is
    // much tighter than pricing vCPU and memory apart when different types are cheapest for each.
    std::vector<std::pair<double, double>> DualVertices(std::size_t i) const {
        const std::size_t n = items_.size();
        auto feasible = [&](double u, double w) {
            if (u < -kEpsilon || w < -kEpsilon) return false;
            for (std::size_t j = i; j < n; ++j)
                if (items_[j].vcpu * u + items_[j].memory_gib * w > items_[j].price_per_hour * (1 + 1e-12) + kEpsilon)
                    return false;
            return true;
        };
        std::vector<std::pair<double, double>> out;
        double u_max = std::numeric_limits<double>::infinity(), w_max = u_max;
        for (std::size_t j = i; j < n; ++j) {
            u_max = std::min(u_max, items_[j].price_per_hour / items_[j].vcpu);
            if (items_[j].memory_gib > 0) w_max = std::min(w_max, items_[j].price_per_hour / items_[j].memory_gib);
        }
        if (std::isfinite(u_max)) out.emplace_back(u_max, 0.0);
        if (std::isfinite(w_max)) out.emplace_back(0.0, w_max);
        for (std::size_t j = i; j < n; ++j) {
            for (std::size_t k = j + 1; k < n; ++k) {
                const MixCandidate &x = items_[j], &y = items_[k];
                const double det = x.vcpu * y.memory_gib - y.vcpu * x.memory_gib;
                if (std::abs(det) < 1e-12) continue;
                const double u = (x.price_per_hour * y.memory_gib - y.price_per_hour * x.memory_gib) / det;
                const double w = (x.vcpu * y.price_per_hour - y.vcpu * x.price_per_hour) / det;
                if (feasible(u, w)) out.emplace_back(std::max(0.0, u), std::max(0.0, w));
            }
        }
        return out;
    }

    void Visit(std::size_t i, double rem_vcpu, double rem_gib, double cost) {
        if (++nodes_ > kNodeBudget) return;
        if (rem_vcpu <= kEpsilon && rem_gib <= kEpsilon) {
            if (cost < best_ - kEpsilon) {
                best_ = cost;
                best_counts_ = counts_;
            }
            return;
        }
        if (i == items_.size()) return;
        if (rem_gib > kEpsilon && !has_memory_[i]) return;
        const double a = std::max(0.0, rem_vcpu), b = std::max(0.0, rem_gib);
        double relaxed = 0.0;
        for (const auto& [u, w] : duals_[i]) relaxed = std::max(relaxed, a * u + b * w);
        if (!(cost + relaxed < best_ - kEpsilon)) return;
        const MixCandidate& c = items_[i];
        // More of one type than covers everything by itself is never cheaper.
        double most = std::max(CountFor(rem_vcpu, c.vcpu), CountFor(rem_gib, c.memory_gib));
        if (!std::isfinite(most)) most = CountFor(rem_vcpu, c.vcpu);  // no memory: it can still add vCPU
        for (long x = static_cast<long>(most); x >= 0; --x) {
            counts_[i] = static_cast<int>(x);
            const double xd = static_cast<double>(x);
            Visit(i + 1, rem_vcpu - xd * c.vcpu, rem_gib - xd * c.memory_gib, cost + xd * c.price_per_hour);
            if (nodes_ > kNodeBudget) break;
        }
        counts_[i] = 0;
    }

    std::vector<MixCandidate> items_;
    double vcpu_, gib_;
    std::vector<bool> has_memory_;  // whether any item from i on offers memory
    std::vector<std::vector<std::pair<double, double>>> duals_;
    std::vector<int> counts_, best_counts_;
    double best_ = std::numeric_limits<double>::infinity();
    long nodes_ = 0;
};

// A coarser type dropped at equal cost: `multiple` instances of `fine` are exactly one of it, which the final mix
// uses instead, since fewer instances for the same price are easier to run.
struct Equivalent {
    MixCandidate coarse;
    std::string fine;  // the finer type's name (same provider)
    int multiple = 0;
};

// Drops candidates that whole multiples of another candidate cover at no more cost (an m5.2xlarge is four m5.large
// at the same price): they cannot make a mix cheaper, only the search longer. (Each search holds on-demand or spot
// candidates only, so replacing one by the other never changes the spot share.)
std::vector<MixCandidate> WithoutDominated(std::vector<MixCandidate> items, std::vector<Equivalent>& equivalents) {
    std::vector<bool> drop(items.size(), false);
    for (std::size_t j = 0; j < items.size(); ++j) {
        for (std::size_t i = 0; i < items.size() && !drop[j]; ++i) {
            if (i == j || drop[i]) continue;
            const double k =
                std::max(CountFor(items[j].vcpu, items[i].vcpu), CountFor(items[j].memory_gib, items[i].memory_gib));
            if (!std::isfinite(k) || k < 1.0) continue;
            const double cost = k * items[i].price_per_hour;
            // At equal cost the finer-grained type wins (k > 1); two equivalent rows keep the earlier one.
            const bool tie = std::abs(cost - items[j].price_per_hour) <= kEpsilon;
            if (cost < items[j].price_per_hour - kEpsilon || (tie && (k > 1.0 || i < j))) drop[j] = true;
            const bool same_shape = std::abs(k * items[i].vcpu - items[j].vcpu) <= kEpsilon &&
                                    std::abs(k * items[i].memory_gib - items[j].memory_gib) <= kEpsilon;
            if (drop[j] && tie && k > 1.0 && same_shape && items[i].provider == items[j].provider)
                equivalents.push_back({items[j], items[i].name, static_cast<int>(k)});
        }
    }
    std::vector<MixCandidate> kept;
    for (std::size_t i = 0; i < items.size(); ++i)
        if (!drop[i]) kept.push_back(std::move(items[i]));
    return kept;
}

InstanceMix Solve(std::vector<MixCandidate> items, double vcpu, double gib) {
    if (vcpu <= kEpsilon && gib <= kEpsilon) {
        InstanceMix none;
        none.feasible = true;
        return none;
    }
    std::vector<Equivalent> equivalents;
    InstanceMix mix = Search(WithoutDominated(std::move(items), equivalents), vcpu, gib).Run();
    // Consolidate: k instances of a fine type become one of the coarse type of the same shape and price.
    for (const Equivalent& e : equivalents) {
        auto is = [](const MixLine& l, const std::string& provider, const std::string& name) {
            return l.provider == provider && l.name == name;
        };
        int fine_count = 0;
        for (const MixLine& l : mix.lines)
            if (is(l, e.coarse.provider, e.fine)) fine_count = l.count;
        const int coarse = fine_count / e.multiple;
        if (coarse == 0) continue;
        bool merged = false;
        for (MixLine& l : mix.lines) {
            if (is(l, e.coarse.provider, e.fine)) l.count -= coarse * e.multiple;
            if (is(l, e.coarse.provider, e.coarse.name)) {
                l.count += coarse;
                merged = true;
            }
        }
        if (!merged)
            mix.lines.push_back({e.coarse.provider, e.coarse.name, e.coarse.spot, coarse, e.coarse.price_per_hour});
        std::erase_if(mix.lines, [](const MixLine& l) { return l.count == 0; });
        mix.instances -= coarse * (e.multiple - 1);
    }
    return mix;
}

}  // namespace

std::vector<MixCandidate> MixCandidates(const std::vector<InstanceType>& types, bool with_spot) {
    std::vector<MixCandidate> out;
    for (const InstanceType& t : types) {
        out.push_back({t.provider, t.name, t.vcpu, t.memory_gib, t.price_per_hour, false});
        if (with_spot && t.spot_price_per_hour > 0.0)
            out.push_back({t.provider, t.name, t.vcpu, t.memory_gib, t.spot_price_per_hour, true});
    }
    return out;
}

InstanceMix CheapestMix(std::span<const MixCandidate> candidates, const MixRequirement& need) {
    std::vector<MixCandidate> items;
    for (const MixCandidate& c : candidates) {
        if (!(c.vcpu > 0.0 && c.price_per_hour > 0.0 && c.memory_gib >= 0.0)) continue;
        if (c.spot && !(need.spot_share_max > 0.0)) continue;
        items.push_back(c);
    }
    std::vector<MixCandidate> on_demand, spot;
    for (MixCandidate& c : items) (c.spot ? spot : on_demand).push_back(std::move(c));
    const double s = spot.empty() ? 0.0 : std::clamp(need.spot_share_max, 0.0, 1.0);
    InstanceMix mix = Solve(on_demand, (1 - s) * need.vcpu, (1 - s) * need.memory_gib);
    if (s > 0.0 && mix.feasible) {
        const InstanceMix spot_part = Solve(spot, s * need.vcpu, s * need.memory_gib);
        if (!spot_part.feasible) return Solve(on_demand, need.vcpu, need.memory_gib);
        mix.lines.insert(mix.lines.end(), spot_part.lines.begin(), spot_part.lines.end());
        mix.cost_per_hour += spot_part.cost_per_hour;
        mix.vcpu += spot_part.vcpu;
        mix.memory_gib += spot_part.memory_gib;
        mix.instances += spot_part.instances;
        mix.exact = mix.exact && spot_part.exact;
    }
    return mix;
}

std::string DescribeMix(const std::vector<MixLine>& lines) {
    if (lines.empty()) return "none";
    std::string out;
    for (const MixLine& l : lines) {
        if (!out.empty()) out += " + ";
        out += std::to_string(l.count) + " x " + l.name;
        if (l.spot) out += " (spot)";
    }
    return out;
}

}  // namespace cloudopt
