#pragma once
// Keeps anomalous steps out of model training and band calibration (issue 36 item 3, docs/ANOMALY.md): the steps
// an alert on the resource's load metric covered, from the step that opened it to the one it closed at (or to the
// end while it is open), are marked missing (RegularSeries::missing), the flag every scorer, calibration and band
// tracker already skips (core/sample.hpp Measured). For training the values are also held at the last value before
// the alert, as Regularize fills a gap, so a leak or a spike teaches the model nothing; for a forecast they are kept,
// so the forecast still starts from the load as it is, and only its band tracking leaves them out.

#include <span>
#include <string>

#include "core/alert.hpp"
#include "core/resource.hpp"
#include "core/sample.hpp"
#include "store/store.hpp"

namespace cloudopt {

enum class MaskValues { kHold, kKeep };

// Marks the steps of `series` inside the alerts on `metric`; returns how many steps it marked (already missing ones
// not counted). The first step of the series is never marked (nothing before it to hold).
std::size_t MaskAlertSteps(RegularSeries& series, std::span<const Alert> alerts, const std::string& metric,
                           MaskValues values);

// The same with the resource's alerts read from the store (the most recent 1,000). A store that cannot list alerts
// masks nothing: the model then trains as before alerts existed.
std::size_t MaskAnomalousSteps(Store& store, const Resource& resource, RegularSeries& series, MaskValues values);

}  // namespace cloudopt
