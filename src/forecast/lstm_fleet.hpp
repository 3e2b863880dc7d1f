#pragma once
// One LSTM trained on the windows of many series at once: the VMs of one service, the resources of one kind.
//
// A series of a few thousand points gives a per-series network few examples of its rare shapes (a burst, a cron
// spike); a fleet's series share those shapes. Each series is scaled by its own training mean and deviation, so
// large and small members weigh alike, and the windows of all of them are shuffled into the same batches. The
// result serves every member through LstmModel's "lstm_fleet" mode, which takes only the member's scaling.
// On the bursty Azure 2017 VMs this lifted accuracy far above a network per VM (docs/FORECASTING.md).

#include <memory>
#include <span>

#include "core/error.hpp"
#include "forecast/lstm_model.hpp"

namespace cloudopt {

struct FleetMember {
    std::span<const double> train;  // the values the network may learn from
    UnixSeconds start = 0;          // time of train[0]
    long long step = 300;
};

// Members shorter than window + horizon + 32 points are left out; at least one must remain. Validation (early
// stopping) takes the latest windows of every member, and its error is in scaled units.
// Each member is read on options.scale, and the network keeps it (LstmFleet::log_scale).
Result<std::shared_ptr<const LstmFleet>> TrainLstmFleet(std::span<const FleetMember> members, int horizon,
                                                        const LstmOptions& options);

}  // namespace cloudopt
