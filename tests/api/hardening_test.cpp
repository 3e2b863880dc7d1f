// Hostile clients and hostile data against a real server (docs/SECURITY.md "Limits"): each test is one way the
// service was crashed, starved or misled before, and asserts the refusal that replaced it.

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/api_fixture.hpp"
#include "api/server.hpp"
#include "core/text.hpp"

namespace cloudopt {
namespace {

using testing::RawConnection;
using namespace std::chrono_literals;

// Sets a promise when the scope ends, unless already set: a test that fails early never leaves a thread waiting.
class ReleaseOnExit {
  public:
    explicit ReleaseOnExit(std::promise<void>& p) : p_(p) {}
    ~ReleaseOnExit() { Release(); }
    void Release() {
        if (!done_) p_.set_value();
        done_ = true;
    }

  private:
    std::promise<void>& p_;
    bool done_ = false;
};

class HardeningTest : public ApiTest {
  protected:
    // Restarts the server on the same router with other limits.
    void Restart(const api::ServerOptions& options) { StartServer(options); }
    std::string Bearer() { return auth_->BearerFor("admin", Role::kAdmin); }
    // The head of a POST whose body (of `length` bytes) the caller sends later, or never.
    static std::string PostHead(const std::string& target, std::size_t length, const std::string& authorization) {
        std::string head = "POST " + target + " HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n";
        if (!authorization.empty()) head += "Authorization: " + authorization + "\r\n";
        return head + "Content-Length: " + std::to_string(length) + "\r\n\r\n";
    }
    bool Healthy() {
        RawConnection probe(port_);
        probe.Send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
        return RawConnection::StatusOf(probe.ReadResponse(10s)) == 200;
    }
    // Waits (10 s at most) until the exposition on /metrics has a line starting with `line`: the server accepts and
    // reads on its own threads, so a test that depends on the order of two clients waits for the first to count.
    bool WaitForMetric(const std::string& line) {
        for (int attempt = 0; attempt < 200; ++attempt) {
            const std::string text = metrics_.RenderPrometheus();
            if (text.find("\n" + line) != std::string::npos || text.rfind(line, 0) == 0) return true;
            std::this_thread::sleep_for(50ms);
        }
        return false;
    }
    // The server notices a closed connection asynchronously: retry for a few seconds.
    bool EventuallyHealthy() {
        for (int attempt = 0; attempt < 50; ++attempt) {
            if (Healthy()) return true;
            std::this_thread::sleep_for(100ms);
        }
        return false;
    }
};

// 1. A body nested 100,000 deep used to overflow the stack while the credential was serialized.
TEST_F(HardeningTest, DeeplyNestedJsonIsRefusedBeforeAnythingRecursiveRuns) {
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    auto r = client_->Post("/api/credentials", R"({"name":"x","kind":"aws","secret":)" + deep + "}");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("deeper than 64"), std::string::npos) << r.body;
    auto pushed = client_->Post("/api/metrics", R"({"samples":)" + deep + "}");
    EXPECT_EQ(pushed.status, 400);
    EXPECT_TRUE(Healthy());
    // Brackets inside strings are text, not nesting.
    EXPECT_FALSE(JsonNestsDeeperThan(R"({"a":")" + std::string(1000, '[') + R"("})", 64));
    EXPECT_FALSE(JsonNestsDeeperThan(R"({"a":"\"[[[[[["})", 3));
    EXPECT_TRUE(JsonNestsDeeperThan(std::string(65, '{'), 64));
}

// 2. Bodies are read only after the headers passed authentication, within a budget across connections.
TEST_F(HardeningTest, AnUnauthenticatedBodyIsRefusedFromItsHeadersAlone) {
    RawConnection c(port_);
    ASSERT_TRUE(c.Send(PostHead("/api/metrics", 8 << 20, "")));  // 8 MiB announced, none sent
    const std::string answer = c.ReadResponse(10s);
    EXPECT_EQ(RawConnection::StatusOf(answer), 401) << answer;
    EXPECT_NE(answer.find("Connection: close"), std::string::npos);

    RawConnection login(port_);
    ASSERT_TRUE(login.Send(PostHead("/api/auth/login", 1 << 20, "")));  // public, but never 1 MiB
    const std::string too_large = login.ReadResponse(10s);
    EXPECT_EQ(RawConnection::StatusOf(too_large), 413) << too_large;
    EXPECT_NE(too_large.find("before authentication"), std::string::npos);
}

TEST_F(HardeningTest, BufferedBodiesStayWithinTheBudgetPerAddressAndInAll) {
    api::ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.max_body_bytes = 1 << 20;
    options.max_buffered_body_bytes = 1 << 20;
    options.max_buffered_body_bytes_per_address = 600 << 10;
    Restart(options);
    const std::size_t part = 400 << 10;
    // Two bodies in flight from one client: the second would pass its address's share.
    RawConnection first(port_, "127.0.0.2");
    ASSERT_TRUE(first.Send(PostHead("/api/metrics", part, Bearer()) + "{"));
    ASSERT_TRUE(WaitForMetric("cloudopt_http_buffered_body_bytes " + std::to_string(part)));
    RawConnection second(port_, "127.0.0.2");
    ASSERT_TRUE(second.Send(PostHead("/api/metrics", part, Bearer())));
    const std::string per_address = second.ReadResponse(10s);
    EXPECT_EQ(RawConnection::StatusOf(per_address), 429) << per_address;
    // Other clients share what is left of the whole budget: one fits, the next does not.
    RawConnection third(port_, "127.0.0.3");
    ASSERT_TRUE(third.Send(PostHead("/api/metrics", part, Bearer()) + "{"));
    ASSERT_TRUE(WaitForMetric("cloudopt_http_buffered_body_bytes " + std::to_string(2 * part)));
    RawConnection fourth(port_, "127.0.0.4");
    ASSERT_TRUE(fourth.Send(PostHead("/api/metrics", part, Bearer())));
    const std::string total = fourth.ReadResponse(10s);
    EXPECT_EQ(RawConnection::StatusOf(total), 503) << total;
    EXPECT_NE(total.find("Retry-After: 1"), std::string::npos);
    // The held bodies are still read and answered (not valid JSON here: 400), and free their share.
    ASSERT_TRUE(first.Send(std::string(part - 1, ' ')));
    EXPECT_EQ(RawConnection::StatusOf(first.ReadResponse(10s)), 400);
    RawConnection fifth(port_, "127.0.0.2");
    ASSERT_TRUE(fifth.Send(PostHead("/api/metrics", part, Bearer()) + "{" + std::string(part - 1, ' ')));
    EXPECT_EQ(RawConnection::StatusOf(fifth.ReadResponse(10s)), 400);
}

// 3. Connections are capped below the descriptor limit, per client address and in all.
TEST_F(HardeningTest, ConnectionsOverTheCapsAreTurnedAwayAndProbesStillAnswer) {
    api::ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.max_connections = 6;
    options.max_connections_per_address = 3;
    Restart(options);
    std::vector<std::unique_ptr<RawConnection>> held;
    for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<RawConnection>(port_, "127.0.0.5"));
    // The healthz probe before each check makes sure the server has accepted the connections held so far.
    EXPECT_TRUE(Healthy());
    RawConnection over_address(port_, "127.0.0.5");
    const std::string refused = over_address.Read(10s);
    EXPECT_EQ(RawConnection::StatusOf(refused), 503) << refused;
    EXPECT_NE(refused.find("too many connections from 127.0.0.5"), std::string::npos);
    ASSERT_TRUE(WaitForMetric("cloudopt_http_open_connections 3"));  // the probes have gone
    for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<RawConnection>(port_, "127.0.0.6"));
    ASSERT_TRUE(WaitForMetric("cloudopt_http_open_connections 6"));
    EXPECT_FALSE(Healthy());  // 6 held: the probe itself is over the total cap
    held.pop_back();
    EXPECT_TRUE(EventuallyHealthy());
    // The derived cap leaves head-room below the descriptor limit.
    api::ServerOptions derived;
    derived.port = 0;
    api::HttpServer auto_capped(router_, metrics_, derived);
    ASSERT_TRUE(auto_capped.Start().ok());
    rlimit limit{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
    EXPECT_GT(auto_capped.max_connections(), 0u);
    EXPECT_LE(auto_capped.max_connections() + 64, limit.rlim_cur);
    auto_capped.Stop();
}

TEST_F(HardeningTest, AUserHoldsOnlyAFewEventStreams) {
    context_->max_event_streams_per_user = 2;
    const std::string viewer = auth_->BearerFor("watcher", Role::kViewer);
    const std::string request = "GET /api/events HTTP/1.1\r\nHost: t\r\nAuthorization: " + viewer + "\r\n\r\n";
    auto head_arrived = [](const std::string& text) { return text.find("\r\n\r\n") != std::string::npos; };
    auto a = std::make_unique<RawConnection>(port_);
    auto b = std::make_unique<RawConnection>(port_);
    RawConnection c(port_);
    a->Send(request);
    EXPECT_EQ(RawConnection::StatusOf(a->Read(10s, head_arrived)), 200);
    b->Send(request);
    EXPECT_EQ(RawConnection::StatusOf(b->Read(10s, head_arrived)), 200);
    c.Send(request);
    const std::string third = c.ReadResponse(10s);
    EXPECT_EQ(RawConnection::StatusOf(third), 429) << third;
    // Another user is not affected, and a closed stream gives its place back.
    RawConnection other(port_);
    other.Send("GET /api/events HTTP/1.1\r\nHost: t\r\nAuthorization: " + auth_->BearerFor("other", Role::kViewer) +
               "\r\n\r\n");
    EXPECT_EQ(RawConnection::StatusOf(other.Read(10s, head_arrived)), 200);
    a.reset();
    bool reopened = false;
    for (int attempt = 0; attempt < 50 && !reopened; ++attempt) {  // the server notices the close at once
        RawConnection again(port_);
        again.Send(request);
        reopened = RawConnection::StatusOf(again.Read(10s, head_arrived)) == 200;
        if (!reopened) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(reopened);
}

// 4. Password hashing (and every RouteCost::kBlocking handler) runs on the worker pool, not an I/O thread.
TEST(HardeningServer, ABlockingHandlerDoesNotHoldTheIoThread) {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    ReleaseOnExit guard(release);  // an early ASSERT must not leave the handler blocked for ever
    std::promise<void> entered;
    api::Router router;
    router.Add(
        "GET", "/slow",
        [released, &entered](const api::HttpRequest&) {
            entered.set_value();
            released.wait();
            api::HttpResponse r;
            r.body = "done";
            return r;
        },
        api::RouteCost::kBlocking);
    router.Add("GET", "/healthz", [](const api::HttpRequest&) { return api::HttpResponse{}; });
    MetricsRegistry metrics;
    api::ServerOptions options;
    options.port = 0;
    options.threads = 1;  // one I/O thread: a handler blocking it would block every connection
    api::HttpServer server(router, metrics, options);
    auto port = server.Start();
    ASSERT_TRUE(port.ok());
    RawConnection slow(*port);
    slow.Send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
    ASSERT_EQ(entered.get_future().wait_for(10s), std::future_status::ready);
    RawConnection probe(*port);
    probe.Send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_EQ(RawConnection::StatusOf(probe.ReadResponse(10s)), 200);  // while /slow still runs
    guard.Release();
    const std::string done = slow.ReadResponse(10s);
    EXPECT_EQ(RawConnection::StatusOf(done), 200);
    EXPECT_NE(done.find("done"), std::string::npos);
    server.Stop();
}

// Metric batches (RouteCost::kStoreWrite) are stored on a pool of their own: more batches in flight than there are
// I/O threads, a full queue answered 503 with Retry-After (never an unbounded queue), logins not held up by them.
TEST(HardeningServer, StoreWritesRunOnTheirOwnBoundedPool) {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    ReleaseOnExit guard(release);
    std::atomic<int> writing{0};
    api::Router router;
    router.Add(
        "POST", "/write",
        [released, &writing](const api::HttpRequest&) {
            writing.fetch_add(1);
            released.wait();
            api::HttpResponse r;
            r.body = "stored";
            return r;
        },
        api::RouteCost::kStoreWrite);
    router.Add(
        "POST", "/login", [](const api::HttpRequest&) { return api::HttpResponse{}; }, api::RouteCost::kBlocking);
    router.Add("GET", "/healthz", [](const api::HttpRequest&) { return api::HttpResponse{}; });
    MetricsRegistry metrics;
    api::ServerOptions options;
    options.port = 0;
    options.threads = 1;
    options.store_write_threads = 2;
    options.max_store_write_queue = 1;
    api::HttpServer server(router, metrics, options);
    auto port = server.Start();
    ASSERT_TRUE(port.ok());
    const std::string post = "POST /write HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n";
    std::vector<std::unique_ptr<RawConnection>> writers;
    for (int i = 1; i <= 2; ++i) {  // one after the other: a batch waits in the queue until a writer takes it
        writers.push_back(std::make_unique<RawConnection>(*port));
        writers.back()->Send(post);
        for (int wait = 0; wait < 500 && writing.load() < i; ++wait) std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(writing.load(), 2);  // two batches stored at once with one I/O thread
    writers.push_back(std::make_unique<RawConnection>(*port));
    writers.back()->Send(post);  // waits in the queue (1 place)
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(writing.load(), 2);
    RawConnection refused(*port);
    refused.Send(post);
    const std::string busy = refused.ReadResponse(10s);
    EXPECT_EQ(RawConnection::StatusOf(busy), 503) << busy;
    EXPECT_NE(busy.find("Retry-After: 1"), std::string::npos) << busy;
    EXPECT_NE(busy.find("storing other metric batches"), std::string::npos) << busy;
    RawConnection login(*port);
    login.Send("POST /login HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(RawConnection::StatusOf(login.ReadResponse(10s)), 200);  // the login pool is not the writers'
    RawConnection probe(*port);
    probe.Send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_EQ(RawConnection::StatusOf(probe.ReadResponse(10s)), 200);
    guard.Release();
    for (auto& w : writers) {
        const std::string done = w->ReadResponse(10s);
        EXPECT_EQ(RawConnection::StatusOf(done), 200) << done;
        EXPECT_NE(done.find("stored"), std::string::npos);
    }
    EXPECT_EQ(writing.load(), 3);
    server.Stop();
}

TEST_F(HardeningTest, PasswordAndLoopRoutesAreBlockingAndProbesAreNot) {
    auto cost_of = [&](const std::string& method, const std::string& pattern) {
        for (const api::RouteInfo& route : router_.Routes())
            if (route.method == method && route.pattern == pattern) return route.cost;
        ADD_FAILURE() << method << " " << pattern << " is not a route";
        return api::RouteCost::kCheap;
    };
    for (const auto& [method, pattern] :
         std::vector<std::pair<std::string, std::string>>{{"POST", "/api/auth/login"},
                                                          {"POST", "/api/users"},
                                                          {"PUT", "/api/users/{id}"},
                                                          {"POST", "/api/resources/allocate"},
                                                          {"DELETE", "/api/resources/{id}"},
                                                          {"PUT", "/api/resources/{id}/mode"},
                                                          {"POST", "/api/resources/recommendations/{id}/apply"}})
        EXPECT_EQ(cost_of(method, pattern), api::RouteCost::kBlocking) << method << " " << pattern;
    for (const char* probe : {"/healthz", "/readyz", "/metrics", "/api/events"})
        EXPECT_EQ(cost_of("GET", probe), api::RouteCost::kCheap) << probe;
    EXPECT_EQ(cost_of("POST", "/api/metrics"), api::RouteCost::kStoreWrite);
    EXPECT_EQ(cost_of("POST", "/api/v1/write"), api::RouteCost::kStoreWrite);
}

// 11. HTTP framing: HEAD answers like GET without the body; a Transfer-Encoding without chunked is refused.
TEST_F(HardeningTest, HeadAnswersLikeGetWithoutTheBody) {
    RawConnection c(port_);
    c.Send("HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    const std::string head = c.Read(3s, [](const std::string& t) { return t.find("\r\n\r\n") != std::string::npos; });
    EXPECT_EQ(RawConnection::StatusOf(head), 200) << head;
    EXPECT_NE(head.find("Content-Length: "), std::string::npos);
    EXPECT_EQ(head.substr(head.find("\r\n\r\n") + 4), "");
    c.Send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");  // the connection stays usable
    const std::string get = c.ReadResponse(10s);
    EXPECT_EQ(RawConnection::StatusOf(get), 200);
    EXPECT_NE(get.find("\"ok\""), std::string::npos);
}

TEST_F(HardeningTest, ATransferEncodingWithoutChunkedIsRefusedAndClosed) {
    RawConnection c(port_);
    c.Send(
        "POST /api/auth/login HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n"
        "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    const std::string answer = c.Read(10s);  // until the server closes
    EXPECT_EQ(RawConnection::StatusOf(answer), 400) << answer;
    EXPECT_NE(answer.find("chunked"), std::string::npos);
    EXPECT_EQ(answer.find("\"ok\""), std::string::npos) << "the smuggled request was answered";
}

// 5. A sample from the future is refused, and one already stored never passes for the current load.
TEST_F(HardeningTest, SamplesFromTheFutureAreRefusedAndNeverCurrent) {
    const int id = CreateResource("web", "sim/a");
    auto ahead = client_->Post(
        "/api/metrics",
        json({{"samples", {{{"resource", id}, {"metric", "cpu_cores"}, {"ts", kNow + 3600}, {"value", 5}}}}}).dump());
    EXPECT_EQ(ahead.status, 422);
    EXPECT_NE(ahead.body.find("samples[0].ts"), std::string::npos) << ahead.body;
    EXPECT_NE(ahead.body.find("ahead of the server's clock"), std::string::npos);
    auto skewed = client_->Post(
        "/api/metrics",
        json({{"samples", {{{"resource", id}, {"metric", "cpu_cores"}, {"ts", kNow + 60}, {"value", 30}}}}}).dump());
    EXPECT_EQ(skewed.status, 200) << "a small clock skew is fine";
    // Stored before this rule existed: a sample dated a year ahead.
    ASSERT_TRUE(
        store_->AppendSamples(std::vector<SeriesSamples>{{{id, "cpu_cores"}, {{kNow + 365 * 86400, 1e6}}}}).ok());
    clock_.Advance(120);
    auto stats = Body(client_->Get("/api/dashboard/stats"));
    ASSERT_TRUE(stats.contains("resources")) << stats.dump();
    EXPECT_EQ(stats["resources"][0]["load"], 30) << stats.dump();
    auto outcomes = loop_->RunPass();
    ASSERT_TRUE(outcomes.ok());
    ASSERT_EQ(outcomes->size(), 1u);
    ASSERT_TRUE((*outcomes)[0].decision.has_value()) << (*outcomes)[0].error;
    EXPECT_LT((*outcomes)[0].decision->desired, 20) << (*outcomes)[0].decision->reason;  // 1e6 needs the maximum
}

TEST_F(HardeningTest, AnAdminDeletesASeriesSamplesInATimeRange) {
    const int id = CreateResource("web", "sim/a");
    ASSERT_TRUE(store_
                    ->AppendSamples(std::vector<SeriesSamples>{
                        {{id, "cpu_cores"}, {{kNow - 7200, 10}, {kNow - 60, 30}, {4'080'000'000, 1e6}}}})
                    .ok());
    const std::string target = "/api/metrics?resource=web&from=" + std::to_string(kNow) + "&to=4100000000";
    HttpClient viewer(port_);
    viewer.SetHeader("Authorization", auth_->BearerFor("watcher", Role::kViewer));
    EXPECT_EQ(viewer.Request("DELETE", target).status, 403);
    EXPECT_EQ(client_->Request("DELETE", "/api/metrics?resource=web&from=" + std::to_string(kNow)).status, 400)
        << "both bounds are required";
    auto deleted = client_->Request("DELETE", target);
    ASSERT_EQ(deleted.status, 200) << deleted.body;
    EXPECT_EQ(Body(deleted)["deleted"], 1);
    auto left = store_->QuerySamples({id, "cpu_cores"}, 0, 4'100'000'000);
    ASSERT_TRUE(left.ok());
    ASSERT_EQ(left->size(), 2u);
    EXPECT_EQ(left->back().value, 30);
    auto latest = store_->LatestSample({id, "cpu_cores"});
    ASSERT_TRUE(latest.ok() && latest->has_value());
    EXPECT_EQ((*latest)->ts, kNow - 60) << "the recent cache forgot the deleted sample too";
}

// 6. Values outside the plausible range are refused at ingest.
TEST_F(HardeningTest, ImplausibleValuesAreRefusedNamingTheField) {
    const int id = CreateResource("web", "sim/a");
    auto huge = client_->Post(
        "/api/metrics",
        json({{"series", {{{"resource", id}, {"metric", "cpu_cores"}, {"points", {{kNow - 60, 1}, {kNow, 1e300}}}}}}})
            .dump());
    EXPECT_EQ(huge.status, 422);
    EXPECT_NE(huge.body.find("series[0].points[1].value"), std::string::npos) << huge.body;
    context_->ingest.metric_ranges["cpu_cores"] = {0, 1000};
    auto negative = client_->Post(
        "/api/metrics",
        json({{"samples", {{{"resource", id}, {"metric", "cpu_cores"}, {"ts", kNow}, {"value", -1}}}}}).dump());
    EXPECT_EQ(negative.status, 422);
    EXPECT_NE(negative.body.find("[0, 1000]"), std::string::npos) << negative.body;
    auto stored = store_->QuerySamples({id, "cpu_cores"}, 0, kNow + 86400);
    ASSERT_TRUE(stored.ok());
    EXPECT_TRUE(stored->empty()) << "a refused batch stores nothing";
}

// 12. Series per resource and in all are bounded; names cannot pass for ids; one resource per cloud group.
TEST_F(HardeningTest, SeriesAreBoundedPerResourceAndInAll) {
    const int a = CreateResource("web", "sim/a");
    const int b = CreateResource("api", "sim/b");
    context_->ingest.max_series_per_resource = 3;
    context_->ingest.max_series_total = 5;
    auto push = [&](int id, const std::string& metric) {
        return client_->Post(
            "/api/metrics",
            json({{"samples", {{{"resource", id}, {"metric", metric}, {"ts", kNow - 60}, {"value", 1}}}}}).dump());
    };
    for (const char* m : {"m1", "m2", "m3"}) EXPECT_EQ(push(a, m).status, 200);
    auto fourth = push(a, "m4");
    EXPECT_EQ(fourth.status, 422);
    EXPECT_NE(fourth.body.find("max_series_per_resource"), std::string::npos) << fourth.body;
    EXPECT_EQ(push(a, "m2").status, 200) << "existing series never count against the limit";
    EXPECT_EQ(push(b, "m1").status, 200);
    EXPECT_EQ(push(b, "m2").status, 200);
    auto over_total = push(b, "m3");
    EXPECT_EQ(over_total.status, 422);
    EXPECT_NE(over_total.body.find("max_series_total"), std::string::npos) << over_total.body;
}

TEST_F(HardeningTest, NamesCannotPassForIdsAndAGroupHasOneResource) {
    const int web = CreateResource("web", "sim/a");
    for (const char* bad : {"2", " 7 ", "-1", "id:web", "name:x"}) {
        json body = {{"name", bad}, {"provider", "aws"}, {"provider_ref", "sim/b"}, {"instance_type", "m5.large"}};
        auto r = client_->Post("/api/resources", body.dump());
        EXPECT_EQ(r.status, 422) << bad << ": " << r.body;
    }
    EXPECT_EQ(Body(client_->Get("/api/metrics?resource=id:" + std::to_string(web)))["resource"], web);
    EXPECT_EQ(Body(client_->Get("/api/metrics?resource=name:web"))["resource"], web);
    json twin = {{"name", "web-twin"}, {"provider", "aws"}, {"provider_ref", "sim/a"}, {"instance_type", "m5.large"}};
    auto r = client_->Post("/api/resources", twin.dump());
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_NE(r.body.find("already resource 'web'"), std::string::npos) << r.body;
    const int other = CreateResource("api", "sim/b");
    auto moved = client_->Request("PUT", "/api/resources/" + std::to_string(other), R"({"provider_ref":"sim/a"})");
    EXPECT_EQ(moved.status, 409) << moved.body;
}

// 12. Simulation jobs are bounded and can be cancelled.
TEST_F(HardeningTest, SimulationsQueueBoundedAndJobsCancel) {
    context_->max_queued_simulations = 2;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    ReleaseOnExit guard(release);
    auto hold = [released](const JobRunner::Progress&) -> Result<std::string> {
        released.wait();
        return std::string("{}");
    };
    auto running = jobs_.Submit("simulate", "held-1", hold, "test", 2);
    auto queued = jobs_.Submit("simulate", "held-2", hold, "test", 2);
    ASSERT_FALSE(running.refused);
    ASSERT_FALSE(queued.refused);
    for (int attempt = 0; attempt < 200 && jobs_.Get(running.job.id)->state != JobState::kRunning; ++attempt)
        std::this_thread::sleep_for(50ms);
    ASSERT_EQ(jobs_.Get(running.job.id)->state, JobState::kRunning);
    std::string csv = "timestamp,series,value\n";
    for (int i = 0; i < 4 * 288; ++i) csv += std::to_string(kNow + i * 300) + ",s," + std::to_string(10 + i % 7) + "\n";
    auto refused = client_->Post("/api/simulations", json({{"csv", csv}}).dump());
    EXPECT_EQ(refused.status, 429) << refused.body;
    EXPECT_NE(refused.body.find("simulations.max_queued"), std::string::npos);

    auto cancel_queued = client_->Post("/api/jobs/" + std::to_string(queued.job.id) + "/cancel", "");
    EXPECT_EQ(cancel_queued.status, 200) << cancel_queued.body;
    EXPECT_EQ(Body(cancel_queued)["status"], "cancelled");
    auto cancel_running = client_->Post("/api/jobs/" + std::to_string(running.job.id) + "/cancel", "");
    EXPECT_EQ(cancel_running.status, 202) << cancel_running.body;
    guard.Release();
    ASSERT_TRUE(jobs_.WaitFor(running.job.id, 10s));
    EXPECT_EQ(jobs_.Get(running.job.id)->state, JobState::kCancelled);
    EXPECT_EQ(client_->Post("/api/jobs/" + std::to_string(running.job.id) + "/cancel", "").status, 409);
    EXPECT_EQ(client_->Post("/api/jobs/999/cancel", "").status, 404);
    auto again = jobs_.Submit("simulate", "held-3", hold, "test", 2);
    EXPECT_FALSE(again.refused) << "a place is free again";
    ASSERT_TRUE(jobs_.WaitFor(again.job.id, 10s));
}

// 7. Refused requests cost one audit row per client and minute; a login names the user it tried.
TEST_F(HardeningTest, AFloodOfRefusedRequestsIsOneAuditRowAMinute) {
    HttpClient anonymous(port_);
    for (int i = 0; i < 300; ++i) EXPECT_EQ(anonymous.Post("/api/resources", "{}").status, 401);
    HttpClient guesser(port_);
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(guesser.Post("/api/auth/login", R"({"username":"mallory","password":"hunter2"})").status, 401);
    clock_.Advance(61);
    client_->Post("/api/resources", "{}");  // any request writes the counts of the minutes that ended
    auto audit = Body(client_->Get("/api/audit?limit=1000"));
    std::int64_t rows = 0, counted = 0;
    bool login_named = false;
    for (const json& e : audit["entries"]) {
        EXPECT_EQ(e.dump().find("hunter2"), std::string::npos) << "a password in the audit log";
        if (e["action"] == "POST /api/resources" && e["status"] == 401) {
            ++rows;
            counted += e["count"].get<std::int64_t>();
        }
        if (e["action"] == "POST /api/auth/login" && e["status"] == 401) {
            login_named = e["detail"] == "username tried: mallory" && e["count"] == 3;
        }
    }
    EXPECT_EQ(rows, 1) << audit.dump();
    EXPECT_EQ(counted, 300);
    EXPECT_TRUE(login_named) << audit.dump();
}

TEST_F(HardeningTest, AuditRetentionKeepsTheNewestWithinAgeAndSize) {
    IdentityStore& identity = store_->Identity();
    for (int i = 0; i < 20; ++i) {
        AuditEntry e;
        e.ts = kNow - (20 - i) * 86400;  // one a day, the oldest 20 days ago
        e.actor = "user:a";
        e.action = "POST /x";
        e.target = "/x";
        e.status = 200;
        ASSERT_TRUE(identity.AppendAudit(e).ok());
    }
    auto removed = identity.PruneAudit(kNow - 10 * 86400, 5);
    ASSERT_TRUE(removed.ok());
    EXPECT_EQ(*removed, 15);
    auto left = identity.ListAudit({0, 100});
    ASSERT_TRUE(left.ok());
    ASSERT_EQ(left->size(), 5u);
    EXPECT_EQ(left->front().ts, kNow - 86400);
    EXPECT_EQ(left->back().ts, kNow - 5 * 86400);
}

}  // namespace
}  // namespace cloudopt
