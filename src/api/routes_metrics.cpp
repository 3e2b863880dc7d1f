// /api/metrics: batch ingest (validated whole, stored all or nothing) and downsampled queries.

#include "api/json_io.hpp"
#include "api/metric_batch.hpp"
#include "api/rendered_buckets.hpp"
#include "api/routes.hpp"

namespace cloudopt::api::detail {

namespace {
constexpr long long kMaxPoints = 100000;  // raw points per query; larger ranges need ?step=
}  // namespace

void AddMetricRoutes(Router& router, ApiContext& ctx) {
    Counter& ingested =
        ctx.metrics.GetCounter("cloudopt_samples_ingested_total", "Samples accepted by POST /api/metrics");
    router.Add(
        "POST", "/api/metrics",
        [&ctx, &ingested](const HttpRequest& req) {
            auto body = ParseJsonBody(req);
            if (!body) return ErrorResponse(body.error());
            const ResourceLookup lookup = [&ctx](const std::string& key) -> Result<ResourceId> {
                auto r = ResolveResource(ctx.store, key);
                if (!r) return r.error();
                return r->id;
            };
            auto batch = ParseMetricBatch(*body, lookup, ctx.ingest, ctx.clock.Now());
            if (!batch) return ErrorResponse(batch.error());
            if (Status s = CheckSeriesLimits(ctx.store, *batch, ctx.ingest); !s) return ErrorResponse(s.error());
            // The response is sent only after the transaction committed: an acknowledged sample is durable.
            if (Status s = ctx.store.AppendSamples(*batch); !s) return ErrorResponse(s.error());
            std::size_t count = 0;
            for (const SeriesSamples& s : *batch) count += s.samples.size();
            ingested.Inc(static_cast<double>(count));
            return JsonResponse(200, {{"accepted", count}, {"series", batch->size()}});
        },
        RouteCost::kStoreWrite);  // waits for its transaction's round trips and commit: off the I/O threads

    // Removing bad data: a series' samples in [from, to). Both bounds are required, so a typo cannot wipe a series.
    router.Add("DELETE", "/api/metrics", [&ctx](const HttpRequest& req) {
        auto resource = ResolveResource(ctx.store, req.Query("resource").value_or(""));
        if (!resource) return ErrorResponse(resource.error());
        const std::string metric = req.Query("metric").value_or(resource->load_metric);
        if (!IsValidMetricName(metric))
            return ErrorResponse(MakeError(ErrorCode::kInvalidArgument, "metric: not a valid metric name"));
        auto from = IntParam(req, "from", 0, 1LL << 40);
        auto to = IntParam(req, "to", 0, 1LL << 40);
        if (!from) return ErrorResponse(from.error());
        if (!to) return ErrorResponse(to.error());
        if (!*from || !*to || **from >= **to)
            return ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                           "from and to (unix seconds, from < to) are required: samples with "
                                           "from <= ts < to are deleted"));
        auto deleted = ctx.store.DeleteSamples({resource->id, metric}, **from, **to);
        if (!deleted) return ErrorResponse(deleted.error());
        return JsonResponse(200, {{"resource", resource->id}, {"metric", metric}, {"deleted", *deleted}});
    });

    // Downsampled answers are served through the rendered-bucket cache, which the store keeps current.
    std::shared_ptr<RenderedBuckets> rendered;
    Counter& from_cache =
        ctx.metrics.GetCounter("cloudopt_query_cache_buckets_total",
                               "Downsampled buckets answered by GET /api/metrics, by source", {{"source", "cache"}});
    Counter& computed =
        ctx.metrics.GetCounter("cloudopt_query_cache_buckets_total",
                               "Downsampled buckets answered by GET /api/metrics, by source", {{"source", "computed"}});
    Gauge& cache_bytes = ctx.metrics.GetGauge("cloudopt_query_cache_bytes",
                                              "Memory held by rendered downsampled buckets (server.query_cache_mb)");
    if (ctx.query_cache_bytes > 0) {
        rendered = std::make_shared<RenderedBuckets>(ctx.query_cache_bytes);
        const auto invalidate = [weak = std::weak_ptr<RenderedBuckets>(rendered)](const SeriesKey& key,
                                                                                  UnixSeconds since) {
            if (auto cache = weak.lock()) cache->Invalidate(key, since);
        };
        ctx.store.OnSamplesChanged(invalidate);
        // Replicas: another replica's writes reach this cache through the database's notifications.
        if (ctx.on_remote_samples_changed) ctx.on_remote_samples_changed(invalidate);
    }
    router.Add("GET", "/api/metrics", [&ctx, rendered, &from_cache, &computed, &cache_bytes](const HttpRequest& req) {
        auto resource = ResolveResource(ctx.store, req.Query("resource").value_or(""));
        if (!resource) return ErrorResponse(resource.error());
        const std::string metric = req.Query("metric").value_or(resource->load_metric);
        if (!IsValidMetricName(metric))
            return ErrorResponse(MakeError(ErrorCode::kInvalidArgument, "metric: not a valid metric name"));
        const UnixSeconds now = ctx.clock.Now();
        auto from = IntParam(req, "from", 0, kMaxSampleTs);
        auto to = IntParam(req, "to", 0, kMaxSampleTs);
        auto step = IntParam(req, "step", 1, 366LL * 86400);
        if (!from) return ErrorResponse(from.error());
        if (!to) return ErrorResponse(to.error());
        if (!step) return ErrorResponse(step.error());
        const UnixSeconds t_to = to->value_or(now + 1);
        const UnixSeconds t_from = from->value_or(t_to - 3600);
        if (t_from >= t_to) return ErrorResponse(MakeError(ErrorCode::kInvalidArgument, "from: must be before to"));
        const std::string agg_name = req.Query("agg").value_or("avg");
        auto agg = ParseAggregation(agg_name);
        if (!agg) return ErrorResponse(MakeError(ErrorCode::kInvalidArgument, "agg: one of avg, min, max, p95"));
        const SeriesKey key{resource->id, metric};
        JsonWriter w;
        w.BeginObject();
        w.Key("resource").Int(resource->id);
        w.Key("metric").String(metric);
        w.Key("from").Int(t_from);
        w.Key("to").Int(t_to);
        w.Key("agg").String(agg_name);
        w.Key("step");
        if (*step) {
            w.Int(**step);
            if (rendered) {
                std::string points;
                const auto compute = [&](UnixSeconds bucket_from, UnixSeconds bucket_to) {
                    return ctx.store.QueryDownsampled(key, bucket_from, bucket_to, **step, *agg);
                };
                RenderedBuckets::Counts counts;
                if (Status s = rendered->Render(key, **step, *agg, t_from, t_to, compute, points, &counts); !s)
                    return ErrorResponse(s.error());
                from_cache.Inc(static_cast<double>(counts.cached));
                computed.Inc(static_cast<double>(counts.computed));
                cache_bytes.Set(static_cast<double>(rendered->bytes()));
                w.Key("points").Raw(points);
            } else {
                auto points = ctx.store.QueryDownsampled(key, t_from, t_to, **step, *agg);
                if (!points) return ErrorResponse(points.error());
                computed.Inc(static_cast<double>(points->size()));
                w.Key("points");
                WriteSamples(w, *points);
            }
        } else {
            w.Null();
            auto points = ctx.store.QuerySamples(key, t_from, t_to);
            if (!points) return ErrorResponse(points.error());
            if (static_cast<long long>(points->size()) > kMaxPoints)
                return ErrorResponse(MakeError(ErrorCode::kUnprocessable,
                                               "more than 100000 raw points in range; pass step= to downsample"));
            w.Key("points");
            WriteSamples(w, *points);
        }
        w.EndObject();
        HttpResponse response;
        response.body = w.Take();
        return response;
    });
}

}  // namespace cloudopt::api::detail
