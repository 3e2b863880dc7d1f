// Alerts, remediation steps and per-resource anomaly settings (issue 36) on every store backend: SQLite and
// PostgreSQL (a server this test process starts; skipped, with the reason, where PostgreSQL is not installed).

#include <gtest/gtest.h>

#include "store/postgres/postgres_store.hpp"
#include "store/store.hpp"
#include "support/postgres_server.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

struct AnomalyBackend {
    const char* name;
    Result<std::unique_ptr<Store>> (*open)(const std::string& dir, const Clock& clock);
    std::string (*unavailable)() = [] { return std::string(); };
};

void PrintTo(const AnomalyBackend& backend, std::ostream* os) { *os << backend.name; }

const AnomalyBackend kAnomalyBackends[] = {
    {"sqlite", [](const std::string& dir, const Clock& clock) { return OpenSqliteStore(dir + "/t.db", clock); }},
    {"postgres",
     [](const std::string& dir, const Clock& clock) {
         auto& server = testing::PostgresServer::Shared();
         return OpenPostgresStore({server.Database(dir), server.password()}, clock);
     },
     [] {
         auto& server = testing::PostgresServer::Shared();
         return server.available() ? std::string() : server.why();
     }},
};

class AnomalyStoreTest : public ::testing::TestWithParam<AnomalyBackend> {
  protected:
    void SetUp() override {
        if (const std::string why = GetParam().unavailable(); !why.empty())
            GTEST_SKIP() << "PostgreSQL unavailable: " << why;
        auto s = GetParam().open(dir_.path(), clock_);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
    }
    Resource MakeResource(const std::string& name) {
        Resource r;
        r.name = name;
        r.provider = "aws";
        r.provider_ref = "asg-" + name;
        r.instance_type = "m5.large";
        auto created = store_->CreateResource(r);
        EXPECT_TRUE(created.ok()) << created.error().message;
        return *created;
    }
    Alert MakeAlert(ResourceId id, const std::string& metric, UnixSeconds at) {
        Alert a;
        a.resource_id = id;
        a.metric = metric;
        a.opened_at = at;
        a.value = 96.5;
        a.score = a.peak_score = 0.4;
        a.range_low = 30;
        a.range_high = 50;
        a.window_from = at - 7200;
        a.window_to = at + 3900;
        a.message = metric + " is above its usual range";
        return a;
    }

    testing::TempDir dir_;
    ManualClock clock_{1'700'000'000};
    std::unique_ptr<Store> store_;
};

TEST_P(AnomalyStoreTest, AlertsRoundTripNewestFirstFilteredAndGoWithTheirResource) {
    Resource web = MakeResource("web");
    Resource db = MakeResource("db");
    Alert first = MakeAlert(web.id, "cpu_cores", 1000);
    first.forecast_p50 = 41;
    first.forecast_p99 = 48.25;
    auto a = store_->SaveAlert(first);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_GT(a->id, 0);
    auto b = store_->SaveAlert(MakeAlert(web.id, "cpu_utilization", 2000));
    ASSERT_TRUE(b.ok());
    auto c = store_->SaveAlert(MakeAlert(db.id, "cpu_cores", 1500));
    ASSERT_TRUE(c.ok());

    // Closing one replaces its fields.
    Alert closed = *a;
    closed.state = "closed";
    closed.closed_at = 4000;
    closed.severity = "critical";
    closed.peak_score = 0.9;
    ASSERT_TRUE(store_->SaveAlert(closed).ok());

    auto all = store_->ListAlerts({});
    ASSERT_TRUE(all.ok()) << all.error().message;
    ASSERT_EQ(all->size(), 3u);
    EXPECT_EQ((*all)[0].id, b->id);  // newest first
    EXPECT_EQ((*all)[2].id, a->id);
    const Alert& back = (*all)[2];
    EXPECT_EQ(back.state, "closed");
    EXPECT_EQ(back.closed_at, 4000);
    EXPECT_EQ(back.severity, "critical");
    EXPECT_DOUBLE_EQ(back.peak_score, 0.9);
    EXPECT_EQ(back.forecast_p50, 41.0);
    EXPECT_EQ(back.forecast_p99, 48.25);
    EXPECT_EQ(back.window_from, 1000 - 7200);
    EXPECT_EQ(back.message, "cpu_cores is above its usual range");
    EXPECT_FALSE((*all)[0].forecast_p50.has_value());

    AlertQuery open_web;
    open_web.resource_id = web.id;
    open_web.state = "open";
    auto filtered = store_->ListAlerts(open_web);
    ASSERT_TRUE(filtered.ok());
    ASSERT_EQ(filtered->size(), 1u);
    EXPECT_EQ((*filtered)[0].metric, "cpu_utilization");
    AlertQuery one;
    one.limit = 1;
    EXPECT_EQ(store_->ListAlerts(one)->size(), 1u);

    Alert unknown = MakeAlert(web.id, "cpu_cores", 1);
    unknown.id = 99999;
    EXPECT_EQ(store_->SaveAlert(unknown).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(store_->SaveAlert(MakeAlert(424242, "cpu_cores", 1)).error().code, ErrorCode::kNotFound);

    ASSERT_TRUE(store_->DeleteResource(web.id).ok());
    auto left = store_->ListAlerts({});
    ASSERT_TRUE(left.ok());
    ASSERT_EQ(left->size(), 1u);
    EXPECT_EQ((*left)[0].resource_id, db.id);
}

TEST_P(AnomalyStoreTest, RemediationsRoundTripAndFollowTheirAlertAndResource) {
    Resource web = MakeResource("web");
    auto alert = store_->SaveAlert(MakeAlert(web.id, "cpu_cores", 1000));
    ASSERT_TRUE(alert.ok());
    Remediation r;
    r.resource_id = web.id;
    r.alert_id = alert->id;
    r.action = "raise_floor";
    r.started_at = 1300;
    r.until = 1300 + 3600;
    r.floor = 8;
    r.reason = "alert 1: cpu_cores above its range";
    auto saved = store_->SaveRemediation(r);
    ASSERT_TRUE(saved.ok()) << saved.error().message;
    Remediation hold = r;
    hold.action = "hold_scale_in";
    hold.started_at = 1300;
    hold.floor = 6;
    auto held = store_->SaveRemediation(hold);
    ASSERT_TRUE(held.ok());

    Remediation ended = *saved;
    ended.state = "reverted";
    ended.ended_at = 2000;
    ended.undo_note = "floor lifted: the alert closed";
    ASSERT_TRUE(store_->SaveRemediation(ended).ok());

    RemediationQuery active;
    active.resource_id = web.id;
    active.state = "active";
    auto got = store_->ListRemediations(active);
    ASSERT_TRUE(got.ok()) << got.error().message;
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ((*got)[0].action, "hold_scale_in");
    auto all = store_->ListRemediations({});
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 2u);
    const Remediation& back = (*all)[0].id == saved->id ? (*all)[0] : (*all)[1];
    EXPECT_EQ(back.state, "reverted");
    EXPECT_EQ(back.ended_at, 2000);
    EXPECT_EQ(back.until, 1300 + 3600);
    EXPECT_EQ(back.floor, 8);
    EXPECT_EQ(back.alert_id, alert->id);
    EXPECT_EQ(back.undo_note, "floor lifted: the alert closed");

    Remediation orphan = r;
    orphan.alert_id = 99999;
    EXPECT_EQ(store_->SaveRemediation(orphan).error().code, ErrorCode::kNotFound);
    ASSERT_TRUE(store_->DeleteResource(web.id).ok());
    EXPECT_TRUE(store_->ListRemediations({})->empty());
}

TEST_P(AnomalyStoreTest, AnomalySettingsReplaceAndSurviveAReopen) {
    Resource web = MakeResource("web");
    auto none = store_->LoadAnomalySettings(web.id);
    ASSERT_TRUE(none.ok()) << none.error().message;
    EXPECT_FALSE(none->has_value());

    AnomalySettings s;
    s.metrics = {"queue_depth", "http_5xx_rate"};
    s.remediation.mode = RemediationMode::kAuto;
    s.remediation.actions = {"hold_scale_in", "raise_floor", "webhook_runbook"};
    s.remediation.floor_share = 0.5;
    s.remediation.floor_seconds = 1800;
    s.remediation.min_interval_seconds = 600;
    s.remediation.runbook_url = "https://runbooks.example/hook";
    ASSERT_TRUE(store_->SaveAnomalySettings(web.id, s).ok());
    s.metrics = {"queue_depth"};
    ASSERT_TRUE(store_->SaveAnomalySettings(web.id, s).ok());  // replaces

    store_.reset();
    auto reopened = GetParam().open(dir_.path(), clock_);
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    store_ = std::move(*reopened);
    auto back = store_->LoadAnomalySettings(web.id);
    ASSERT_TRUE(back.ok());
    ASSERT_TRUE(back->has_value());
    EXPECT_EQ((*back)->metrics, std::vector<std::string>{"queue_depth"});
    EXPECT_EQ((*back)->remediation.mode, RemediationMode::kAuto);
    EXPECT_EQ((*back)->remediation.actions, s.remediation.actions);
    EXPECT_DOUBLE_EQ((*back)->remediation.floor_share, 0.5);
    EXPECT_EQ((*back)->remediation.floor_seconds, 1800);
    EXPECT_EQ((*back)->remediation.min_interval_seconds, 600);
    EXPECT_EQ((*back)->remediation.runbook_url, "https://runbooks.example/hook");

    EXPECT_EQ(store_->SaveAnomalySettings(424242, s).error().code, ErrorCode::kNotFound);
    ASSERT_TRUE(store_->DeleteResource(web.id).ok());
    auto gone = store_->LoadAnomalySettings(web.id);
    ASSERT_TRUE(gone.ok());
    EXPECT_FALSE(gone->has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, AnomalyStoreTest, ::testing::ValuesIn(kAnomalyBackends),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace cloudopt
