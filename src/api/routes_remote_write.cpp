// POST /api/v1/write: Prometheus remote write 1.0 into the store. A series is kept when its labels say which
// resource it belongs to: `cloudopt_resource` (the resource's name or id), stored under `cloudopt_metric` when
// that label is set, else under the series' own name. Add both with write_relabel_configs in Prometheus
// (docs/PROVIDERS.md); other series are dropped and counted, since a sender must not retry them.

#include "api/json_io.hpp"
#include "api/routes.hpp"
#include "monitor/remote_write.hpp"

namespace cloudopt::api::detail {

void AddRemoteWriteRoutes(Router& router, ApiContext& ctx) {
    Counter& stored = ctx.metrics.GetCounter("cloudopt_remote_write_samples_total",
                                             "Samples received by Prometheus remote write and stored");
    Counter& unmatched = ctx.metrics.GetCounter(
        "cloudopt_remote_write_samples_dropped_total",
        "Remote-write samples dropped because no resource matched their cloudopt_resource label");
    router.Add(
        "POST", "/api/v1/write",
        [&ctx, &stored, &unmatched](const HttpRequest& req) {
            if (req.content_type.rfind("application/x-protobuf", 0) != 0)
                return ErrorResponse(
                    MakeError(ErrorCode::kUnsupportedMediaType,
                              "remote write takes Content-Type: application/x-protobuf with Content-Encoding: snappy"));
            auto series = monitor::DecodeRemoteWrite(req.body);
            if (!series) return ErrorResponse(series.error());
            const UnixSeconds now = ctx.clock.Now();
            // One value per second and series: the last one sent.
            std::map<std::pair<ResourceId, std::string>, std::map<UnixSeconds, double>> merged;
            std::size_t dropped = 0;
            for (const monitor::RemoteWriteSeries& s : *series) {
                auto target = s.labels.find("cloudopt_resource");
                Result<Resource> resource = target == s.labels.end()
                                                ? Result<Resource>(MakeError(ErrorCode::kNotFound, "no label"))
                                                : ResolveResource(ctx.store, target->second);
                if (!resource) {
                    dropped += s.samples.size();
                    continue;
                }
                auto metric = s.labels.find("cloudopt_metric");
                const std::string name = metric != s.labels.end() ? metric->second : s.labels.at("__name__");
                if (!IsValidMetricName(name))
                    return ErrorResponse(
                        MakeError(ErrorCode::kInvalidArgument,
                                  "remote write: cloudopt_metric '" + name + "' is not a valid metric name"));
                auto& points = merged[{resource->id, name}];
                for (const Sample& sample : s.samples) {
                    // Refused whole, like a push: a 4xx tells Prometheus not to retry a batch that cannot succeed.
                    if (Status ok = CheckSample(sample, name, ctx.ingest, now); !ok)
                        return ErrorResponse(
                            MakeError(ErrorCode::kInvalidArgument, "remote write: series '" + name + "' of resource '" +
                                                                       target->second + "'" + ok.error().message));
                    points[sample.ts] = sample.value;
                }
            }
            std::vector<SeriesSamples> batch;
            std::size_t count = 0;
            for (auto& [key, points] : merged) {
                SeriesSamples ss{{key.first, key.second}, {}};
                for (const auto& [t, v] : points) ss.samples.push_back({t, v});
                count += ss.samples.size();
                batch.push_back(std::move(ss));
            }
            if (Status s = CheckSeriesLimits(ctx.store, batch, ctx.ingest); !s)
                return ErrorResponse(MakeError(ErrorCode::kInvalidArgument, "remote write: " + s.error().message));
            // Acknowledged only once committed, like POST /api/metrics; a store failure is a 5xx the sender retries.
            if (!batch.empty()) {
                if (Status s = ctx.store.AppendSamples(batch); !s) return ErrorResponse(s.error());
            }
            stored.Inc(static_cast<double>(count));
            unmatched.Inc(static_cast<double>(dropped));
            HttpResponse response;
            response.status = 204;
            response.content_type.clear();
            return response;
        },
        RouteCost::kStoreWrite);  // a store write, like POST /api/metrics: off the I/O threads
}

}  // namespace cloudopt::api::detail
