// The outbound HTTP client against a local server that answers from a script: which statuses are retried, how
// long it waits, timeouts and refused connections.

#include "providers/http_client.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <thread>

#include "api/router.hpp"
#include "api/server.hpp"
#include "core/telemetry.hpp"

namespace cloudopt::providers {
namespace {

using namespace std::chrono_literals;

// Answers each request with the next scripted response (the last one repeats) and counts the requests.
class ScriptedServer {
public:
    explicit ScriptedServer(std::deque<api::HttpResponse> script, std::chrono::milliseconds delay = 0ms)
        : script_(std::move(script)) {
        router_.Add("POST", "/echo", [this, delay](const api::HttpRequest& req) {
            std::this_thread::sleep_for(delay);
            std::lock_guard lock(mutex_);
            ++requests_;
            last_body_ = req.body;
            last_authorization_ = req.authorization;
            api::HttpResponse r = script_.front();
            if (script_.size() > 1) script_.pop_front();
            return r;
        });
        api::ServerOptions options;
        options.port = 0;
        options.threads = 1;
        server_ = std::make_unique<api::HttpServer>(router_, metrics_, options);
        port_ = *server_->Start();
    }
    ~ScriptedServer() { server_->Stop(); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/echo"; }
    int requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    std::string last_body() {
        std::lock_guard lock(mutex_);
        return last_body_;
    }
    std::string last_authorization() {
        std::lock_guard lock(mutex_);
        return last_authorization_;
    }

private:
    std::mutex mutex_;
    std::deque<api::HttpResponse> script_;
    int requests_ = 0;
    std::string last_body_, last_authorization_;
    api::Router router_;
    MetricsRegistry metrics_;
    std::unique_ptr<api::HttpServer> server_;
    unsigned short port_ = 0;
};

api::HttpResponse Answer(int status, std::string body = "{}") {
    api::HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

OutboundRequest Post(const std::string& url) {
    OutboundRequest r;
    r.method = "POST";
    r.url = url;
    r.headers = {{"Content-Type", "application/json"}};
    r.body = R"({"desired":3})";
    return r;
}

class RecordingClient {
public:
    explicit RecordingClient(HttpClientOptions options = {}) : client(options) {
        client.SetSleeper([this](std::chrono::milliseconds d) { waits.push_back(d); });
    }
    HttpClient client;
    std::vector<std::chrono::milliseconds> waits;
};

TEST(HttpClient, Retries5xxWithGrowingJitteredWaitsThenSucceeds) {
    ScriptedServer server({Answer(503), Answer(502), Answer(200, R"({"ok":true})")});
    RecordingClient c;
    int prepared = 0;
    auto r = c.client.Send(Post(server.url()), [&prepared](OutboundRequest& req) {
        req.headers.emplace_back("Authorization", "Bearer attempt-" + std::to_string(++prepared));
    });
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, R"({"ok":true})");
    EXPECT_EQ(server.requests(), 3);
    EXPECT_EQ(server.last_body(), R"({"desired":3})");
    EXPECT_EQ(server.last_authorization(), "Bearer attempt-3") << "prepared afresh for every attempt";
    ASSERT_EQ(c.waits.size(), 2u);
    EXPECT_LE(c.waits[0], 200ms);
    EXPECT_LE(c.waits[1], 400ms);
}

TEST(HttpClient, OtherClientErrorsAreFinalAtOnce) {
    for (int status : {400, 401, 403, 404, 409, 422}) {
        ScriptedServer server({Answer(status), Answer(200)});
        RecordingClient c;
        auto r = c.client.Send(Post(server.url()));
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->status, status);
        EXPECT_EQ(server.requests(), 1) << status << " is not retried";
        EXPECT_TRUE(c.waits.empty());
    }
}

TEST(HttpClient, HonoursRetryAfterOn429AndGivesUpAfterTheLastAttempt) {
    api::HttpResponse throttled = Answer(429);
    throttled.headers.emplace_back("Retry-After", "2");
    ScriptedServer server({throttled, Answer(200)});
    RecordingClient c;
    auto r = c.client.Send(Post(server.url()));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200);
    ASSERT_EQ(c.waits.size(), 1u);
    EXPECT_EQ(c.waits[0], 2000ms);

    ScriptedServer always({Answer(500, "down")});
    RecordingClient d;
    auto last = d.client.Send(Post(always.url()));
    ASSERT_TRUE(last.ok());
    EXPECT_EQ(last->status, 500) << "the last answer, for the caller to report";
    EXPECT_EQ(always.requests(), 4);
    EXPECT_EQ(d.waits.size(), 3u);
}

TEST(HttpClient, TimeoutsAndRefusedConnectionsAreRetriedThenUnavailable) {
    ScriptedServer slow({Answer(200)}, 400ms);
    HttpClientOptions options;
    options.timeout = 100ms;
    options.retry.max_attempts = 2;
    RecordingClient c(options);
    auto r = c.client.Send(Post(slow.url()));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(r.error().message.find("timeout"), std::string::npos) << r.error().message;
    EXPECT_EQ(c.waits.size(), 1u);

    RecordingClient d(options);
    auto refused = d.client.Send(Post("http://127.0.0.1:1/echo"));
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("127.0.0.1:1"), std::string::npos) << refused.error().message;
}

TEST(HttpClient, BackoffIsCappedFullJitter) {
    RetryPolicy p;
    p.base_delay = 100ms;
    p.max_delay = 1000ms;
    EXPECT_EQ(HttpClient::Backoff(p, 1, 0.999, std::nullopt), 99ms);
    EXPECT_EQ(HttpClient::Backoff(p, 3, 0.5, std::nullopt), 200ms);
    EXPECT_EQ(HttpClient::Backoff(p, 10, 0.999, std::nullopt), 999ms) << "capped";
    EXPECT_EQ(HttpClient::Backoff(p, 1, 0.0, std::chrono::seconds(3)), 3000ms);
}

}  // namespace
}  // namespace cloudopt::providers
