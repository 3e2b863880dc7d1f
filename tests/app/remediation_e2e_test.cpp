// Issue 36 item 4, end to end: a replayed synthetic load (a daily wave pushed through POST /api/metrics a 5-minute
// step at a time, the control loop's pass after each) with an injected leak of the load and an injected stuck-at-zero
// metric the user marked for scoring (PUT /api/resources/{id}/anomaly). Each raises an alert within a bounded delay;
// with remediation on auto the configured steps are taken (scale-in held, the capacity floor raised and applied to the
// simulated cloud, a retrain requested, the runbook webhook called on a loopback receiver), every step is in the
// action log naming its alert, and each is undone after recovery. In recommend mode the same steps are only shown.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "allocate/capacity_planner.hpp"
#include "api/routes.hpp"
#include "api/server.hpp"
#include "api/test_auth.hpp"
#include "app/alert_webhook.hpp"
#include "app/config.hpp"
#include "control/anomaly_monitor.hpp"
#include "control/remediation.hpp"
#include "forecast/seasonal_naive.hpp"
#include "providers/fake_cloud_server.hpp"
#include "simulate/simulated_cloud.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

using nlohmann::json;

constexpr UnixSeconds kRemStep = 300;
constexpr UnixSeconds kRemStart = 1'700'006'400;  // a whole 5-minute step

double RemWave(UnixSeconds t, double mid, double amplitude) {
    const double noise = std::sin(static_cast<double>(t) * 0.7) * 0.02;
    return mid * (1.0 + noise) + amplitude * std::sin(2.0 * M_PI * static_cast<double>(t % 86400) / 86400.0);
}
double RemLoad(UnixSeconds t) { return RemWave(t, 40.0, 10.0); }
double RemQueue(UnixSeconds t) { return RemWave(t, 100.0, 20.0); }

TEST(RemediationConfig, DefaultsAreOffAndBadKeysAreNamed) {
    Config c;
    auto defaults = RemediationDefaultsFrom(c);
    ASSERT_TRUE(defaults.ok());
    EXPECT_EQ(defaults->mode, RemediationMode::kOff);
    EXPECT_EQ(defaults->actions, std::vector<std::string>{"hold_scale_in"});
    c.remediation_mode = "auto";
    c.remediation_actions = "hold_scale_in, raise_floor,webhook_runbook";
    c.remediation_runbook_url = "https://runbooks.example/cloudopt";
    auto set = RemediationDefaultsFrom(c);
    ASSERT_TRUE(set.ok()) << set.error().message;
    EXPECT_EQ(set->mode, RemediationMode::kAuto);
    EXPECT_EQ(set->actions, (std::vector<std::string>{"hold_scale_in", "raise_floor", "webhook_runbook"}));
    c.remediation_runbook_url.clear();
    auto no_url = ValidateConfig(c);
    ASSERT_FALSE(no_url.ok());
    EXPECT_EQ(no_url.error().message.rfind("config: anomaly.remediation.runbook_url: webhook_runbook needs", 0), 0u)
        << no_url.error().message;
    c.remediation_actions = "reboot";
    auto bad = ValidateConfig(c);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("anomaly.remediation.actions: unknown action 'reboot'"), std::string::npos)
        << bad.error().message;
}

class RemediationEndToEnd : public ::testing::Test {
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
        spec.demand.step = kRemStep;
        spec.demand.values = {40};
        spec.initial_capacity = 6;
        spec.boot_delay_s = 0;
        cloud_.AddGroup(spec);
        Adapters adapters;
        adapters.providers["aws"] = &cloud_;  // no metric source: the resource's samples are pushed
        ControlLoopOptions loop_options;
        loop_options.history_seconds = 3 * 86400;
        loop_ = std::make_unique<ControlLoop>(*store_, clock_, adapters, forecaster_, planner_, catalog_, metrics_,
                                              loop_options);
        runbooks_ = std::make_unique<AlertWebhook>(AlertWebhookOptions{"", 2}, metrics_);
        monitor_ = std::make_unique<AnomalyMonitor>(*store_, metrics_, AnomalyOptions{});
        ASSERT_TRUE(monitor_->Load().ok());
        loop_->SetAnomalyMonitor(monitor_.get());
        remediator_ = std::make_unique<Remediator>(
            *store_, metrics_, RemediationSettings{},
            RemediationHooks{
                [this](const Resource& r, const std::string& reason) { retrains_.push_back(r.name + ": " + reason); },
                [this](const std::string& url, const char* event, const Resource& r, const Remediation& step) {
                    runbooks_->EnqueueBody(url, RunbookPayload(event, r, step));
                    return Status::Ok();
                }});
        loop_->SetRemediator(remediator_.get());
        auth_ = std::make_unique<testing::TestAuth>(store_->Identity(), auth_clock_);
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
        runbooks_->Stop();
    }

    int CreateResource() {
        json resource = {{"name", "web"},
                         {"provider", "aws"},
                         {"provider_ref", "sim/a"},
                         {"instance_type", "m5.large"},
                         {"capacity_per_instance", 10},
                         {"mode", "auto"},
                         {"max_capacity", 20},
                         {"boot_delay_s", 0}};
        auto created = client_->Post("/api/resources", resource.dump());
        EXPECT_EQ(created.status, 201) << created.body;
        return json::parse(created.body)["id"].get<int>();
    }
    void Push(int id, UnixSeconds from, UnixSeconds to, double load_delta, bool queue_stuck) {
        json load = json::array(), queue = json::array();
        for (UnixSeconds t = from; t < to; t += kRemStep) {
            load.push_back({t, RemLoad(t) + load_delta});
            queue.push_back({t, queue_stuck ? 0.0 : RemQueue(t)});
        }
        json body = {{"series",
                      {{{"resource", id}, {"metric", "cpu_cores"}, {"points", load}},
                       {{"resource", id}, {"metric", "queue_depth"}, {"points", queue}}}}};
        auto r = client_->Post("/api/metrics", body.dump());
        ASSERT_EQ(r.status, 200) << r.body;
    }
    json Get(const std::string& target) {
        auto r = client_->Get(target);
        EXPECT_EQ(r.status, 200) << target << " " << r.body;
        return json::parse(r.body);
    }
    std::vector<Remediation> Steps(std::optional<std::string> state = std::nullopt) {
        RemediationQuery q;
        q.state = std::move(state);
        return *store_->ListRemediations(q);
    }

    testing::TempDir dir_;
    ManualClock clock_{kRemStart};
    ManualClock auth_clock_{kRemStart};
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
    std::unique_ptr<AlertWebhook> runbooks_;
    std::unique_ptr<AnomalyMonitor> monitor_;
    std::unique_ptr<Remediator> remediator_;
    std::vector<std::string> retrains_;
    JobRunner jobs_{clock_};
    std::unique_ptr<testing::TestAuth> auth_;
    std::unique_ptr<api::ApiContext> context_;
    api::Router router_;
    std::unique_ptr<api::HttpServer> server_;
    std::unique_ptr<testing::HttpClient> client_;
};

TEST_F(RemediationEndToEnd, SettingsAreValidatedStoredAndOffByDefault) {
    const int id = CreateResource();
    const std::string path = "/api/resources/" + std::to_string(id) + "/anomaly";
    json none = Get(path);
    EXPECT_EQ(none["own"], false);
    EXPECT_TRUE(none["remediation"].is_null());
    EXPECT_TRUE(none["metrics"].empty());
    for (const auto& [body, needle] : std::vector<std::pair<std::string, std::string>>{
             {R"({"metrics": ["bad name"]})", "metrics: 'bad name' is not a metric name"},
             {R"({"metrics": "queue_depth"})", "metrics: must be an array"},
             {R"({"remediation": {"mode": "always"}})", "remediation.mode: must be off, recommend or auto"},
             {R"({"remediation": {"actions": ["reboot"]}})", "remediation.actions: unknown action 'reboot'"},
             {R"({"remediation": {"actions": ["webhook_runbook"]}})", "remediation.runbook_url"},
             {R"({"remediation": {"floor_share": 0}})", "remediation.floor_share"},
             {R"({"remediation": {"floor_seconds": 1.5}})", "remediation.floor_seconds: must be an integer"},
             {R"({"remediation": {"colour": 1}})", "remediation.colour: unknown field"},
             {R"({"anomaly_metrics": []})", "unknown field 'anomaly_metrics'"}}) {
        auto r = client_->Request("PUT", path, body);
        EXPECT_EQ(r.status, 400) << body << " " << r.body;
        const json error = json::parse(r.body)["error"];
        EXPECT_NE(error["message"].get<std::string>().find(needle), std::string::npos) << r.body;
        EXPECT_TRUE(error.contains("code"));
    }
    EXPECT_EQ(client_->Request("PUT", "/api/resources/999/anomaly", R"({"metrics": []})").status, 404);
    EXPECT_EQ(client_->Get("/api/remediations?state=maybe").status, 400);
    EXPECT_EQ(client_->Get("/api/remediations?resource=nope").status, 404);

    auto put = client_->Request("PUT", path, R"({"metrics": ["queue_depth"]})");
    ASSERT_EQ(put.status, 200) << put.body;
    json stored = Get(path);
    EXPECT_EQ(stored["own"], true);
    EXPECT_EQ(stored["metrics"], json::array({"queue_depth"}));
    EXPECT_EQ(stored["remediation"]["mode"], "off");  // off by default
    EXPECT_EQ(stored["remediation"]["actions"], json::array({"hold_scale_in"}));
    // A partial update keeps what it does not name.
    ASSERT_EQ(client_->Request("PUT", path, R"({"remediation": {"mode": "recommend"}})").status, 200);
    stored = Get(path);
    EXPECT_EQ(stored["metrics"], json::array({"queue_depth"}));
    EXPECT_EQ(stored["remediation"]["mode"], "recommend");
}

TEST_F(RemediationEndToEnd, RecommendModeShowsTheStepsAndTakesNone) {
    const int id = CreateResource();
    auto put = client_->Request("PUT", "/api/resources/" + std::to_string(id) + "/anomaly",
                                json{{"remediation",
                                      {{"mode", "recommend"},
                                       {"actions", {"hold_scale_in", "raise_floor", "retrain", "webhook_runbook"}},
                                       {"runbook_url", receiver_.url() + "/runbook"}}}}
                                    .dump());
    ASSERT_EQ(put.status, 200) << put.body;
    Push(id, kRemStart - 3 * 86400, kRemStart, 0, false);
    ASSERT_TRUE(loop_->RunPass(id).ok());
    for (int step = 0; step < 24; ++step) {
        const UnixSeconds t = kRemStart + step * kRemStep;
        Push(id, t, t + kRemStep, step >= 12 ? 8.0 * (step - 11) : 0.0, false);
        clock_.Set(t + kRemStep);
        ASSERT_TRUE(loop_->RunPass(id).ok());
    }
    const std::vector<Remediation> steps = Steps();
    ASSERT_EQ(steps.size(), 4u);
    for (const Remediation& r : steps) {
        EXPECT_EQ(r.state, "recommended") << r.action;
        EXPECT_EQ(r.reason.rfind("would ", 0), 0u) << r.reason;
        EXPECT_NE(r.reason.find("alert " + std::to_string(r.alert_id) + " ("), std::string::npos) << r.reason;
    }
    EXPECT_TRUE(retrains_.empty());
    EXPECT_TRUE(receiver_.requests().empty());
    EXPECT_LE(cloud_.Describe(*store_->GetResource(id))->desired, 20);
    // The action log shows them as planned, each naming its alert; none bound the plan.
    int planned = 0;
    const std::vector<AllocationAction> actions = *store_->ListActions({id, 0, 200});
    for (const AllocationAction& a : actions) {
        if (a.explanation.rule != "remediation") {
            EXPECT_EQ(a.reason.find("capacity floor"), std::string::npos) << a.reason;
            continue;
        }
        EXPECT_EQ(a.status, ActionStatus::kPlanned);
        EXPECT_NE(a.reason.find("(remediation mode recommend: set it to auto to act)"), std::string::npos);
        ++planned;
    }
    EXPECT_EQ(planned, 4);
    EXPECT_EQ(Get("/api/remediations?state=recommended&resource=web")["remediations"].size(), 4u);
}

TEST_F(RemediationEndToEnd, ALeakAndAStuckMarkedMetricAreRemediatedAndUndoneAfterRecovery) {
    const int id = CreateResource();
    auto put = client_->Request("PUT", "/api/resources/" + std::to_string(id) + "/anomaly",
                                json{{"metrics", {"queue_depth"}},
                                     {"remediation",
                                      {{"mode", "auto"},
                                       {"actions", {"hold_scale_in", "raise_floor", "retrain", "webhook_runbook"}},
                                       {"floor_share", 0.5},
                                       {"floor_seconds", 7200},
                                       {"min_interval_seconds", 1800},
                                       {"runbook_url", receiver_.url() + "/runbook"}}}}
                                    .dump());
    ASSERT_EQ(put.status, 200) << put.body;
    const Resource web = *store_->GetResource(id);

    // Three days of normal history, then the first pass: the detectors warm up on it and open nothing.
    Push(id, kRemStart - 3 * 86400, kRemStart, 0, false);
    ASSERT_TRUE(loop_->RunPass(id).ok());
    EXPECT_TRUE(Steps().empty());

    // 1 h normal, 1 h leak (+8 per step), 1 h recovered, 1 h queue_depth stuck at zero, 2 h recovered.
    constexpr int kLeakFrom = 12, kLeakTo = 24, kStuckFrom = 36, kStuckTo = 48, kSteps = 72;
    int leak_acted = -1, leak_undone = -1, stuck_acted = -1, stuck_undone = -1, floor_held_from = -1;
    int highest_floor = 0;
    std::map<std::int64_t, int> floor_seen;  // raise_floor step -> the replay step it was first seen active
    for (int step = 0; step < kSteps; ++step) {
        const UnixSeconds t = kRemStart + step * kRemStep;
        const double leak = step >= kLeakFrom && step < kLeakTo ? 8.0 * (step - kLeakFrom + 1) : 0.0;
        Push(id, t, t + kRemStep, leak, step >= kStuckFrom && step < kStuckTo);
        clock_.Set(t + kRemStep);
        ASSERT_TRUE(loop_->RunPass(id).ok());
        const std::vector<Remediation> active = Steps("active");
        const std::vector<Remediation> all = Steps();
        const int desired = cloud_.Describe(web)->desired;
        for (const Remediation& r : active) {
            if (r.action != "raise_floor") continue;
            highest_floor = std::max(highest_floor, r.floor);
            if (floor_held_from < 0 && desired >= r.floor) floor_held_from = step;
            const int since = floor_seen.emplace(r.id, step).first->second;
            if (step > since) {
                EXPECT_GE(desired, r.floor) << "step " << step;  // applied by the next pass, and held
            }
        }
        if (leak_acted < 0 && !all.empty()) leak_acted = step;
        if (leak_acted >= 0 && leak_undone < 0 && stuck_acted < 0 && active.empty()) leak_undone = step;
        if (leak_undone >= 0 && stuck_acted < 0 && all.size() > 4) stuck_acted = step;
        if (stuck_acted >= 0 && stuck_undone < 0 && active.empty()) stuck_undone = step;
    }
    const int final_desired = cloud_.Describe(web)->desired;
    std::printf(
        "leak: acted at step %d, undone at %d; stuck queue_depth: acted at %d, undone at %d; floor %d held "
        "from step %d; capacity at the end %d\n",
        leak_acted, leak_undone, stuck_acted, stuck_undone, highest_floor, floor_held_from, final_desired);
    // Bounded delay: each acted on within 20 minutes of its start, undone within 30 minutes of recovery.
    EXPECT_GE(leak_acted, kLeakFrom);
    EXPECT_LT(leak_acted, kLeakFrom + 4);
    EXPECT_GE(leak_undone, kLeakTo);
    EXPECT_LT(leak_undone, kLeakTo + 6);
    EXPECT_GE(stuck_acted, kStuckFrom);
    EXPECT_LT(stuck_acted, kStuckFrom + 4);
    EXPECT_GE(stuck_undone, kStuckTo);
    EXPECT_LT(stuck_undone, kStuckTo + 6);
    EXPECT_GE(floor_held_from, leak_acted);
    EXPECT_LE(floor_held_from, leak_acted + 1);  // the floor reached the cloud in the pass that raised it, or the next
    EXPECT_LT(final_desired, highest_floor);     // and, lifted, let capacity come down again

    // Two alerts, each with the four steps: the lasting ones reverted when it closed, the once-only ones done.
    AlertQuery aq;
    const std::vector<Alert> alerts = *store_->ListAlerts(aq);
    ASSERT_EQ(alerts.size(), 2u);
    EXPECT_EQ(alerts[1].metric, "cpu_cores");
    EXPECT_EQ(alerts[0].metric, "queue_depth");  // the metric the user marked
    const std::vector<Remediation> steps = Steps();
    ASSERT_EQ(steps.size(), 8u);
    for (const Remediation& r : steps) {
        const Alert& alert = r.alert_id == alerts[0].id ? alerts[0] : alerts[1];
        EXPECT_NE(r.reason.find("alert " + std::to_string(alert.id) + " (" + alert.message + ")"), std::string::npos)
            << r.reason;
        if (r.action == "retrain") {
            EXPECT_EQ(r.state, "done");
            EXPECT_NE(r.undo_note.find("not undone"), std::string::npos);
        } else {
            EXPECT_EQ(r.state, "reverted") << r.action << " " << r.error;
            EXPECT_NE(r.undo_note.find("alert " + std::to_string(alert.id) + " closed"), std::string::npos)
                << r.undo_note;
            EXPECT_GE(r.ended_at, alert.closed_at);
        }
    }
    ASSERT_EQ(retrains_.size(), 2u);
    EXPECT_EQ(retrains_[0], "web: remediation of alert " + std::to_string(alerts[1].id));

    // The action log: each step and each undo, naming its alert; the scale-out the floor caused says why.
    int started = 0, undone = 0, floor_bound = 0;
    const std::vector<AllocationAction> actions = *store_->ListActions({id, 0, 500});
    for (const AllocationAction& a : actions) {
        if (a.explanation.rule == "remediation") {
            EXPECT_EQ(a.status, ActionStatus::kApplied) << a.reason;
            (a.summary.find(" undone (alert ") != std::string::npos ? undone : started)++;
        } else if (a.reason.find("capacity floor " + std::to_string(highest_floor) + " while alert") !=
                   std::string::npos) {
            ++floor_bound;
        }
    }
    EXPECT_EQ(started, 8);
    EXPECT_EQ(undone, 6);
    EXPECT_GE(floor_bound, 1);

    // The runbook heard of each start and each undo, in order.
    std::vector<testing::RawRequest> got;
    for (int i = 0; i < 100 && got.size() < 4; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        got = receiver_.requests();
    }
    ASSERT_EQ(got.size(), 4u);
    const char* events[] = {"remediate", "revert", "remediate", "revert"};
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].Path(), "/runbook");
        const json body = json::parse(got[i].body);
        EXPECT_EQ(body["event"], events[i]) << got[i].body;
        EXPECT_EQ(body["resource"], "web");
        EXPECT_EQ(body["alert_id"], alerts[i < 2 ? 1 : 0].id);
    }

    // The API lists them, filtered.
    EXPECT_EQ(Get("/api/remediations?resource=web")["remediations"].size(), 8u);
    EXPECT_EQ(Get("/api/remediations?state=done")["remediations"].size(), 2u);
    EXPECT_EQ(Get("/api/remediations?state=active")["remediations"].size(), 0u);
    const std::string text = metrics_.RenderPrometheus();
    EXPECT_NE(text.find("cloudopt_remediations_total{resource=\"web\",action=\"raise_floor\",state=\"active\"} 2"),
              std::string::npos)
        << text;
}

}  // namespace
}  // namespace cloudopt
