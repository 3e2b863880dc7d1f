// Issue 36 item 3, end to end: a replayed synthetic load (a daily wave with noise, pushed through POST /api/metrics
// one 5-minute step at a time, with the control loop's pass after each) with an injected leak (a ramp of the load)
// and an injected stuck-at-zero utilization raises an alert within a bounded delay for each, shows both in
// GET /api/alerts with their evidence, sends Slack-compatible messages to a webhook receiver on a loopback port,
// and closes each after recovery, across a restart of the detector.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "allocate/capacity_planner.hpp"
#include "api/routes.hpp"
#include "api/server.hpp"
#include "api/test_auth.hpp"
#include "app/alert_webhook.hpp"
#include "control/anomaly_monitor.hpp"
#include "forecast/seasonal_naive.hpp"
#include "providers/fake_cloud_server.hpp"
#include "simulate/simulated_cloud.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

using nlohmann::json;

constexpr UnixSeconds kStep = 300;
constexpr UnixSeconds kStart = 1'700'006'400;  // a whole 5-minute step

// The normal behaviour: a daily wave with a little deterministic noise.
double Wave(UnixSeconds t, double mid, double amplitude) {
    const double noise = std::sin(static_cast<double>(t) * 0.7) * 0.02;
    return mid * (1.0 + noise) + amplitude * std::sin(2.0 * M_PI * static_cast<double>(t % 86400) / 86400.0);
}
double NormalLoad(UnixSeconds t) { return Wave(t, 40.0, 10.0); }
double NormalUtilization(UnixSeconds t) { return Wave(t, 0.5, 0.1); }

TEST(AlertPayload, SlackCompatibleJsonExactly) {
    Alert a;
    a.id = 7;
    a.metric = "cpu_cores";
    a.severity = "critical";
    a.opened_at = 1'700'000'000;
    a.closed_at = 1'700'003'600;
    a.value = 96.5;
    a.score = 0.9;
    a.peak_score = 0.95;
    a.range_low = 30;
    a.range_high = 50;
    a.forecast_p50 = 41;
    a.forecast_p99 = 48.25;
    a.message = "cpu_cores 96.5 is above its usual range 30 to 50 (anomaly score 0.9)";
    EXPECT_EQ(
        SlackPayload(AlertEvent::kOpened, a, "web"),
        R"j({"attachments":[{"color":"#d00000","fields":[{"short":true,"title":"resource","value":"web"},)j"
        R"j({"short":true,"title":"metric","value":"cpu_cores"},{"short":true,"title":"severity","value":"critical"},)j"
        R"j({"short":true,"title":"value","value":"96.5"},{"short":true,"title":"score","value":"0.95"},)j"
        R"j({"short":true,"title":"expected","value":"30 to 50; forecast p50 41, p99 48.25"}],)j"
        R"j("footer":"cloudopt anomaly detection","title":"Alert 7 opened","ts":1700000000}],)j"
        R"j("text":"[cloudopt] critical anomaly on web: cpu_cores 96.5 is above its usual range 30 to 50 )j"
        R"j((anomaly score 0.9)"})j");
    const json closed = json::parse(SlackPayload(AlertEvent::kClosed, a, "web"));
    EXPECT_EQ(closed["text"], "[cloudopt] resolved: the anomaly on web cpu_cores (alert 7) closed after 60 min");
    EXPECT_EQ(closed["attachments"][0]["color"], "#2eb886");
    EXPECT_EQ(closed["attachments"][0]["ts"], 1'700'003'600);
}

class AlertsEndToEnd : public ::testing::Test {
  protected:
    void SetUp() override {
        auto s = OpenSqliteStore(dir_.File("t.db"), clock_);
        ASSERT_TRUE(s.ok());
        store_ = std::move(*s);
        catalog_ = *ParseCatalogCsv("provider,name,vcpu,memory_gib,price_per_hour\naws,m5.large,2,8,0.1\n");
        SimulatedGroupSpec spec;
        spec.ref = "sim/a";
        spec.instance_type = "m5.large";
        spec.price_per_hour = 0.1;
        spec.capacity_per_instance = 10;
        spec.demand.step = kStep;
        spec.demand.values = {40};
        spec.initial_capacity = 6;
        cloud_.AddGroup(spec);
        Adapters adapters;
        adapters.providers["aws"] = &cloud_;  // no metric source: the resource's samples are pushed
        ControlLoopOptions loop_options;
        loop_options.history_seconds = 3 * 86400;
        loop_ = std::make_unique<ControlLoop>(*store_, clock_, adapters, forecaster_, planner_, catalog_, metrics_,
                                              loop_options);
        webhook_ = std::make_unique<AlertWebhook>(AlertWebhookOptions{receiver_.url() + "/hook", 2}, metrics_);
        StartMonitor();
        auth_ = std::make_unique<testing::TestAuth>(store_->Identity(), auth_clock_);  // tokens outlive the replay
        api::AccessOptions access;
        access.per_address_rate = access.per_caller_rate = 0;
        context_ = std::make_unique<api::ApiContext>(
            api::ApiContext{*store_, *loop_, jobs_, metrics_, clock_, "test", auth_->auth(), auth_->keyring(), access});
        context_->ingest.max_samples = 5000;
        router_ = api::BuildRouter(*context_);
        api::ServerOptions options;
        options.port = 0;
        options.threads = 2;
        server_ = std::make_unique<api::HttpServer>(router_, metrics_, options);
        auto port = server_->Start();
        ASSERT_TRUE(port.ok()) << port.error().message;
        client_ = std::make_unique<testing::HttpClient>(*port);
        client_->SetHeader("Authorization", auth_->BearerFor("admin", Role::kAdmin));
    }
    void TearDown() override {
        server_->Stop();
        webhook_->Stop();
    }
    // A fresh monitor, as after a restart of the service: it warms up from the store.
    void StartMonitor() {
        monitor_ = std::make_unique<AnomalyMonitor>(*store_, metrics_, AnomalyOptions{});
        ASSERT_TRUE(monitor_->Load().ok());
        monitor_->OnAlert([this](AlertEvent e, const Alert& a, const Resource& r) { webhook_->Enqueue(e, a, r); });
        loop_->SetAnomalyMonitor(monitor_.get());
    }
    void Push(int id, const json& load, const json& utilization) {
        json body = {{"series",
                      {{{"resource", id}, {"metric", "cpu_cores"}, {"points", load}},
                       {{"resource", id}, {"metric", "cpu_utilization"}, {"points", utilization}}}}};
        auto r = client_->Post("/api/metrics", body.dump());
        ASSERT_EQ(r.status, 200) << r.body;
    }
    json Alerts(const std::string& query) {
        auto r = client_->Get("/api/alerts" + query);
        EXPECT_EQ(r.status, 200) << r.body;
        return json::parse(r.body)["alerts"];
    }

    testing::TempDir dir_;
    ManualClock clock_{kStart};
    ManualClock auth_clock_{kStart};
    std::unique_ptr<Store> store_;
    SimulatedCloud cloud_{clock_};
    Catalog catalog_;
    SeasonalNaiveForecaster forecaster_;
    CapacityPlanner planner_;
    MetricsRegistry metrics_;
    std::unique_ptr<ControlLoop> loop_;
    testing::FakeCloudServer receiver_{[](const testing::RawRequest&) {
        testing::RawResponse ok;
        ok.body = "ok";
        return ok;
    }};
    std::unique_ptr<AlertWebhook> webhook_;
    std::unique_ptr<AnomalyMonitor> monitor_;
    JobRunner jobs_{clock_};
    std::unique_ptr<testing::TestAuth> auth_;
    std::unique_ptr<api::ApiContext> context_;
    api::Router router_;
    std::unique_ptr<api::HttpServer> server_;
    std::unique_ptr<testing::HttpClient> client_;
};

TEST_F(AlertsEndToEnd, LeakAndStuckAtZeroOpenAlertsThatReachTheWebhookAndCloseAfterRecovery) {
    json resource = {{"name", "web"},
                     {"provider", "aws"},
                     {"provider_ref", "sim/a"},
                     {"instance_type", "m5.large"},
                     {"capacity_per_instance", 10},
                     {"mode", "recommend"},
                     {"max_capacity", 20},
                     {"boot_delay_s", 120}};
    auto created = client_->Post("/api/resources", resource.dump());
    ASSERT_EQ(created.status, 201) << created.body;
    const int id = json::parse(created.body)["id"].get<int>();

    // Three days of normal history, then the first pass: the detectors warm up on it and open nothing.
    json load = json::array(), utilization = json::array();
    for (UnixSeconds t = kStart - 3 * 86400; t < kStart; t += kStep) {
        load.push_back({t, NormalLoad(t)});
        utilization.push_back({t, NormalUtilization(t)});
    }
    Push(id, load, utilization);
    ASSERT_TRUE(loop_->RunPass(id).ok());
    EXPECT_TRUE(Alerts("").empty());

    // Replay, a step at a time: 1 h normal, a 1 h leak (the load climbs 8 per step), 1 h recovered, 1 h of
    // utilization stuck at zero (the detector restarts in the middle), 1 h recovered.
    constexpr int kLeakFrom = 12, kLeakTo = 24, kStuckFrom = 36, kStuckTo = 48, kSteps = 60;
    int leak_opened_step = -1, stuck_opened_step = -1, leak_closed_step = -1, stuck_closed_step = -1;
    for (int step = 0; step < kSteps; ++step) {
        const UnixSeconds t = kStart + step * kStep;
        double l = NormalLoad(t), u = NormalUtilization(t);
        if (step >= kLeakFrom && step < kLeakTo) l += 8.0 * (step - kLeakFrom + 1);
        if (step >= kStuckFrom && step < kStuckTo) u = 0.0;
        Push(id, json::array({{t, l}}), json::array({{t, u}}));
        clock_.Set(t + kStep);  // the step is complete: the next pass scores it
        if (step == kStuckFrom + 4) StartMonitor();
        ASSERT_TRUE(loop_->RunPass(id).ok());
        for (const json& a : Alerts("?resource=web")) {
            const bool leak = a["metric"] == "cpu_cores";
            int& opened = leak ? leak_opened_step : stuck_opened_step;
            int& closed = leak ? leak_closed_step : stuck_closed_step;
            if (opened < 0) opened = step;
            if (closed < 0 && a["state"] == "closed") closed = step;
        }
    }
    std::printf("leak: opened at step %d, closed at step %d; stuck at zero: opened at step %d, closed at step %d\n",
                leak_opened_step, leak_closed_step, stuck_opened_step, stuck_closed_step);
    // Bounded delay: each opened within 20 minutes (4 steps) of its start, closed within 30 minutes of recovery.
    EXPECT_GE(leak_opened_step, kLeakFrom);
    EXPECT_LT(leak_opened_step, kLeakFrom + 4);
    EXPECT_GE(stuck_opened_step, kStuckFrom);
    EXPECT_LT(stuck_opened_step, kStuckFrom + 4);
    EXPECT_GE(leak_closed_step, kLeakTo);
    EXPECT_LT(leak_closed_step, kLeakTo + 6);
    EXPECT_GE(stuck_closed_step, kStuckTo);  // it stayed open through the restart of the detector
    EXPECT_LT(stuck_closed_step, kStuckTo + 6);

    const json closed = Alerts("?state=closed&resource=" + std::to_string(id));
    ASSERT_EQ(closed.size(), 2u) << closed.dump();
    EXPECT_TRUE(Alerts("?state=open").empty());
    const json& stuck = closed[0];  // newest first
    const json& leak = closed[1];
    EXPECT_EQ(leak["metric"], "cpu_cores");
    EXPECT_EQ(leak["resource"], "web");
    EXPECT_GT(leak["value"].get<double>(), leak["expected"]["range"]["high"].get<double>());
    EXPECT_GE(leak["score"].get<double>(), AnomalyOptions{}.threshold);
    ASSERT_TRUE(leak["expected"]["forecast"].is_object()) << leak.dump();  // the stored forecast's band for that step
    EXPECT_LT(leak["expected"]["forecast"]["p99"].get<double>(), leak["value"].get<double>());
    EXPECT_LT(leak["window"]["from"].get<UnixSeconds>(), leak["opened_at"].get<UnixSeconds>());
    EXPECT_GE(leak["window"]["to"].get<UnixSeconds>(), leak["closed_at"].get<UnixSeconds>());
    EXPECT_EQ(stuck["metric"], "cpu_utilization");
    EXPECT_EQ(stuck["value"].get<double>(), 0.0);
    EXPECT_EQ(stuck["severity"], "critical");  // zero lies two ranges below anything seen
    EXPECT_TRUE(stuck["expected"]["forecast"].is_null());
    EXPECT_EQ(stuck["opened_at"].get<UnixSeconds>(), kStart + kStuckFrom * kStep);

    // The webhook got one message per opening and closing, in order, each the exact payload of the alert.
    std::vector<testing::RawRequest> got;
    for (int i = 0; i < 100 && got.size() < 4; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        got = receiver_.requests();
    }
    ASSERT_EQ(got.size(), 4u);
    for (const testing::RawRequest& r : got) {
        EXPECT_EQ(r.method, "POST");
        EXPECT_EQ(r.Path(), "/hook");
        EXPECT_EQ(r.Header("Content-Type"), "application/json");
    }
    AlertQuery all;
    auto stored = store_->ListAlerts(all);
    ASSERT_TRUE(stored.ok());
    ASSERT_EQ(stored->size(), 2u);
    const Alert& stored_stuck = (*stored)[0];
    const Alert& stored_leak = (*stored)[1];
    EXPECT_EQ(got[1].body, SlackPayload(AlertEvent::kClosed, stored_leak, "web"));
    EXPECT_EQ(got[3].body, SlackPayload(AlertEvent::kClosed, stored_stuck, "web"));
    const json leak_opened = json::parse(got[0].body);
    EXPECT_EQ(leak_opened["text"], "[cloudopt] " + stored_leak.severity + " anomaly on web: " + stored_leak.message);
    EXPECT_EQ(json::parse(got[2].body)["text"], "[cloudopt] critical anomaly on web: " + stored_stuck.message);

    // /metrics: none open now, two opened for the resource.
    const std::string text = metrics_.RenderPrometheus();
    EXPECT_NE(text.find("cloudopt_alerts_open 0"), std::string::npos) << text;
    EXPECT_NE(text.find("cloudopt_alerts_opened_total{resource=\"web\"} 2"), std::string::npos);
}

TEST_F(AlertsEndToEnd, BadQueriesAre4xxWithTheErrorShape) {
    for (const auto& [query, status] :
         std::vector<std::pair<std::string, int>>{{"?state=maybe", 400}, {"?limit=0", 400}, {"?resource=nope", 404}}) {
        auto r = client_->Get("/api/alerts" + query);
        EXPECT_EQ(r.status, status) << query << " " << r.body;
        const json body = json::parse(r.body);
        EXPECT_TRUE(body["error"].contains("code") && body["error"].contains("message")) << r.body;
    }
}

}  // namespace
}  // namespace cloudopt
