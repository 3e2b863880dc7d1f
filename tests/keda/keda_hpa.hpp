#pragma once
// KEDA and the HPA it manages, reduced to their arithmetic, for checking what cloudopt serves:
//  - KEDA passes metric and target on as milli-quantities (int64(x * 1000), keda::KedaMilli);
//  - an inactive scaler (IsActive false) scales the workload to minReplicaCount 0 (cooldownPeriod 0 here), an
//    active one at 0 replicas to 1, after which the HPA takes over;
//  - the HPA (AverageValue external metric): ratio = metric / (target x current replicas); within the tolerance
//    (|1 - ratio| <= tolerance, 0.1 by default) it keeps the replicas, else it sets ceil(metric / target), within
//    [1, maxReplicaCount]. Behavior policies and stabilization are left out: docs/KEDA.md sets scale-down
//    stabilization to 0 and scale-up policies wide, since cloudopt's planner already applies its own.

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "keda/served_metric.hpp"

namespace cloudopt::keda::testing {

inline int KedaHpaStep(int current, bool active, double value, double target, double tolerance, int max_replicas) {
    if (!active) return 0;
    if (current == 0) current = 1;  // KEDA activates the workload; the HPA sees one replica
    const std::int64_t usage = KedaMilli(value);
    const std::int64_t per = KedaMilli(target);
    const double ratio = static_cast<double>(usage) / (static_cast<double>(per) * current);
    int desired = current;
    if (std::abs(1.0 - ratio) > tolerance)
        desired = static_cast<int>(std::ceil(static_cast<double>(usage) / static_cast<double>(per)));
    return std::clamp(desired, 1, max_replicas);
}

}  // namespace cloudopt::keda::testing
