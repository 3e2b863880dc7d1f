#pragma once
// Every endpoint of the service, registered on one router. Handlers are thin: parse the request into domain
// values, call the store / control loop, serialize the result.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "api/access_control.hpp"
#include "api/auth_service.hpp"
#include "api/ingest_limits.hpp"
#include "api/router.hpp"
#include "api/settings_adoption.hpp"
#include "control/control_loop.hpp"
#include "control/job_runner.hpp"
#include "core/telemetry.hpp"
#include "security/secret_box.hpp"
#include "store/store.hpp"

namespace cloudopt::api {

// The last day's policy comparison, reused within its 5-minute step (api/policy_comparison.cpp).
struct ComparisonCache;
std::shared_ptr<ComparisonCache> NewComparisonCache();

class BudgetMonitor;  // api/budget_monitor.hpp

struct ApiContext {
    Store& store;
    ControlLoop& loop;
    JobRunner& jobs;
    MetricsRegistry& metrics;
    const Clock& clock;
    std::string version;
    AuthService& auth;
    const security::Keyring& keyring;  // seals cloud credentials at rest
    AccessOptions access = {};
    std::string dashboard_dir = {};
    std::map<std::string, std::string> simulation_datasets = {};
    std::map<std::string, std::string> providers =
        {};  // provider name -> driver, as configured  // name -> CSV path, for POST /api/simulations  // the built
             // dashboard (dashboard/dist); empty or missing: a landing page at /
    IngestLimits ingest = {};  // what POST /api/metrics and /api/v1/write accept (api/ingest_limits.hpp)
    std::size_t max_event_streams_per_user = 8;  // open GET /api/events streams per user or token
    // Passes of the other replicas heard through the database (cluster/event_bridge.hpp); empty with one process.
    std::function<std::int64_t()> remote_events = {};
    // Registers a listener for the sample changes the other replicas committed (cluster/event_bridge.hpp), so caches
    // of samples drop what another replica's write changed; empty with one process, whose store tells it all.
    std::function<void(SamplesChangedListener)> on_remote_samples_changed = {};
    std::size_t max_queued_simulations = 4;     // POST /api/simulations jobs queued or running at once
    std::size_t query_cache_bytes = 16u << 20;  // rendered downsampled buckets (api/rendered_buckets.hpp); 0 = off
    std::shared_ptr<ComparisonCache> comparison_cache = NewComparisonCache();
    // Checks budgets against the spend forecast (GET /api/budgets shows its states); the service shares its own with
    // the periodic check (alerts, caps); null: the routes make one of their own.
    std::shared_ptr<BudgetMonitor> budget_monitor = {};
    // How POST /api/settings/adopt keeps a sweep's setting across restarts (api/settings_adoption.hpp); unset: the
    // POST answers 503 and GET shows the loop's setting alone.
    SettingsAdoption adoption = {};
};

// Every route, each guarded by access control (api/access_control.hpp).
Router BuildRouter(ApiContext& context);

// Queues a training job for one resource or all (what POST /api/predictions/train does); the loop's scheduled
// retraining submits through here too, so both produce the same job and result.
JobRunner::Submitted SubmitTraining(ApiContext& context, std::optional<Resource> only,
                                    const std::string& reason = "requested");

// Queues one control-loop pass over one resource or all as an "allocate" job on the interactive lane (what
// POST /api/resources/allocate does); its result is {"results": [pass outcome per resource]}.
JobRunner::Submitted SubmitAllocation(ApiContext& context, std::optional<Resource> only);

// The OpenAPI 3 document served at /api/openapi.json (src/api/openapi.json, embedded at build time).
const std::string& OpenApiDocument();

namespace detail {
// Route groups, one file each.
void AddResourceRoutes(Router& router, ApiContext& ctx);
void AddMetricRoutes(Router& router, ApiContext& ctx);
void AddRemoteWriteRoutes(Router& router, ApiContext& ctx);
void AddPredictionRoutes(Router& router, ApiContext& ctx);
void AddDashboardRoutes(Router& router, ApiContext& ctx);
void AddSystemRoutes(Router& router, ApiContext& ctx);
void AddAuthRoutes(Router& router, ApiContext& ctx);
void AddAdminRoutes(Router& router, ApiContext& ctx);
void AddCredentialRoutes(Router& router, ApiContext& ctx);
void AddStaticRoutes(Router& router, ApiContext& ctx);
void AddSimulationRoutes(Router& router, ApiContext& ctx);
void AddCostRoutes(Router& router, ApiContext& ctx);

// Reads an optional body {"resource": id or name} (an empty body means all resources): nullopt for all.
Result<std::optional<Resource>> ParseResourceSelector(const HttpRequest& request, Store& store,
                                                      const std::string& what);
// Resolves ?resource= (an id or a name) to a stored resource.
Result<Resource> ResolveResource(Store& store, const std::string& id_or_name);
// The {id} path parameter as a positive integer; `what` names it in the error.
Result<std::int64_t> PathId(const HttpRequest& request, const char* what);
// Parses an optional integer query parameter within [min, max]; names the parameter in its error.
Result<std::optional<long long>> IntParam(const HttpRequest& request, const std::string& name, long long min,
                                          long long max);
}  // namespace detail

}  // namespace cloudopt::api
