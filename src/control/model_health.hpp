#pragma once
// Whether a resource's trained model still forecasts as well as it did when it was trained. Load changes under a
// model (a release, a new customer, a batch job moved to another hour): its bands are tracked and keep their
// coverage (band_tracker.hpp), but a model whose point forecasts got much worse sizes capacity from wider bands
// than a fresh one would, so it costs money. The loop retrains such a model instead of waiting for its schedule.

#include <cstddef>
#include <optional>
#include <string>

#include "core/time.hpp"
#include "forecast/band_tracker.hpp"

namespace cloudopt {

struct ModelHealth {
    double trained_accuracy = 0.0;  // 1 - WAPE on its validation window when it was trained, out of sample
    LiveScore live;                 // its forecasts of the load since then
    UnixSeconds trained_at = 0;
    std::string bands_by = "none";  // what its band offsets depend on (PhaseBands::Describe)
};

struct DriftRule {
    // Drifted when the live error (WAPE) is at least this many times the trained one; 0 turns drift off.
    double error_ratio = 1.5;
    // ... and at least this much accuracy was lost, so that a near-exact model that got slightly less exact
    // (WAPE 0.01 -> 0.02) is not retrained for nothing.
    double min_accuracy_drop = 0.05;
    // ... over at least this many known values since training: a single bad hour is noise, not drift.
    std::size_t min_actuals = 72;
    // ... and the model now forecasts worse than repeating the last value would have. It did not when trained:
    // auto weighs the last value among its candidates. A noisier stretch makes both worse and is no reason to
    // retrain; a pattern the model learned and the load left behind makes only the model worse.
    bool must_lose_to_naive = true;
};

// Why the model drifted, for a person ("live accuracy 0.61 over 96 steps since training, against 0.84 when
// trained"), or nothing while it holds up or has too few values to say.
std::optional<std::string> DriftReason(const ModelHealth& health, const DriftRule& rule);

}  // namespace cloudopt
