#pragma once
// The model file: trained models (one per series) with their bands, in a versioned binary format, so that a
// trained LSTM is loaded instead of retrained. `cloudopt train --out` writes it; the service keeps the same
// bytes in its store. Layout (v2, little-endian): "COMODEL2", u32 count, then per model: series, model, base,
// u32 parts with (name, f64 weight) each, chosen, i32 season, i64 start, i64 step, i32 horizon, f64 accuracy,
// u32 steps, f64 q90[steps], f64 q95[steps], f64 mae[steps], the model's own state. Strings are
// u32-length-prefixed. v1 ("COMODEL1", written before band tracking) has no mae and is still read.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "forecast/backtest.hpp"

namespace cloudopt {

struct NamedModel {
    std::string series;
    TrainedModel trained;
};

std::string SaveModels(const std::vector<NamedModel>& models);
// kInvalidArgument naming what is wrong for a damaged or foreign file.
Result<std::vector<NamedModel>> LoadModels(std::string_view bytes, const ModelOptions& options = {});

}  // namespace cloudopt
