#include "cluster/event_bridge.hpp"

#include <chrono>
#include <climits>
#include <nlohmann/json.hpp>

namespace cloudopt::cluster {

namespace {
// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more (Coordination::Notify checks 7900).
constexpr std::size_t kMaxSamplePayload = 7800;
}  // namespace

EventBridge::EventBridge(Coordination& coordination, std::string member, std::function<std::int64_t()> local_passes,
                         const Clock& clock)
    : coordination_(coordination), member_(std::move(member)), local_passes_(std::move(local_passes)), clock_(clock) {}

EventBridge::~EventBridge() { Stop(); }

void EventBridge::Start() {
    if (publisher_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = false;
    }
    publisher_ = std::thread([this] { Publish(); });
    listener_ = std::thread([this] { Listen(); });
}

void EventBridge::Stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    stop_cv_.notify_all();
    if (publisher_.joinable()) publisher_.join();
    if (listener_.joinable()) listener_.join();  // within one wait (500 ms)
}

std::string EventBridge::last_remote() const {
    std::lock_guard lock(mutex_);
    return last_remote_;
}

Status EventBridge::Announce(const std::string& kind) {
    const nlohmann::json payload = {{"replica", member_}, {"kind", kind}, {"now", clock_.Now()}};
    return coordination_.Notify(payload.dump());
}

void EventBridge::Publish() {
    std::int64_t announced = local_passes_();
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        stop_cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; });
        if (stopping_) break;
        const std::int64_t passes = local_passes_();
        lock.unlock();
        PublishSamples();
        if (passes != announced) {
            announced = passes;
            const nlohmann::json payload = {{"replica", member_}, {"passes", passes}, {"now", clock_.Now()}};
            (void)coordination_.Notify(payload.dump());  // a lost event only delays a page's refresh to the next one
        }
        lock.lock();
    }
    lock.unlock();
    PublishSamples();  // what the last writes changed
}

void EventBridge::PublishSamples() {
    for (const std::string& payload : pending_samples_.TakePayloads(member_, kMaxSamplePayload)) {
        // Unsent, the others' caches could keep stale buckets: the next publish tells them to drop everything.
        if (!coordination_.Notify(payload)) pending_samples_.MarkLost();
    }
}

void EventBridge::HeardSamples(const std::vector<std::pair<SeriesKey, UnixSeconds>>& changes) {
    for (const auto& [key, since] : changes) {
        for (const auto& heard : on_remote_samples_) heard(key, since);
    }
}

void EventBridge::Listen() {
    bool listening_lost = false;
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
        }
        auto received = coordination_.AwaitNotifications(std::chrono::milliseconds(500));
        if (!received) {
            listening_lost = true;
            std::unique_lock lock(mutex_);  // the database is away: listen again in a second
            stop_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
            continue;
        }
        if (listening_lost) {  // notifications sent meanwhile went to a closed connection: anything may have changed
            listening_lost = false;
            HeardSamples({{kEverySeries, INT64_MIN}});
        }
        for (const std::string& payload : *received) {
            // Any role that may NOTIFY this channel can send anything: a payload that is not what a replica sends
            // is skipped, never thrown out of this thread (which would end the process).
            const nlohmann::json event = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
            if (!event.is_object()) continue;
            const auto replica = event.find("replica");
            if (replica != event.end() && replica->is_string() && replica->get<std::string>() == member_)
                continue;  // its own
            if (const auto kind = event.find("kind"); kind != event.end() && *kind == "samples") {
                HeardSamples(ParseSampleChanges(event));
                continue;
            }
            if (const auto kind = event.find("kind"); kind != event.end()) {
                if (kind->is_string() && on_remote_) on_remote_(kind->get<std::string>());
                continue;
            }
            remote_events_.fetch_add(1);
            std::lock_guard lock(mutex_);
            last_remote_ = payload;
        }
    }
}

}  // namespace cloudopt::cluster
