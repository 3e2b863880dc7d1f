#include "simulate/cold_starts.hpp"

#include <algorithm>
#include <cmath>
#include <deque>

namespace cloudopt {

ColdStarts CountColdStarts(const RegularSeries& series, std::size_t first_scored, const std::vector<int>& ready,
                           double c, UnixSeconds keep_warm_s) {
    ColdStarts out;
    if (!(c > 0) || series.step <= 0) return out;
    const std::size_t keep_steps =
        keep_warm_s <= 0 ? 0 : static_cast<std::size_t>((keep_warm_s + series.step - 1) / series.step);
    std::deque<double> recent;  // on-demand environments needed in the last keep_steps steps, oldest first
    double demand_sum = 0.0, excess_sum = 0.0;
    std::size_t scored = 0, cold_steps = 0;
    for (std::size_t k = first_scored; k < series.values.size(); ++k) {
        const std::size_t j = k - first_scored;
        double needed = 0.0;
        if (!series.IsMissing(k) && j < ready.size()) {
            const double demand = std::max(0.0, series.values[k]);
            const double excess = std::max(0.0, demand - ready[j] * c);
            // The 1e-9 keeps a float's dust (10.000000001 of 10 warm) from counting a whole environment.
            needed = std::ceil(excess / c - 1e-9);
            const double alive = recent.empty() ? 0.0 : *std::max_element(recent.begin(), recent.end());
            const double cold = std::max(0.0, needed - alive);
            out.starts += cold;
            cold_steps += cold > 0;
            demand_sum += demand;
            excess_sum += excess;
            ++scored;
        }
        if (keep_steps == 0) continue;
        recent.push_back(needed);
        if (recent.size() > keep_steps) recent.pop_front();
    }
    out.cold_share = demand_sum > 0 ? excess_sum / demand_sum : 0.0;
    out.steps_share = scored > 0 ? static_cast<double>(cold_steps) / static_cast<double>(scored) : 0.0;
    return out;
}

}  // namespace cloudopt
