#include "keda/scaler_server.hpp"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>

#include <atomic>
#include <cctype>
#include <fstream>
#include <sstream>

#include "externalscaler.grpc.pb.h"
#include "keda/served_metric.hpp"

namespace cloudopt::keda {

namespace {

grpc::StatusCode GrpcCode(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalidArgument:
            return grpc::StatusCode::INVALID_ARGUMENT;
        case ErrorCode::kUnauthenticated:
            return grpc::StatusCode::UNAUTHENTICATED;
        case ErrorCode::kPermissionDenied:
            return grpc::StatusCode::PERMISSION_DENIED;
        case ErrorCode::kNotFound:
            return grpc::StatusCode::NOT_FOUND;
        case ErrorCode::kConflict:
        case ErrorCode::kUnprocessable:
            return grpc::StatusCode::FAILED_PRECONDITION;
        case ErrorCode::kTooManyRequests:
            return grpc::StatusCode::RESOURCE_EXHAUSTED;
        case ErrorCode::kUnavailable:
            return grpc::StatusCode::UNAVAILABLE;
        default:
            return grpc::StatusCode::INTERNAL;
    }
}

grpc::Status ToGrpc(const Error& e) { return {GrpcCode(e.code), e.message}; }

Result<std::string> ReadPem(const std::string& path, const std::string& key) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return MakeError(ErrorCode::kInvalidArgument, key + ": cannot read '" + path + "'");
    std::ostringstream text;
    text << in.rdbuf();
    if (text.str().find("-----BEGIN") == std::string::npos)
        return MakeError(ErrorCode::kInvalidArgument, key + ": '" + path + "' is not a PEM file");
    return text.str();
}

// Compares without an early exit, so the time taken does not tell how much of a guess was right.
bool SameSecret(const std::string& given, const std::string& expected) {
    if (expected.empty() || given.size() != expected.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < given.size(); ++i)
        diff = static_cast<unsigned char>(
            diff | (static_cast<unsigned char>(given[i]) ^ static_cast<unsigned char>(expected[i])));
    return diff == 0;
}

// The metric KEDA names in the HPA: "cloudopt-" and the resource's name, lower case, [a-z0-9-] only.
std::string MetricName(const Resource& r) {
    std::string out = "cloudopt-";
    for (char c : r.name) {
        const unsigned char u = static_cast<unsigned char>(c);
        out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '-';
    }
    return out;
}

}  // namespace

class ScalerService final : public externalscaler::ExternalScaler::Service {
  public:
    ScalerService(PlanBoard& board, const Clock& clock, FindResource find, MetricsRegistry& metrics,
                  const ScalerServerOptions& options)
        : board_(board), clock_(clock), find_(std::move(find)), metrics_(metrics), options_(options) {}

    grpc::Status IsActive(grpc::ServerContext* context, const externalscaler::ScaledObjectRef* ref,
                          externalscaler::IsActiveResponse* response) override {
        auto served = Serve(*context, *ref);
        Count("IsActive", served ? "OK" : ErrorCodeName(served.error().code));
        if (!served) return ToGrpc(served.error());
        response->set_result(served->second.active);
        return grpc::Status::OK;
    }

    grpc::Status StreamIsActive(grpc::ServerContext* context, const externalscaler::ScaledObjectRef* ref,
                                grpc::ServerWriter<externalscaler::IsActiveResponse>* writer) override {
        std::optional<bool> sent;
        std::uint64_t seen = board_.version();
        while (!stopping_.load() && !context->IsCancelled()) {
            auto served = Serve(*context, *ref);
            if (!served) {
                Count("StreamIsActive", ErrorCodeName(served.error().code));
                return ToGrpc(served.error());  // KEDA reports it and opens the stream again
            }
            if (sent != served->second.active) {
                externalscaler::IsActiveResponse message;
                message.set_result(served->second.active);
                if (!writer->Write(message)) return grpc::Status::CANCELLED;
                sent = served->second.active;
                Count("StreamIsActive", "OK");
            }
            seen = board_.WaitForChange(seen, std::chrono::steady_clock::now() + options_.stream_recheck);
        }
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "cloudopt is stopping; KEDA reconnects");
    }

    grpc::Status GetMetricSpec(grpc::ServerContext* context, const externalscaler::ScaledObjectRef* ref,
                               externalscaler::GetMetricSpecResponse* response) override {
        auto resource = Lookup(*context, *ref);
        Count("GetMetricSpec", resource ? "OK" : ErrorCodeName(resource.error().code));
        if (!resource) return ToGrpc(resource.error());
        const double target = TargetPerReplica(*resource);
        if (KedaMilli(target) < 1) {
            const Error e{ErrorCode::kUnprocessable,
                          "resource '" + resource->name +
                              "': the load per replica at the target utilization is below "
                              "KEDA's resolution of 0.001; measure the load in a smaller unit"};
            return ToGrpc(e);
        }
        externalscaler::MetricSpec* spec = response->add_metricspecs();
        spec->set_metricname(MetricName(*resource));
        spec->set_targetsizefloat(target);
        spec->set_targetsize(std::max<std::int64_t>(1, std::llround(target)));  // for KEDA before targetSizeFloat
        return grpc::Status::OK;
    }

    grpc::Status GetMetrics(grpc::ServerContext* context, const externalscaler::GetMetricsRequest* request,
                            externalscaler::GetMetricsResponse* response) override {
        auto served = Serve(*context, request->scaledobjectref());
        Count("GetMetrics", served ? "OK" : ErrorCodeName(served.error().code));
        if (!served) return ToGrpc(served.error());
        externalscaler::MetricValue* value = response->add_metricvalues();
        value->set_metricname(request->metricname().empty() ? served.value().first : request->metricname());
        value->set_metricvaluefloat(served->second.value);
        value->set_metricvalue(static_cast<std::int64_t>(std::ceil(served->second.value)));
        return grpc::Status::OK;
    }

    void Stopping() { stopping_.store(true); }

  private:
    void Count(const char* rpc, const char* code) {
        metrics_
            .GetCounter("cloudopt_keda_requests_total", "Calls KEDA made to the external scaler, by RPC and outcome",
                        {{"rpc", rpc}, {"code", code}})
            .Inc();
    }

    Status Authenticate(const grpc::ServerContext& context, const externalscaler::ScaledObjectRef& ref) const {
        if (options_.token.empty()) return Status::Ok();  // the client certificate is the credential
        const auto& headers = context.client_metadata();
        for (auto it = headers.find("authorization"); it != headers.end() && it->first == "authorization"; ++it) {
            const std::string value(it->second.data(), it->second.size());
            if (value.rfind("Bearer ", 0) == 0 && SameSecret(value.substr(7), options_.token)) return Status::Ok();
        }
        for (const char* key : {"token", "tokenFromEnv"}) {
            auto it = ref.scalermetadata().find(key);
            if (it != ref.scalermetadata().end() && SameSecret(it->second, options_.token)) return Status::Ok();
        }
        return MakeError(ErrorCode::kUnauthenticated,
                         "missing or wrong token: send keda.token as 'authorization: Bearer TOKEN' metadata or as "
                         "scalerMetadata tokenFromEnv (docs/KEDA.md)");
    }

    Result<Resource> Lookup(const grpc::ServerContext& context, const externalscaler::ScaledObjectRef& ref) const {
        if (Status s = Authenticate(context, ref); !s) return s.error();
        auto it = ref.scalermetadata().find("resource");
        if (it == ref.scalermetadata().end() || it->second.empty())
            return MakeError(ErrorCode::kInvalidArgument,
                             "scalerMetadata.resource is required: the name of the cloudopt resource to scale on");
        auto resource = find_(it->second);
        if (!resource && resource.error().code == ErrorCode::kNotFound)
            return MakeError(ErrorCode::kNotFound, "no cloudopt resource named '" + it->second +
                                                       "' (GET /api/resources lists them; scalerMetadata.resource)");
        if (!resource) return resource.error();
        if (!options_.providers.count(resource->provider))
            return MakeError(ErrorCode::kUnprocessable,
                             "resource '" + resource->name + "' is on provider '" + resource->provider +
                                 "', which cloudopt scales itself; put it on a provider with driver: keda to serve it "
                                 "to KEDA");
        return resource;
    }

    Result<std::pair<std::string, ServedMetric>> Serve(const grpc::ServerContext& context,
                                                       const externalscaler::ScaledObjectRef& ref) const {
        auto resource = Lookup(context, ref);
        if (!resource) return resource.error();
        std::optional<QuantileLevel> quantile;
        if (auto it = ref.scalermetadata().find("quantile"); it != ref.scalermetadata().end() && !it->second.empty()) {
            quantile = ParseQuantileLevel(it->second);
            if (!quantile)
                return MakeError(ErrorCode::kInvalidArgument,
                                 "scalerMetadata.quantile: use p50, p90, p95 or p99 (got '" + it->second + "')");
        }
        auto entry = board_.Find(resource->id);
        if (!entry)
            return MakeError(ErrorCode::kUnavailable, "resource '" + resource->name +
                                                          "' has not been planned since cloudopt started; the control "
                                                          "loop plans it within one loop.tick_seconds");
        entry->resource.mode = resource->mode;  // the mode as the store has it now (a switch to off takes effect)
        auto served = ServeMetric(*entry, quantile, clock_.Now(), options_.max_plan_age_seconds);
        if (!served) return served.error();
        return std::make_pair(MetricName(*resource), *served);
    }

    PlanBoard& board_;
    const Clock& clock_;
    FindResource find_;
    MetricsRegistry& metrics_;
    const ScalerServerOptions& options_;
    std::atomic<bool> stopping_{false};
};

struct ScalerServer::Impl {
    Impl(PlanBoard& board, const Clock& clock, FindResource find, MetricsRegistry& metrics, ScalerServerOptions o)
        : board_(board), options(std::move(o)), service(board, clock, std::move(find), metrics, options) {}
    PlanBoard& board_;
    ScalerServerOptions options;
    ScalerService service;
    std::unique_ptr<grpc::Server> server;
};

ScalerServer::ScalerServer(PlanBoard& board, const Clock& clock, FindResource find, MetricsRegistry& metrics,
                           ScalerServerOptions options)
    : impl_(std::make_unique<Impl>(board, clock, std::move(find), metrics, std::move(options))) {}

ScalerServer::~ScalerServer() { Stop(); }

Result<int> ScalerServer::Start() {
    const ScalerServerOptions& o = impl_->options;
    if (o.token.empty() && o.client_ca_file.empty())
        return MakeError(ErrorCode::kInvalidArgument,
                         "keda: set keda.token (or CLOUDOPT_KEDA_TOKEN) or keda.tls_client_ca_file: without either, "
                         "anyone who reaches the port reads the plans");
    std::shared_ptr<grpc::ServerCredentials> credentials;
    if (o.tls_cert_file.empty() || o.tls_key_file.empty()) {
        if (!o.allow_plaintext)
            return MakeError(ErrorCode::kInvalidArgument,
                             "keda: set keda.tls_cert_file and keda.tls_key_file (or keda.allow_plaintext: true behind "
                             "a proxy that terminates TLS)");
        if (!o.client_ca_file.empty())
            return MakeError(ErrorCode::kInvalidArgument, "keda.tls_client_ca_file needs TLS (keda.tls_cert_file)");
        credentials = grpc::InsecureServerCredentials();
    } else {
        auto cert = ReadPem(o.tls_cert_file, "keda.tls_cert_file");
        if (!cert) return cert.error();
        auto key = ReadPem(o.tls_key_file, "keda.tls_key_file");
        if (!key) return key.error();
        grpc::SslServerCredentialsOptions ssl;
        ssl.pem_key_cert_pairs.push_back({*key, *cert});
        if (!o.client_ca_file.empty()) {
            auto ca = ReadPem(o.client_ca_file, "keda.tls_client_ca_file");
            if (!ca) return ca.error();
            ssl.pem_root_certs = *ca;
            ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
        }
        credentials = grpc::SslServerCredentials(ssl);
    }
    grpc::ServerBuilder builder;
    int port = 0;
    const std::string address =
        (o.bind_address.find(':') != std::string::npos ? "[" + o.bind_address + "]" : o.bind_address) + ":" +
        std::to_string(o.port);
    builder.AddListeningPort(address, credentials, &port);
    builder.RegisterService(&impl_->service);
    impl_->server = builder.BuildAndStart();
    if (!impl_->server || port == 0)
        return MakeError(ErrorCode::kUnavailable,
                         "keda: cannot listen on " + address + " (in use? set keda.port to a free port)");
    return port;
}

void ScalerServer::Stop() {
    if (!impl_ || !impl_->server) return;
    impl_->service.Stopping();
    impl_->board_.Wake();
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    impl_->server->Wait();
    impl_->server.reset();
}

}  // namespace cloudopt::keda
