#pragma once
// Scores every resource's load and utilization in the service and turns the scores into alerts (docs/ANOMALY.md,
// "In the service"). One streaming detector (anomaly/streaming_detector.hpp) per series, fed the 5-minute means of
// the steps that completed since the last call, in time order: the grid the detector was tuned on (NAB's files are
// 5-minute points) and the one the loop forecasts on, whatever the rate samples arrive at (pushed, remote-written,
// pulled or replayed: all land in the store first, and this reads the store).
//
// A detector is created on first use and replayed over the series' stored history (warmup_seconds), scoring
// nothing, so a restart resumes with the same memory; open alerts are read back from the store, so one opened
// before a restart closes after it. A score at or above `threshold` opens an alert on the series (one at a time);
// it closes after `close_after_points` steps in a row that score under the threshold and lie within the range the
// series covered before it opened (widened by the threshold's own distance). A step scored once is not scored
// again: samples that arrive for it later do not count.
//
// Thread-safety: Score and Forget for one resource must not run at once (the loop calls them under the
// resource's lock); different resources may be scored at once. Listeners run on the scoring thread with no lock
// of this class held: they must only hand the alert on (the webhook queues it for its own worker).

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "anomaly/streaming_detector.hpp"
#include "core/alert.hpp"
#include "core/resource.hpp"
#include "core/telemetry.hpp"
#include "store/store.hpp"

namespace cloudopt {

struct AnomalyOptions {
    bool enabled = true;
    double threshold = 0.1235;  // all three NAB profiles' threshold on the dev half (docs/ANOMALY.md)
    int close_after_points = 3;
    UnixSeconds step = 300;
    UnixSeconds warmup_seconds = 14 * 86400;  // the detector's memory: 4,000 five-minute points
    UnixSeconds window_before = 2 * 3600;     // the chart window shown with an alert
    UnixSeconds window_after = 3600;
    // Scored beside each resource's load metric, and beside the metrics a resource marks itself
    // (Store::LoadAnomalySettings, PUT /api/resources/{id}/anomaly).
    std::vector<std::string> metrics = {"cpu_utilization"};
};

enum class AlertEvent { kOpened, kClosed };
const char* AlertEventName(AlertEvent event);

using AlertListener = std::function<void(AlertEvent event, const Alert& alert, const Resource& resource)>;

class AnomalyMonitor {
  public:
    AnomalyMonitor(Store& store, MetricsRegistry& metrics, AnomalyOptions options);

    // Register before the first Score.
    void OnAlert(AlertListener listener) { listeners_.push_back(std::move(listener)); }
    // Counts the open alerts into cloudopt_alerts_open (call at start-up); from then on the count follows this
    // monitor's openings and closings (with replicas, each process's gauge starts from the database's count).
    Status Load();

    // Scores the complete steps (before FloorTo(now, step)) of the resource's series since the last call, opening
    // and closing alerts. Returns the first store error (the other series are still scored).
    Status Score(const Resource& resource, UnixSeconds now);
    // Drops the detectors of a deleted resource (its alerts went with it in the store).
    void Forget(ResourceId id);
    // Drops the resource's series so the next Score warms them again from the store (its history and open alerts),
    // without counting their open alerts as closed: a replica that gets a resource back after another planned it
    // (a new lease epoch) must not score on with what it knew before.
    void Reload(ResourceId id);

    const AnomalyOptions& options() const { return options_; }

  private:
    struct Series {
        StreamingDetector detector;
        UnixSeconds next_step = 0;  // the first step not scored yet
        std::optional<Alert> open;
        int calm = 0;  // steps in a row back to normal while open
    };
    // Fills a fresh series from the store's history and open alerts.
    Status Warm(Series& series, const Resource& resource, const std::string& metric, UnixSeconds end);
    // One step's mean: returns the event it caused, if any.
    Result<std::optional<AlertEvent>> Step(Series& series, const Resource& resource, const std::string& metric,
                                           const Sample& point);
    void AddOpen(long long delta);
    void PublishOpenCount();

    Store& store_;
    MetricsRegistry& metrics_;
    AnomalyOptions options_;
    std::vector<AlertListener> listeners_;
    std::atomic<long long> open_count_{0};  // open alerts: counted by Load, then +1/-1 (AddOpen)
    std::mutex mutex_;
    std::map<std::pair<ResourceId, std::string>, std::shared_ptr<Series>> series_;  // guarded by mutex_
};

}  // namespace cloudopt
