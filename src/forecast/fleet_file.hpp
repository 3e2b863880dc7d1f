#pragma once
// The shared network of a fleet (lstm_fleet: one network for calibration, one for forecasting) in a versioned
// binary format, so that the service keeps weighing it after a restart instead of waiting for the next "train
// all". Layout (v1, little-endian): "COFLEET1", f64 seconds, then per network (calibration, full): i32 inputs hidden
// layers window outputs, i32 epochs run, u64 series, u64 parameter count, f32 parameters.

#include <string>
#include <string_view>

#include "forecast/trained_model.hpp"

namespace cloudopt {

std::string SaveFleetNetworks(const FleetNetworks& networks);
// kInvalidArgument naming what is wrong for damaged or foreign bytes.
Result<FleetNetworks> LoadFleetNetworks(std::string_view bytes);

}  // namespace cloudopt
