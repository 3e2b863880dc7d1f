#pragma once
// The control loop's settings from the config (loop.*): the one mapping from config keys to the engine and the
// model setup, used by `cloudopt serve` and by `cloudopt simulate --config`, so both run with the same keys.

#include "app/config.hpp"
#include "control/control_loop.hpp"

namespace cloudopt {

ControlLoopOptions LoopOptionsFrom(const Config& config);

}  // namespace cloudopt
