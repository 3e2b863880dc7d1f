#include "control/anomaly_mask.hpp"

#include <algorithm>
#include <limits>

namespace cloudopt {

std::size_t MaskAlertSteps(RegularSeries& series, std::span<const Alert> alerts, const std::string& metric,
                           MaskValues values) {
    const std::size_t n = series.values.size();
    if (n < 2 || series.step <= 0) return 0;
    std::size_t marked = 0;
    for (const Alert& a : alerts) {
        if (a.metric != metric) continue;
        const UnixSeconds to = a.closed_at > 0 ? a.closed_at : std::numeric_limits<UnixSeconds>::max();
        if (to <= series.start || a.opened_at >= series.start + static_cast<UnixSeconds>(n) * series.step) continue;
        const UnixSeconds from_offset = std::max<UnixSeconds>(a.opened_at - series.start, 0);
        // The step that opened the alert is the first masked; closed_at is the end of the last step it covered.
        std::size_t first = static_cast<std::size_t>(from_offset / series.step);
        first = std::max<std::size_t>(first, 1);
        std::size_t last = n;  // one past
        if (a.closed_at > 0) {
            const UnixSeconds end_offset = a.closed_at - series.start;
            last = std::min(n, static_cast<std::size_t>((end_offset + series.step - 1) / series.step));
        }
        if (series.missing.empty()) series.missing.assign(n, 0);
        for (std::size_t i = first; i < last; ++i) {
            if (series.missing[i] == 0) ++marked;
            series.missing[i] = 1;
        }
    }
    if (values == MaskValues::kHold && marked > 0) {
        // Hold every missing step at the value before it (as Regularize fills a gap), in one pass from the start.
        for (std::size_t i = 1; i < n; ++i)
            if (series.missing[i]) series.values[i] = series.values[i - 1];
    }
    return marked;
}

std::size_t MaskAnomalousSteps(Store& store, const Resource& resource, RegularSeries& series, MaskValues values) {
    AlertQuery q;
    q.resource_id = resource.id;
    q.limit = 1000;
    auto alerts = store.ListAlerts(q);
    if (!alerts) return 0;
    return MaskAlertSteps(series, *alerts, resource.load_metric, values);
}

}  // namespace cloudopt
