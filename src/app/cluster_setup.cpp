#include "app/cluster_setup.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdlib>

#include "store/postgres/coordination.hpp"

namespace cloudopt {

namespace {

Status CheckSharedKey(Coordination& coordination, const std::string& name, const std::string& what,
                      const std::string& config_key, const std::string& id, const std::vector<std::string>& previous) {
    auto recorded = coordination.AgreeOnKey(name, id, previous);
    if (!recorded) return recorded.error();
    if (*recorded == id) return Status::Ok();
    return MakeError(
        ErrorCode::kInvalidArgument,
        "this replica's " + what + " (id " + id + ") is not the one the other replicas on this database use (id " +
            *recorded + "): every replica must use the same " + what + " (" + config_key +
            "; in Compose and Kubernetes one secret mounted by all). To rotate it, give the new key to each "
            "replica with the old one as a previous key");
}

}  // namespace

void ClusterServices::Stop() {
    if (applies) applies->Stop();
    if (events) events->Stop();
    if (leases) leases->Stop();
}

Result<ClusterServices> OpenCluster(const Config& config, const std::string& store_url, const Clock& clock,
                                    MetricsRegistry& metrics, const SharedKeyIds& keys,
                                    std::function<std::int64_t()> local_passes) {
    ClusterServices services;
    if (store_url.empty() || !config.cluster_enabled) return services;
    PostgresOptions options;
    options.url = store_url;
    options.password = config.store_password;
    if (const char* env = std::getenv("CLOUDOPT_STORE_PASSWORD"); options.password.empty() && env)
        options.password = env;
    auto coordination = OpenPostgresCoordination(options);
    if (!coordination) return coordination.error();
    services.coordination = std::move(*coordination);
    if (Status s =
            CheckSharedKey(*services.coordination, "master", "master key",
                           "security.master_key_file, or security.master_key", keys.master, keys.master_previous);
        !s)
        return s.error();
    if (Status s = CheckSharedKey(*services.coordination, "jwt", "JWT signing key", "security.jwt_key_file", keys.jwt,
                                  keys.jwt_previous);
        !s)
        return s.error();
    cluster::LeaseManagerOptions lease_options;
    lease_options.member = cluster::MakeMemberId();
    lease_options.address = config.bind_address + ":" + std::to_string(config.port);
    lease_options.lease_seconds = config.cluster_lease_seconds;
    lease_options.tick_seconds = config.tick_seconds;
    services.leases =
        std::make_unique<cluster::LeaseManager>(*services.coordination, clock, metrics, std::move(lease_options));
    services.events = std::make_unique<cluster::EventBridge>(*services.coordination, services.leases->member(),
                                                             std::move(local_passes), clock);
    return services;
}

void ConnectApplies(ClusterServices& services, ControlLoop& loop, const Clock& clock) {
    if (!services.leases) return;
    services.applies = std::make_unique<cluster::ApplyRelay>(
        *services.coordination, services.leases->member(),
        [&loop](std::int64_t recommendation) -> Result<std::int64_t> {
            auto applied = loop.ApplyRecommendation(recommendation, /*may_forward=*/false);
            if (!applied) return applied.error();
            return applied->id;
        },
        clock,
        cluster::ApplyRelay::Options{
            std::chrono::milliseconds(200),
            std::chrono::milliseconds(static_cast<std::int64_t>(services.leases->lease_seconds() * 2000.0 + 5000.0))});
    cluster::ApplyRelay* relay = services.applies.get();
    loop.SetApplyForwarder([relay](std::int64_t recommendation, ResourceId resource, const std::string& holder) {
        return relay->Forward(recommendation, resource, holder);
    });
    relay->Start();
}

void FollowAdoptions(ClusterServices& services, ControlLoop& loop) {
    if (!services.leases) return;
    Coordination& coordination = *services.coordination;
    // Compared with what the loop plans at, not with the last row applied: a replica that adopted while another's
    // newer row arrived takes the newest at the next round.
    services.leases->AfterEachRound([&coordination, &loop] {
        auto latest = coordination.LatestAdoption();
        if (!latest) {
            spdlog::debug("reading the adopted setting: {}", latest.error().message);
            return;  // the next round reads it again
        }
        if (!*latest) return;
        const SharedAdoption& adopted = **latest;
        const EngineOptions now = loop.engine_options();
        if (now.quantile == adopted.quantile && std::abs(now.service_level.budget - adopted.unmet_budget) < 1e-12)
            return;
        spdlog::info("loop.quantile {} -> {}, loop.unmet_budget {} -> {}: adoption {} by replica {} ({})",
                     QuantileLevelName(now.quantile), QuantileLevelName(adopted.quantile), now.service_level.budget,
                     adopted.unmet_budget, adopted.id, adopted.member, adopted.reason);
        loop.AdoptRisk(adopted.quantile, adopted.unmet_budget);
    });
}

}  // namespace cloudopt
