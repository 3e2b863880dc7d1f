#include "app/alert_webhook.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <nlohmann/json.hpp>

namespace cloudopt {

namespace {

std::string Number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

providers::HttpClientOptions ClientOptions(const AlertWebhookOptions& o) {
    providers::HttpClientOptions out;
    out.connect_timeout = std::chrono::milliseconds(std::min(3000, o.timeout_seconds * 1000));
    out.timeout = std::chrono::seconds(o.timeout_seconds);
    out.retry.max_attempts = o.max_attempts;
    out.retry.base_delay = std::chrono::milliseconds(200);
    out.retry.max_delay = std::chrono::milliseconds(2000);
    return out;
}

}  // namespace

std::string SlackPayload(AlertEvent event, const Alert& alert, const std::string& resource_name) {
    using nlohmann::json;
    const bool opened = event == AlertEvent::kOpened;
    std::string text;
    if (opened) {
        text = "[cloudopt] " + alert.severity + " anomaly on " + resource_name + ": " + alert.message;
    } else {
        const long minutes = static_cast<long>((alert.closed_at - alert.opened_at) / 60);
        text = "[cloudopt] resolved: the anomaly on " + resource_name + " " + alert.metric + " (alert " +
               std::to_string(alert.id) + ") closed after " + std::to_string(minutes) + " min";
    }
    std::string expected = Number(alert.range_low) + " to " + Number(alert.range_high);
    if (alert.forecast_p50 && alert.forecast_p99)
        expected += "; forecast p50 " + Number(*alert.forecast_p50) + ", p99 " + Number(*alert.forecast_p99);
    const auto field = [](const std::string& title, const std::string& value) {
        return json{{"title", title}, {"value", value}, {"short", true}};
    };
    json attachment = {
        {"color", !opened                        ? "#2eb886"
                  : alert.severity == "critical" ? "#d00000"
                                                 : "#e8a317"},
        {"title", "Alert " + std::to_string(alert.id) + " " + (opened ? "opened" : "closed")},
        {"fields",
         {field("resource", resource_name), field("metric", alert.metric), field("severity", alert.severity),
          field("value", Number(alert.value)), field("score", Number(alert.peak_score)), field("expected", expected)}},
        {"footer", "cloudopt anomaly detection"},
        {"ts", opened ? alert.opened_at : alert.closed_at}};
    return json{{"text", text}, {"attachments", json::array({attachment})}}.dump();
}

AlertWebhook::AlertWebhook(AlertWebhookOptions options, MetricsRegistry& metrics)
    : options_(std::move(options)),
      client_(ClientOptions(options_)),
      sent_(metrics.GetCounter("cloudopt_alert_webhook_sent_total", "Alert messages the webhook accepted")),
      failed_(metrics.GetCounter("cloudopt_alert_webhook_failures_total",
                                 "Alert messages the webhook refused or never answered, after retries")),
      dropped_(
          metrics.GetCounter("cloudopt_alert_webhook_dropped_total", "Alert messages dropped because too many waited")),
      worker_([this] { Run(); }) {}

AlertWebhook::~AlertWebhook() { Stop(); }

void AlertWebhook::Enqueue(AlertEvent event, const Alert& alert, const Resource& resource) {
    EnqueueBody(options_.url, SlackPayload(event, alert, resource.name));
}

void AlertWebhook::EnqueueBody(const std::string& url, std::string payload) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        if (queue_.size() >= options_.max_queued) {
            queue_.pop_front();
            dropped_.Inc();
        }
        queue_.emplace_back(url, std::move(payload));
    }
    cv_.notify_one();
}

void AlertWebhook::Stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
}

void AlertWebhook::Run() {
    for (;;) {
        std::string url, payload;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            url = std::move(queue_.front().first);
            payload = std::move(queue_.front().second);
            queue_.pop_front();
        }
        providers::OutboundRequest request;
        request.method = "POST";
        request.url = url;
        request.headers = {{"Content-Type", "application/json"}};
        request.body = std::move(payload);
        auto response = client_.Send(std::move(request));
        if (response && response->status >= 200 && response->status < 300) {
            sent_.Inc();
        } else {
            failed_.Inc();
            spdlog::warn("alert webhook: {}",
                         response ? "answered " + std::to_string(response->status) : response.error().message);
        }
    }
}

std::string RunbookPayload(const char* event, const Resource& resource, const Remediation& step) {
    nlohmann::json body = {{"event", event},
                           {"resource", resource.name},
                           {"resource_id", resource.id},
                           {"alert_id", step.alert_id},
                           {"remediation_id", step.id},
                           {"reason", step.reason}};
    if (!step.undo_note.empty()) body["note"] = step.undo_note;
    return body.dump();
}

}  // namespace cloudopt
