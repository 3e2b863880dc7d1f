#pragma once
// KEDA's gRPC ExternalScaler service (externalscaler.proto) on its own port (keda.port), serving what the loop
// planned for resources on a `keda` provider (docs/KEDA.md):
//   GetMetricSpec   the load per replica at the resource's target utilization (target of an AverageValue metric);
//   GetMetrics      the planned load, fitted so that KEDA's HPA, ceil(value / target), lands on cloudopt's count;
//   IsActive        whether that count is above zero (scale to and from zero ahead of the load);
//   StreamIsActive  the same, sent at once and again whenever it changes (an `external-push` trigger).
// StreamMetricSpec is not implemented: KEDA then polls GetMetricSpec, which changes only when the resource is edited.
//
// scalerMetadata names the resource (`resource`) and may pick a forecast band (`quantile`: p50, p90, p95, p99).
// Every call needs the token (keda.token): as gRPC metadata `authorization: Bearer TOKEN`, or in scalerMetadata
// as `token` or `tokenFromEnv` (KEDA resolves the latter from the scaled workload's environment, so the token can
// come from a Secret). With keda.tls_client_ca_file, clients must also present a certificate signed by that CA
// (KEDA's TriggerAuthentication tlsClientCert / tlsClientKey).
// Failures are gRPC errors KEDA reports, never a silent zero: NOT_FOUND (unknown resource), INVALID_ARGUMENT
// (scalerMetadata), FAILED_PRECONDITION (not on a keda provider, not in auto mode), UNAVAILABLE (no plan yet, stale
// plan or metrics, forecast failure), UNAUTHENTICATED (token).
//
// Thread-safety: Start and Stop from one thread; the RPCs run on gRPC's own threads and only read the board, the
// clock and `find`, which must be thread-safe. Stop ends open streams.

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "core/error.hpp"
#include "core/resource.hpp"
#include "core/telemetry.hpp"
#include "core/time.hpp"
#include "keda/plan_board.hpp"

namespace cloudopt::keda {

struct ScalerServerOptions {
    std::string bind_address = "127.0.0.1";
    int port = 0;               // 0: any free port (Start returns it)
    std::string tls_cert_file;  // PEM; required unless allow_plaintext
    std::string tls_key_file;
    std::string client_ca_file;       // when set, clients must present a certificate this CA signed
    bool allow_plaintext = false;     // no TLS (a test, or a mesh sidecar that terminates it); never the default
    std::string token;                // the bearer token every call must carry; required unless client_ca_file is set
    std::set<std::string> providers;  // provider names whose driver is keda: only their resources are served
    UnixSeconds max_plan_age_seconds = 180;  // an older plan is stale (the loop stopped planning the resource)
    // StreamIsActive re-checks at least this often besides on every change, so a plan turning stale ends the stream.
    std::chrono::milliseconds stream_recheck{1000};
};

// Resolves a resource by name (the store's); kNotFound for none.
using FindResource = std::function<Result<Resource>(const std::string& name)>;

class ScalerServer {
  public:
    ScalerServer(PlanBoard& board, const Clock& clock, FindResource find, MetricsRegistry& metrics,
                 ScalerServerOptions options);
    ~ScalerServer();
    ScalerServer(const ScalerServer&) = delete;
    ScalerServer& operator=(const ScalerServer&) = delete;

    // Reads the key files and listens. Returns the port. kInvalidArgument for a missing file or setting.
    Result<int> Start();
    void Stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace cloudopt::keda
