#pragma once
// The work of a training job (one resource, or all of them with the shared network first), as POST
// /api/predictions/train queues it and as a replica that claims a shared training job makes it again from the job's
// subject (control/job_runner.hpp, ShareThrough).

#include <optional>
#include <string>

#include "control/control_loop.hpp"
#include "control/job_runner.hpp"
#include "store/store.hpp"

namespace cloudopt::api {

// Not owning; all three outlive the work. Its result is {"trained": [...], "fleet": {...}}.
JobRunner::Work TrainingWork(ControlLoop& loop, Store& store, JobRunner& jobs, std::optional<Resource> only);

// The factory for the shared queue: subject "resource:<id>" or "all". kNotFound for a resource deleted since.
JobRunner::Factory TrainingFactory(ControlLoop& loop, Store& store, JobRunner& jobs);

}  // namespace cloudopt::api
