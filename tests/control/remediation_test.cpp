// The remediator's rules by hand (control/remediation.hpp): the floor it keeps, a floor that lapses, the rate limit,
// a restart only where the provider can, and turning remediation off undoes what is active.

#include "control/remediation.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

constexpr UnixSeconds kRemedyT0 = 1'700'000'000;

class RestartCounter final : public Provider {
  public:
    Result<CapacityState> Describe(const Resource&) override { return CapacityState{}; }
    Status SetDesiredCapacity(const Resource&, int) override { return Status::Ok(); }
    Status RestartWorkload(const Resource&) override {
        ++restarts;
        return Status::Ok();
    }
    int restarts = 0;
};

class NoRestart final : public Provider {
  public:
    Result<CapacityState> Describe(const Resource&) override { return CapacityState{}; }
    Status SetDesiredCapacity(const Resource&, int) override { return Status::Ok(); }
};

class RemediatorTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto s = OpenSqliteStore(dir_.File("t.db"), clock_);
        ASSERT_TRUE(s.ok());
        store_ = std::move(*s);
        Resource r;
        r.name = "web";
        r.provider = "kubernetes";
        r.provider_ref = "shop/web";
        r.instance_type = "pod";
        r.max_capacity = 10;
        resource_ = *store_->CreateResource(r);
        AnomalySettings settings;
        settings.remediation.mode = RemediationMode::kAuto;
        settings.remediation.actions = {"raise_floor", "rollout_restart"};
        settings.remediation.floor_share = 0.5;
        settings.remediation.floor_seconds = 600;
        settings.remediation.min_interval_seconds = 1800;
        ASSERT_TRUE(store_->SaveAnomalySettings(resource_.id, settings).ok());
    }
    Alert Open(UnixSeconds at) {
        Alert a;
        a.resource_id = resource_.id;
        a.metric = "cpu_cores";
        a.opened_at = at;
        a.message = "cpu_cores 120 is above its usual range 30 to 50";
        return *store_->SaveAlert(a);
    }
    void Close(Alert a, UnixSeconds at) {
        a.state = "closed";
        a.closed_at = at;
        ASSERT_TRUE(store_->SaveAlert(a).ok());
    }
    std::vector<Remediation> Steps() { return *store_->ListRemediations({}); }

    testing::TempDir dir_;
    ManualClock clock_{kRemedyT0};
    std::unique_ptr<Store> store_;
    MetricsRegistry metrics_;
    Resource resource_;
};

TEST_F(RemediatorTest, FloorLapsesRateLimitHoldsARepeatAndRestartNeedsAProviderThatCan) {
    Remediator remediator(*store_, metrics_, RemediationSettings{}, RemediationHooks{});
    RestartCounter k8s;
    Alert first = Open(kRemedyT0);
    auto floor = remediator.Review(resource_, kRemedyT0, 4, &k8s);
    ASSERT_TRUE(floor.ok()) << floor.error().message;
    ASSERT_TRUE(floor->has_value());
    EXPECT_EQ((*floor)->capacity, 6);  // ceil(4 * 1.5)
    EXPECT_NE((*floor)->why.find("alert " + std::to_string(first.id) + " is open"), std::string::npos);
    EXPECT_EQ(k8s.restarts, 1);
    std::vector<Remediation> steps = Steps();
    ASSERT_EQ(steps.size(), 2u);
    for (const Remediation& s : steps) {
        if (s.action == "rollout_restart") {
            EXPECT_EQ(s.state, "done");
            EXPECT_NE(s.undo_note.find("cannot be undone"), std::string::npos);
        } else {
            EXPECT_EQ(s.state, "active");
            EXPECT_EQ(s.until, kRemedyT0 + 600);
        }
    }
    // The same alert is not acted on twice.
    ASSERT_TRUE(remediator.Review(resource_, kRemedyT0 + 300, 6, &k8s).ok());
    EXPECT_EQ(Steps().size(), 2u);
    EXPECT_EQ(k8s.restarts, 1);

    // The floor's time runs out while the alert is still open: lifted, saying so.
    floor = remediator.Review(resource_, kRemedyT0 + 600, 6, &k8s);
    ASSERT_TRUE(floor.ok());
    EXPECT_FALSE(floor->has_value());
    for (const Remediation& s : Steps())
        if (s.action == "raise_floor") {
            EXPECT_EQ(s.state, "reverted");
            EXPECT_NE(s.undo_note.find("ran out; alert " + std::to_string(first.id) + " is still open"),
                      std::string::npos)
                << s.undo_note;
        }

    // A second alert 15 minutes later: both steps are held back by the rate limit (one per 30 min), and say so.
    Close(first, kRemedyT0 + 800);
    Alert second = Open(kRemedyT0 + 900);
    floor = remediator.Review(resource_, kRemedyT0 + 900, 6, &k8s);
    ASSERT_TRUE(floor.ok());
    EXPECT_FALSE(floor->has_value());
    EXPECT_EQ(k8s.restarts, 1);
    steps = Steps();
    ASSERT_EQ(steps.size(), 4u);
    for (const Remediation& s : steps) {
        if (s.alert_id != second.id) continue;
        EXPECT_EQ(s.state, "skipped");
        EXPECT_NE(s.reason.find("the same step ran 15 min ago (at most one per 30 min)"), std::string::npos)
            << s.reason;
    }

    // A third, past the interval, on a provider that cannot restart: the floor goes up, the restart fails.
    Close(second, kRemedyT0 + 1000);
    Alert third = Open(kRemedyT0 + 2000);
    NoRestart vm;
    floor = remediator.Review(resource_, kRemedyT0 + 2000, 2, &vm);
    ASSERT_TRUE(floor.ok());
    ASSERT_TRUE(floor->has_value());
    EXPECT_EQ((*floor)->capacity, 3);
    for (const Remediation& s : Steps()) {
        if (s.alert_id != third.id || s.action != "rollout_restart") continue;
        EXPECT_EQ(s.state, "failed");
        EXPECT_NE(s.error.find("needs the kubernetes driver"), std::string::npos) << s.error;
    }

    // Turning remediation off undoes what is active.
    AnomalySettings off;
    ASSERT_TRUE(store_->SaveAnomalySettings(resource_.id, off).ok());
    floor = remediator.Review(resource_, kRemedyT0 + 2100, 3, &vm);
    ASSERT_TRUE(floor.ok());
    EXPECT_FALSE(floor->has_value());
    RemediationQuery active;
    active.state = "active";
    EXPECT_TRUE(store_->ListRemediations(active)->empty());
    for (const Remediation& s : Steps()) {
        if (s.alert_id == third.id && s.action == "raise_floor") {
            EXPECT_NE(s.undo_note.find("remediation is now off for this resource"), std::string::npos);
        }
    }
    // Every step and undo is in the action log, naming its alert.
    int logged = 0;
    const std::vector<AllocationAction> actions = *store_->ListActions({resource_.id, 0, 100});
    for (const AllocationAction& a : actions)
        if (a.explanation.rule == "remediation") {
            EXPECT_NE(a.reason.find("alert "), std::string::npos) << a.reason;
            ++logged;
        }
    EXPECT_EQ(logged, 6 + 2);  // six steps, two undos
}

// An alert that never closes (its metric stopped arriving, or scoring was turned off) must not hold scale-in forever:
// the hold lapses after floor_seconds like a raised floor, and says why.
TEST_F(RemediatorTest, AHoldOfScaleInLapsesWhenTheAlertNeverCloses) {
    AnomalySettings settings;
    settings.remediation.mode = RemediationMode::kAuto;
    settings.remediation.actions = {"hold_scale_in"};
    settings.remediation.floor_seconds = 600;
    ASSERT_TRUE(store_->SaveAnomalySettings(resource_.id, settings).ok());
    Remediator remediator(*store_, metrics_, RemediationSettings{}, RemediationHooks{});
    NoRestart cloud;
    const Alert alert = Open(kRemedyT0);
    auto held = remediator.Review(resource_, kRemedyT0, 5, &cloud);
    ASSERT_TRUE(held.ok()) << held.error().message;
    ASSERT_TRUE(held->has_value());
    EXPECT_EQ((*held)->capacity, 5);
    held = remediator.Review(resource_, kRemedyT0 + 599, 3, &cloud);
    ASSERT_TRUE(held.ok());
    EXPECT_TRUE(held->has_value());  // still within its time
    held = remediator.Review(resource_, kRemedyT0 + 600, 3, &cloud);
    ASSERT_TRUE(held.ok());
    EXPECT_FALSE(held->has_value());
    const std::vector<Remediation> steps = Steps();
    ASSERT_EQ(steps.size(), 1u);
    EXPECT_EQ(steps[0].state, "reverted");
    EXPECT_NE(steps[0].undo_note.find("ran out; alert " + std::to_string(alert.id) + " is still open"),
              std::string::npos)
        << steps[0].undo_note;
}

}  // namespace
}  // namespace cloudopt
