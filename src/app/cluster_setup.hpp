#pragma once
// Replicas sharing a PostgreSQL store (docs/DEPLOYMENT.md "Replicas and leases"), wired for `cloudopt serve`: the
// coordination tables, the check that this replica's master key and JWT signing key are the ones the other replicas
// use (it refuses to start otherwise, saying so), the lease manager the loop asks before it plans a resource, and the
// event bridge that carries live events between replicas. With SQLite, or cluster.enabled false, there is none: the
// one process plans every resource.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "cluster/apply_relay.hpp"
#include "cluster/event_bridge.hpp"
#include "cluster/lease_manager.hpp"
#include "control/control_loop.hpp"
#include "core/telemetry.hpp"
#include "store/coordination.hpp"

namespace cloudopt {

// The ids (keyed hashes, security::Keyring::KeyId) of the keys replicas must share.
struct SharedKeyIds {
    std::string master;
    std::vector<std::string> master_previous;
    std::string jwt;
    std::vector<std::string> jwt_previous;
};

// Declared in this order so that destruction stops the applies and the bridge, then the leases (leaving), then closes
// the pool.
struct ClusterServices {
    std::unique_ptr<Coordination> coordination;
    std::unique_ptr<cluster::LeaseManager> leases;
    std::unique_ptr<cluster::EventBridge> events;
    std::unique_ptr<cluster::ApplyRelay> applies;  // made by ConnectApplies
    void Stop();
};

// Opens the coordination and checks the keys; the lease manager and the bridge are made, not started (StartCluster).
// `store_url` empty (SQLite) or cluster.enabled false: an empty ClusterServices. Errors say what to do.
Result<ClusterServices> OpenCluster(const Config& config, const std::string& store_url, const Clock& clock,
                                    MetricsRegistry& metrics, const SharedKeyIds& keys,
                                    std::function<std::int64_t()> local_passes);

// A user's apply of a recommendation (POST /api/resources/recommendations/{id}/apply) on a replica that does not
// plan the resource goes to the replica that does, which applies it under its lease; this replica applies those the
// others forward for the resources it plans (cluster/apply_relay.hpp). Nothing without leases. `loop` and `clock`
// outlive `services`' applies.
void ConnectApplies(ClusterServices& services, ControlLoop& loop, const Clock& clock);

// Every replica plans at the newest setting adopted on any of them (POST /api/settings/adopt keeps it in the shared
// store, app/adopted_settings.hpp): each lease round reads it and, when the loop plans at another, adopts it in the
// loop (ControlLoop::AdoptRisk). Call before the leases start, so a replica that starts after an adoption plans at it
// from its first pass. Nothing without leases. `loop` outlives `services`' leases.
void FollowAdoptions(ClusterServices& services, ControlLoop& loop);

}  // namespace cloudopt
