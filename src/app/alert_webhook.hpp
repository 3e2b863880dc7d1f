#pragma once
// Sends anomaly alerts (control/anomaly_monitor.hpp) to a Slack-compatible incoming webhook when they open and
// close, and remediation runbook calls (control/remediation.hpp) to theirs. The monitor's listener only queues
// (Enqueue); one worker thread of this class posts, with a bounded timeout and retries (providers/http_client: capped
// full-jitter backoff on 429, 5xx and transport failures), so a slow or dead receiver never holds an I/O thread or the
// control loop. The queue is bounded: past `max_queued` the oldest waiting message is dropped and counted.
//
// Thread-safety: Enqueue may be called from any thread; Stop (also the destructor) waits for the message being
// sent, drops the rest.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "control/anomaly_monitor.hpp"
#include "core/alert.hpp"
#include "core/remediation.hpp"
#include "core/resource.hpp"
#include "core/telemetry.hpp"
#include "providers/http_client.hpp"

namespace cloudopt {

// The JSON body posted for one event: {"text": ..., "attachments": [{color, title, fields, footer, ts}]}, which
// Slack, Mattermost and Rocket.Chat's incoming webhooks accept.
std::string SlackPayload(AlertEvent event, const Alert& alert, const std::string& resource_name);

struct AlertWebhookOptions {
    std::string url;
    int timeout_seconds = 5;  // per attempt
    int max_attempts = 3;
    std::size_t max_queued = 1000;
};

class AlertWebhook {
  public:
    AlertWebhook(AlertWebhookOptions options, MetricsRegistry& metrics);
    ~AlertWebhook();
    AlertWebhook(const AlertWebhook&) = delete;
    AlertWebhook& operator=(const AlertWebhook&) = delete;

    void Enqueue(AlertEvent event, const Alert& alert, const Resource& resource);
    // Queues any JSON body for `url` (a remediation's runbook, control/remediation.hpp), sent like an alert.
    void EnqueueBody(const std::string& url, std::string body);
    void Stop();

  private:
    void Run();

    AlertWebhookOptions options_;
    providers::HttpClient client_;
    Counter& sent_;
    Counter& failed_;
    Counter& dropped_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::pair<std::string, std::string>> queue_;  // guarded by mutex_: (url, payload) waiting
    bool stopping_ = false;                                  // guarded by mutex_
    std::thread worker_;
};

// The JSON a runbook webhook receives (docs/ANOMALY.md "Remediation"): {"event": "remediate"|"revert", "resource",
// "resource_id", "alert_id", "remediation_id", "reason" (the step's, naming the alert), "note" (on revert: why)}.
std::string RunbookPayload(const char* event, const Resource& resource, const Remediation& step);

}  // namespace cloudopt
