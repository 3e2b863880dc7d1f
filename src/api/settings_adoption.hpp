#pragma once
// How the running service adopts a sweep's setting (POST /api/settings/adopt, api/routes_simulations.cpp): the route
// checks the request against the sweep job's result, applies loop.quantile and loop.unmet_budget to the live loop
// (ControlLoop::AdoptRisk) and keeps them through these calls, which the composition root provides
// (app/adopted_settings.hpp: DATA_DIR/adopted.yaml, read again at start, and the sweep's JSON as evidence; with
// replicas, the shared store every replica follows).
// The api layer writes no files itself. The calls are made one adoption at a time (the route serializes them).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/forecast.hpp"

namespace cloudopt::api {

// What adopted.yaml (or, with replicas, the shared store) holds: the setting and where it came from.
struct AdoptedRecord {
    QuantileLevel quantile = QuantileLevel::kP95;
    double unmet_budget = 0.005;
    std::string file;      // the adopted.yaml path; empty when kept in the shared store
    std::string evidence;  // the evidence's path, relative to the data directory ("evidence/sweep-...json")
    std::string reason;    // one line: what was chosen, by whom, against which budget on which trace
    // From the evidence, for GET: {"source", "unmet_budget", "cheapest_predictive"} as JSON text; empty when the
    // evidence is missing or unreadable.
    std::string evidence_summary_json;
    // Kept in the shared store of replicas (store/coordination.hpp SharedAdoption): its row, the replica that adopted
    // it (whose data directory holds the evidence) and when (unix seconds). shared_id 0: kept in adopted.yaml.
    std::int64_t shared_id = 0;
    std::string replica;
    std::int64_t adopted_at = 0;
};

struct SettingsAdoption {
    // Keeps the setting where a restart reads it, with the sweep's whole JSON as evidence; the record as written.
    // Its errors (and current's) name the path or store that failed; the route answers them 500 (503 for
    // kUnavailable): the request was valid, keeping it failed.
    std::function<Result<AdoptedRecord>(QuantileLevel quantile, double unmet_budget, const std::string& reason,
                                        const std::string& evidence_json)>
        persist;
    // What is kept now; nullopt: nothing was adopted (the config's settings are in force).
    std::function<Result<std::optional<AdoptedRecord>>()> current;
};

}  // namespace cloudopt::api
