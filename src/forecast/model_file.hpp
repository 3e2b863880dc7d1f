#pragma once
// The model file: trained models (one per series) with their bands, in a versioned binary format, so that a
// trained LSTM is loaded instead of retrained. `cloudopt train --out` writes it; the service keeps the same
// bytes in its store. Layout (v5, little-endian): "COMODEL5", u32 count, then per model: series, model, base,
// u32 parts with (name, f64 weight) each, chosen, i32 season, i64 start, i64 step, i32 horizon, f64 accuracy,
// u32 steps, f64 q90[steps], f64 q95[steps], f64 q99[steps], f64 mae[steps], i64 phase period, i64 phase width
// (both 0: no bands by phase), u32 levels, f64 level bounds[levels] (0: no bands by level), f64 group
// q90[steps * groups], group q95[...], group q99[...], the model's own state. Strings are u32-length-prefixed.
// Older files are still read: v4 ("COMODEL4", before bands by level), v3 ("COMODEL3", before p99), v2
// ("COMODEL2", before phase bands too) and v1 ("COMODEL1", before band tracking: no mae either). The p99 offsets
// of v1-v3 files are extrapolated from p90 and p95 as for normal errors (Extrapolate99 in model_file.cpp), since
// their calibration errors are gone.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "forecast/trained_model.hpp"

namespace cloudopt {

struct NamedModel {
    std::string series;
    TrainedModel trained;
};

std::string SaveModels(const std::vector<NamedModel>& models);
// kInvalidArgument naming what is wrong for a damaged or foreign file.
Result<std::vector<NamedModel>> LoadModels(std::string_view bytes, const ModelOptions& options = {});

}  // namespace cloudopt
