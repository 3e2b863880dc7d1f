#include "control/anomaly_monitor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace cloudopt {

namespace {

std::string Number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

// How far from the range a value may lie and still count as back to normal: the distance the threshold itself
// stands for (the score is 1 - exp(-evidence / scale), evidence in ranges).
double ThresholdDistance(double threshold) {
    const double scale = DetectorSettings{}.evidence_scale;
    return -scale * std::log(1.0 - std::clamp(threshold, 0.0, 0.999));
}

std::string Describe(const std::string& metric, double value, double low, double high, double score) {
    const char* where = value > high ? "above" : value < low ? "below" : "inside";
    return metric + " " + Number(value) + " is " + where + " its usual range " + Number(low) + " to " + Number(high) +
           " (anomaly score " + Number(score) + ")";
}

}  // namespace

const char* AlertEventName(AlertEvent event) { return event == AlertEvent::kOpened ? "opened" : "closed"; }

AnomalyMonitor::AnomalyMonitor(Store& store, MetricsRegistry& metrics, AnomalyOptions options)
    : store_(store), metrics_(metrics), options_(std::move(options)) {}

Status AnomalyMonitor::Load() {
    // Counted once here, then kept by +1/-1 on each opening and closing: reading every open alert after each event
    // costs the square of their number when many resources alert in one pass (docs/PERFORMANCE.md).
    AlertQuery q;
    q.state = "open";
    q.limit = 1'000'000;
    auto open = store_.ListAlerts(q);
    if (!open) return open.error();
    open_count_ = static_cast<long long>(open->size());
    PublishOpenCount();
    return Status::Ok();
}

void AnomalyMonitor::AddOpen(long long delta) {
    open_count_.fetch_add(delta);  // lanes score different resources at once
    PublishOpenCount();
}

void AnomalyMonitor::PublishOpenCount() {
    metrics_.GetGauge("cloudopt_alerts_open", "Anomaly alerts open now")
        .Set(static_cast<double>(std::max<long long>(0, open_count_.load())));
}

void AnomalyMonitor::Forget(ResourceId id) {
    long long open = 0;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [key, series] : series_)
            if (key.first == id && series->open) ++open;
        std::erase_if(series_, [id](const auto& entry) { return entry.first.first == id; });
    }
    AddOpen(-open);
}

void AnomalyMonitor::Reload(ResourceId id) {
    std::lock_guard lock(mutex_);
    std::erase_if(series_, [id](const auto& entry) { return entry.first.first == id; });
}

Status AnomalyMonitor::Warm(Series& series, const Resource& resource, const std::string& metric, UnixSeconds end) {
    series.next_step = end;
    auto history = store_.QueryDownsampled({resource.id, metric}, end - options_.warmup_seconds, end, options_.step,
                                           Aggregation::kAvg);
    if (!history) return history.error();
    for (const Sample& s : *history) (void)series.detector.Update(s.value, s.ts);
    AlertQuery q;
    q.resource_id = resource.id;
    q.state = "open";
    auto open = store_.ListAlerts(q);
    if (!open) return open.error();
    for (const Alert& a : *open) {
        if (a.metric == metric) {
            series.open = a;
            break;
        }
    }
    return Status::Ok();
}

Status AnomalyMonitor::Score(const Resource& resource, UnixSeconds now) {
    if (!options_.enabled) return Status::Ok();
    const UnixSeconds end = FloorTo(now, options_.step);
    std::vector<std::string> metrics = {resource.load_metric};
    for (const std::string& m : options_.metrics)
        if (std::find(metrics.begin(), metrics.end(), m) == metrics.end()) metrics.push_back(m);
    // The pushed metrics the user marked on this resource (PUT /api/resources/{id}/anomaly). A store without
    // anomaly settings scores the configured ones only.
    if (auto own = store_.LoadAnomalySettings(resource.id); own && *own)
        for (const std::string& m : (*own)->metrics)
            if (std::find(metrics.begin(), metrics.end(), m) == metrics.end()) metrics.push_back(m);
    Status first = Status::Ok();
    for (const std::string& metric : metrics) {
        std::shared_ptr<Series> series;
        bool fresh = false;
        {
            std::lock_guard lock(mutex_);
            auto& slot = series_[{resource.id, metric}];
            if (!slot) {
                slot = std::make_shared<Series>();
                fresh = true;
            }
            series = slot;
        }
        if (fresh) {
            if (Status s = Warm(*series, resource, metric, end); !s && first) first = s;
            continue;  // history is memory, not news
        }
        if (end <= series->next_step) continue;
        auto points =
            store_.QueryDownsampled({resource.id, metric}, series->next_step, end, options_.step, Aggregation::kAvg);
        if (!points) {
            if (first) first = points.error();
            continue;
        }
        series->next_step = end;
        for (const Sample& point : *points) {
            auto event = Step(*series, resource, metric, point);
            if (!event) {
                if (first) first = event.error();
                continue;
            }
            if (*event) AddOpen(**event == AlertEvent::kOpened ? 1 : -1);
        }
    }
    return first;
}

Result<std::optional<AlertEvent>> AnomalyMonitor::Step(Series& series, const Resource& resource,
                                                       const std::string& metric, const Sample& point) {
    const double low = series.detector.range_min();
    const double high = series.detector.range_max();
    const bool had_range = series.detector.seen() > 0;
    const double score = series.detector.Update(point.value, point.ts);  // the time: its time-of-day channel
    if (!std::isfinite(point.value)) return std::optional<AlertEvent>();

    if (!series.open) {
        if (score < options_.threshold || !had_range) return std::optional<AlertEvent>();
        Alert a;
        a.resource_id = resource.id;
        a.metric = metric;
        a.state = "open";
        a.severity = score >= kCriticalScore ? "critical" : "warning";
        a.opened_at = point.ts;
        a.value = point.value;
        a.score = a.peak_score = score;
        a.range_low = low;
        a.range_high = high;
        if (metric == resource.load_metric) {
            if (auto forecast = store_.LatestPrediction(resource.id, metric); forecast && *forecast) {
                for (const ForecastPoint& p : (*forecast)->points) {
                    if (p.ts != point.ts) continue;
                    a.forecast_p50 = p.p50;
                    a.forecast_p99 = p.p99;
                }
            }
        }
        a.window_from = point.ts - options_.window_before;
        a.window_to = point.ts + options_.step + options_.window_after;
        a.message = Describe(metric, point.value, low, high, score);
        if (a.forecast_p50)
            a.message += "; forecast p50 " + Number(*a.forecast_p50) + ", p99 " + Number(*a.forecast_p99);
        auto saved = store_.SaveAlert(a);
        if (!saved) return saved.error();
        series.open = *saved;
        series.calm = 0;
        metrics_
            .GetCounter("cloudopt_alerts_opened_total", "Anomaly alerts opened, by resource",
                        {{"resource", resource.name}})
            .Inc();
        for (const AlertListener& listener : listeners_) listener(AlertEvent::kOpened, *series.open, resource);
        return std::optional<AlertEvent>(AlertEvent::kOpened);
    }

    Alert& a = *series.open;
    a.window_to = point.ts + options_.step + options_.window_after;
    if (score > a.peak_score) {
        a.peak_score = score;
        if (score >= kCriticalScore) a.severity = "critical";
    }
    const double margin = ThresholdDistance(options_.threshold) * std::max(a.range_high - a.range_low, 0.0);
    const bool normal =
        score < options_.threshold && point.value >= a.range_low - margin && point.value <= a.range_high + margin;
    series.calm = normal ? series.calm + 1 : 0;
    const bool closing = series.calm >= options_.close_after_points;
    if (closing) {
        a.state = "closed";
        a.closed_at = point.ts + options_.step;
    }
    auto saved = store_.SaveAlert(a);
    if (!saved) return saved.error();
    if (!closing) return std::optional<AlertEvent>();
    const Alert closed = a;
    series.open.reset();
    series.calm = 0;
    for (const AlertListener& listener : listeners_) listener(AlertEvent::kClosed, closed, resource);
    return std::optional<AlertEvent>(AlertEvent::kClosed);
}

}  // namespace cloudopt
