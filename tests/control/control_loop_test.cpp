// The control loop end to end on the simulated cloud with a hand-driven clock.

#include "control/control_loop.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "allocate/capacity_planner.hpp"
#include "control/dashboard.hpp"
#include "forecast/seasonal_naive.hpp"
#include "simulate/simulated_cloud.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

constexpr UnixSeconds kDay = 86400;
constexpr UnixSeconds kStart = 1'700'006'400;  // a midnight (UTC)
constexpr UnixSeconds kNineAm = 9 * 3600;
constexpr UnixSeconds kFivePm = 17 * 3600;

// Load 20 at night, 60 from 09:00 to 17:00, every day.
RegularSeries DailyStep() {
    RegularSeries s;
    s.step = 300;
    for (UnixSeconds t = 0; t < kDay; t += 300) s.values.push_back(t >= kNineAm && t < kFivePm ? 60.0 : 20.0);
    return s;
}

class FailingProvider final : public Provider {
  public:
    Result<CapacityState> Describe(const Resource&) override {
        CapacityState s;
        s.desired = s.ready = desired;
        s.instance_type = "m5.large";
        s.max_size = max_size;
        return s;
    }
    Status SetDesiredCapacity(const Resource&, int n) override {
        ++attempts;
        if (failing) return MakeError(ErrorCode::kUnavailable, "ThrottlingException: Rate exceeded");
        desired = n;
        return Status::Ok();
    }
    bool failing = true;
    int attempts = 0;
    int desired = 3;
    std::optional<int> max_size;
};

// A cloud whose API hangs: Describe (or SetDesiredCapacity) blocks until released (at most 60 s), as a provider
// behind a dead network path would until its timeout; only for the resource named `hangs_for` when set.
class HangingProvider final : public Provider {
  public:
    Result<CapacityState> Describe(const Resource& r) override {
        std::unique_lock lock(mutex_);
        ++described_[r.name];
        if (!on_apply && (hangs_for.empty() || r.name == hangs_for)) Hang(lock);
        CapacityState s;
        s.desired = s.ready = desired_.count(r.name) ? desired_[r.name] : 3;
        s.instance_type = "m5.large";
        return s;
    }
    Status SetDesiredCapacity(const Resource& r, int n) override {
        std::unique_lock lock(mutex_);
        if (on_apply) Hang(lock);
        desired_[r.name] = n;
        return Status::Ok();
    }
    void Release() {
        std::lock_guard lock(mutex_);
        released_ = true;
        changed_.notify_all();
    }
    bool WaitForCall() {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(30), [this] { return calls_ > 0; });
    }
    bool StillHanging() {
        std::lock_guard lock(mutex_);
        return hanging_ > 0;
    }
    int Described(const std::string& name) {
        std::lock_guard lock(mutex_);
        return described_[name];
    }
    std::string hangs_for;  // set before use
    bool on_apply = false;  // hang in SetDesiredCapacity instead of Describe

  private:
    void Hang(std::unique_lock<std::mutex>& lock) {
        ++calls_;
        ++hanging_;
        changed_.notify_all();
        changed_.wait_for(lock, std::chrono::seconds(60), [this] { return released_; });
        --hanging_;
    }
    int hanging_ = 0;
    std::mutex mutex_;
    std::condition_variable changed_;
    int calls_ = 0;
    bool released_ = false;
    std::map<std::string, int> described_, desired_;
};

// A forecaster that fails while `failing` is set (a model that cannot fit, a bug), else forecasts a flat 20.
class SwitchableForecaster final : public Forecaster {
  public:
    Result<Forecast> Predict(const RegularSeries& history, int horizon) const override {
        if (failing) return MakeError(ErrorCode::kInternal, "the model diverged");
        Forecast f;
        f.step = history.step;
        for (int k = 0; k < horizon; ++k)
            f.points.push_back(
                {history.start + static_cast<UnixSeconds>(history.values.size() + k) * history.step, 20, 20, 20, 20});
        return f;
    }
    bool failing = true;
};

class ControlLoopTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto s = OpenSqliteStore(dir_.File("t.db"), clock_);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
        auto catalog = ParseCatalogCsv("provider,name,vcpu,memory_gib,price_per_hour\naws,m5.large,2,8,0.1\n");
        ASSERT_TRUE(catalog.ok());
        catalog_ = *catalog;
        adapters_.providers["aws"] = &cloud_;
        adapters_.sources["aws"] = &cloud_;
        adapters_.providers["flaky"] = &failing_;
        adapters_.sources["flaky"] = &cloud_;
        loop_ = std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_,
                                              ControlLoopOptions{});
    }

    // A resource on the simulated cloud with three days of history at 5-minute steps and 3 instances running.
    Resource AddResource(const std::string& name, Mode mode, const std::string& provider = "aws") {
        Resource r;
        r.name = name;
        r.provider = provider;
        r.provider_ref = "sim/" + name;
        r.instance_type = "m5.large";
        r.capacity_per_instance = 10;
        r.min_capacity = 1;
        r.max_capacity = 20;
        r.boot_delay_s = 180;
        r.mode = mode;
        auto created = store_->CreateResource(r);
        EXPECT_TRUE(created.ok());
        SimulatedGroupSpec spec;
        spec.ref = r.provider_ref;
        spec.instance_type = r.instance_type;
        spec.price_per_hour = 0.1;
        spec.capacity_per_instance = 10;
        spec.boot_delay_s = 180;
        spec.load_metric = r.load_metric;
        spec.demand = DailyStep();
        spec.anchor = kStart;
        spec.initial_capacity = 3;
        cloud_.AddGroup(spec);
        SeriesSamples history{{created->id, r.load_metric}, {}};
        for (UnixSeconds t = kStart; t < clock_.Now(); t += 300)
            history.samples.push_back({t, *cloud_.DemandAt(spec.ref, t)});
        EXPECT_TRUE(store_->AppendSamples({&history, 1}).ok());
        return *created;
    }

    // A surge the history never showed: the resource's trace becomes a constant 80 from now on, on 3 instances.
    void SurgeTo80(const Resource& r) {
        SimulatedGroupSpec spec;
        spec.ref = r.provider_ref;
        spec.price_per_hour = 0.1;
        spec.capacity_per_instance = 10;
        spec.boot_delay_s = 180;
        spec.demand.step = 300;
        spec.demand.values = {80.0};
        spec.initial_capacity = 3;
        cloud_.AddGroup(spec);
    }

    // Runs a pass every minute up to (and including) `until`.
    void RunUntil(UnixSeconds until) {
        while (clock_.Now() <= until) {
            ASSERT_TRUE(loop_->RunPass().ok());
            clock_.Advance(60);
        }
    }

    testing::TempDir dir_;
    ManualClock clock_{kStart + 3 * kDay + 8 * 3600};  // day 4, 08:00
    std::unique_ptr<Store> store_;
    SimulatedCloud cloud_{clock_};
    FailingProvider failing_;
    Adapters adapters_;
    Catalog catalog_;
    SeasonalNaiveForecaster forecaster_;
    CapacityPlanner planner_;
    MetricsRegistry metrics_;
    std::unique_ptr<ControlLoop> loop_;
};

// A sweep's setting adopted while the loop runs (POST /api/settings/adopt): the resource's engine, built at the
// start's p95, plans its next passes at the adopted quantile, and its decisions say so.
TEST_F(ControlLoopTest, APassAfterAnAdoptionPlansAtTheAdoptedQuantile) {
    Resource r = AddResource("web", Mode::kAuto);
    RunUntil(clock_.Now() + 120);  // the engine exists, at p95
    loop_->AdoptRisk(QuantileLevel::kP99, 0.002);
    EXPECT_EQ(loop_->engine_options().quantile, QuantileLevel::kP99);
    EXPECT_DOUBLE_EQ(loop_->engine_options().service_level.budget, 0.002);
    EXPECT_EQ(loop_->options().engine.quantile, QuantileLevel::kP95) << "the start's options stay as they were";
    RunUntil(kStart + 3 * kDay + kNineAm + 30 * 60);
    auto actions = store_->ListActions({r.id, 0, 100});
    ASSERT_TRUE(actions.ok());
    const AllocationAction* scale_out = nullptr;
    for (const AllocationAction& a : *actions)
        if (a.to_capacity >= 8) scale_out = &a;
    ASSERT_NE(scale_out, nullptr) << "no scale-out to the 09:00 level was recorded";
    EXPECT_EQ(scale_out->explanation.quantile, "p99");
    EXPECT_NE(scale_out->reason.find("forecast p99 peak"), std::string::npos) << scale_out->reason;
}

// A forecaster whose every quantile is `level`, set by the test between passes: the test decides when the forecast
// drops.
class LevelForecaster final : public Forecaster {
  public:
    Result<Forecast> Predict(const RegularSeries& history, int horizon) const override {
        Forecast f;
        f.step = history.step;
        for (int k = 0; k < horizon; ++k)
            f.points.push_back({history.start + static_cast<UnixSeconds>(history.values.size() + k) * history.step,
                                level, level, level, level});
        return f;
    }
    double level = 60.0;
};

// A sweep's setting adopted after the loop scaled out (ControlLoop::AdoptRisk), then the forecast drops: the
// scale-in still waits out the stabilization window the resource's engine remembered from before the adoption, and
// the held decisions are made at the adopted quantile. An engine rebuilt at the adoption (from scratch, or from the
// action log) forgets the window's recommendations and scales in at the first pass after it.
TEST_F(ControlLoopTest, AnAdoptionAfterAScaleOutKeepsItsStabilizationWindowWhenTheForecastDrops) {
    LevelForecaster forecast;  // 60 while the night's load is 20: ceil(60 / (10 x 0.75)) = 8 instances
    ControlLoop loop(*store_, clock_, adapters_, forecast, planner_, catalog_, metrics_, ControlLoopOptions{});
    Resource r = AddResource("web", Mode::kAuto);
    auto pass = [&]() -> PassOutcome {
        auto outcomes = loop.RunPass();
        EXPECT_TRUE(outcomes.ok());
        PassOutcome mine;
        if (outcomes.ok())
            for (const PassOutcome& o : *outcomes)
                if (o.resource_id == r.id) mine = o;
        return mine;
    };
    const PassOutcome out = pass();
    ASSERT_TRUE(out.action.has_value()) << (out.decision ? out.decision->reason : out.error);
    ASSERT_EQ(out.action->to_capacity, 8) << out.action->reason;
    ASSERT_EQ(cloud_.Describe(r)->desired, 8);
    UnixSeconds last_high = clock_.Now();  // the last pass whose plan (before the window rules) was 8
    // Passes until the next forecast step: the stored forecast is reused within its step, so the drop below reaches
    // the first pass after the adoption.
    for (clock_.Advance(60); clock_.Now() % 300 != 0; clock_.Advance(60)) {
        const PassOutcome o = pass();
        ASSERT_TRUE(o.decision.has_value()) << o.error;
        ASSERT_EQ(o.decision->recommended, 8) << o.decision->reason;
        last_high = clock_.Now();
    }

    loop.AdoptRisk(QuantileLevel::kP99, 0.002);
    forecast.level = 20.0;  // the forecast drops to the measured load
    int held = 0;
    std::optional<UnixSeconds> scaled_in;
    for (int minute = 0; minute < 30 && !scaled_in; ++minute, clock_.Advance(60)) {
        const UnixSeconds now = clock_.Now();
        const PassOutcome o = pass();
        ASSERT_TRUE(o.decision.has_value()) << o.error;
        const PlanDecision& d = *o.decision;
        ASSERT_LT(d.recommended, 8) << "the forecast dropped at the first pass after the adoption: " << d.reason;
        EXPECT_EQ(d.explanation.quantile, "p99") << "planned at the adopted quantile: " << d.reason;
        if (now < last_high + 300) {  // within the window of the last plan of 8
            ++held;
            EXPECT_FALSE(o.action.has_value()) << "scaled in within the stabilization window: " << o.action->reason;
            EXPECT_EQ(d.desired, 8) << d.reason;
            EXPECT_EQ(d.bound_by, "stabilization") << d.reason;
        } else if (o.action && o.action->to_capacity < 8) {
            scaled_in = now;
            // Sized at 0.65 utilization (the hysteresis below the 0.75 target): ceil(20 / (10 x 0.65)) = 4.
            EXPECT_EQ(o.action->to_capacity, 4) << o.action->reason;
        }
    }
    EXPECT_GT(held, 0) << "no pass planned the drop within the window";
    ASSERT_TRUE(scaled_in.has_value()) << "the scale-in never came after the window";
    EXPECT_EQ(cloud_.Describe(r)->desired, 4);
}

TEST_F(ControlLoopTest, ScalesOutAheadOfAForecastStepSoCapacityIsReadyWhenDemandArrives) {
    Resource r = AddResource("web", Mode::kAuto);
    const UnixSeconds nine = kStart + 3 * kDay + kNineAm;
    RunUntil(nine + 30 * 60);

    auto actions = store_->ListActions({r.id, 0, 100});
    ASSERT_TRUE(actions.ok());
    const AllocationAction* scale_out = nullptr;
    for (const AllocationAction& a : *actions) {
        if (a.to_capacity >= 8) scale_out = &a;  // the earliest one (list is newest first)
    }
    ASSERT_NE(scale_out, nullptr) << "no scale-out to the 09:00 level was recorded";
    EXPECT_EQ(scale_out->status, ActionStatus::kApplied);
    // ceil(60 / (10 * 0.75)) = 8, launched early enough to boot before 09:00 but not more than a tick and a
    // forecast step earlier than needed.
    EXPECT_EQ(scale_out->to_capacity, 8);
    EXPECT_LE(scale_out->ts, nine - 180);
    EXPECT_GE(scale_out->ts, nine - 180 - 60 - 300);
    EXPECT_NE(scale_out->reason.find("forecast p95 peak 60.00"), std::string::npos) << scale_out->reason;
    EXPECT_NE(scale_out->reason.find("boot delay 180s"), std::string::npos) << scale_out->reason;
    EXPECT_NE(scale_out->reason.find("cost $0.300/h -> $0.800/h"), std::string::npos) << scale_out->reason;
    // The same decision in a sentence a person reads first, and in fields, read back from the store.
    EXPECT_EQ(scale_out->summary.rfind("3 -> 8: p95 forecast 60 cpu_cores in ", 0), 0u) << scale_out->summary;
    EXPECT_NE(scale_out->summary.find("needs 8 at 75%; +$0.500/h"), std::string::npos) << scale_out->summary;
    const DecisionExplanation& why = scale_out->explanation;
    EXPECT_EQ(why.rule, "forecast");
    EXPECT_EQ(why.quantile, "p95");
    EXPECT_TRUE(why.has_forecast);
    EXPECT_DOUBLE_EQ(why.forecast_peak, 60.0);
    EXPECT_EQ(why.lead_seconds, 180 + 60);
    EXPECT_EQ(why.from, 3);
    EXPECT_EQ(why.to, 8);
    EXPECT_DOUBLE_EQ(why.cost_after_per_hour, 0.8);

    // The capacity series shows 8 ready instances from 09:00 on, and utilization stayed under the band's top.
    auto capacity = store_->QuerySamples({r.id, "capacity"}, nine, nine + 1800);
    ASSERT_FALSE(capacity->empty());
    for (const Sample& s : *capacity) EXPECT_GE(s.value, 8) << "at " << s.ts - nine << "s after 09:00";
    auto util = store_->QuerySamples({r.id, "cpu_utilization"}, nine, nine + 1800);
    for (const Sample& s : *util) EXPECT_LE(s.value, 0.80);
}

TEST_F(ControlLoopTest, AnUnforeseenStepIsMetByTheReactiveFloorAfterOneBootDelay) {
    Resource r = AddResource("web", Mode::kAuto);
    RunUntil(clock_.Now());  // one pass at 08:00: night load, 3 instances are right
    SurgeTo80(r);
    const UnixSeconds surge = clock_.Now();
    RunUntil(surge);
    auto actions = store_->ListActions({r.id, surge, 10});
    ASSERT_EQ(actions->size(), 1u);
    EXPECT_EQ((*actions)[0].to_capacity, 10);  // ceil(80 / (10 * 0.80))
    EXPECT_NE((*actions)[0].reason.find("bound by reactive_floor"), std::string::npos) << (*actions)[0].reason;
    EXPECT_EQ((*actions)[0].summary, "3 -> 10: the load now, 80 cpu_cores, needs 10 (above the forecast); +$0.700/h");
    clock_.Set(surge + 179);
    EXPECT_EQ(cloud_.Describe(r)->ready, 3);
    clock_.Set(surge + 180);
    EXPECT_EQ(cloud_.Describe(r)->ready, 10);
}

TEST_F(ControlLoopTest, StarvedPassesInAutoModeWidenTheSizingAndOtherModesLearnNothing) {
    Resource automatic = AddResource("auto", Mode::kAuto);
    Resource recommend = AddResource("recommend", Mode::kRecommend);
    RunUntil(clock_.Now());  // 08:00: night load, 3 instances are right
    SurgeTo80(automatic);
    SurgeTo80(recommend);
    // Until the launches are ready (180 s) the auto resource is starved; the recommend one stays at 3 throughout,
    // but that is someone else's choice, not cloudopt's sizing.
    std::map<std::string, std::string> reasons;
    for (int pass = 0; pass < 6; ++pass) {
        auto outcomes = loop_->RunPass();
        ASSERT_TRUE(outcomes.ok());
        for (const PassOutcome& o : *outcomes)
            if (o.decision) reasons[o.resource_name] = o.decision->reason;
        clock_.Advance(60);
    }
    EXPECT_NE(reasons["auto"].find("widened after starved steps"), std::string::npos) << reasons["auto"];
    EXPECT_EQ(reasons["recommend"].find("service-level"), std::string::npos) << reasons["recommend"];
    // An operator sees it on /metrics: starved passes counted, and the correction in force.
    const std::string exposed = metrics_.RenderPrometheus();
    EXPECT_NE(exposed.find("cloudopt_loop_service_passes_total{resource=\"auto\",starved=\"true\"} 3"),
              std::string::npos)
        << exposed;
    EXPECT_NE(exposed.find("cloudopt_loop_band_correction{resource=\"auto\"}"), std::string::npos) << exposed;
    EXPECT_EQ(exposed.find("cloudopt_loop_band_correction{resource=\"recommend\""), std::string::npos) << exposed;
    EXPECT_EQ(exposed.find("cloudopt_loop_service_passes_total{resource=\"recommend\""), std::string::npos) << exposed;
    // The next step's forecast of every resource, per quantile, in order.
    auto value = [&](const std::string& series) {
        const std::size_t at = exposed.find(series + " ");
        EXPECT_NE(at, std::string::npos) << series << " in " << exposed;
        return at == std::string::npos ? 0.0 : std::stod(exposed.substr(at + series.size() + 1));
    };
    for (const char* name : {"auto", "recommend"}) {
        const std::string labels = std::string("{resource=\"") + name + "\",quantile=\"";
        const double p50 = value("cloudopt_forecast_load" + labels + "p50\"}");
        const double p95 = value("cloudopt_forecast_load" + labels + "p95\"}");
        const double p99 = value("cloudopt_forecast_load" + labels + "p99\"}");
        EXPECT_GT(p50, 0.0) << name;
        EXPECT_LE(p50, p95) << name;
        EXPECT_LE(p95, p99) << name;
    }
}

TEST_F(ControlLoopTest, RecommendModeRecordsWithoutApplyingAndApplyUsesTheProvider) {
    Resource r = AddResource("web", Mode::kRecommend);
    RunUntil(kStart + 3 * kDay + kNineAm);
    EXPECT_EQ(cloud_.Describe(r)->desired, 3);  // nothing applied
    auto open = store_->ListRecommendations(std::string("open"));
    ASSERT_EQ(open->size(), 1u);
    const Recommendation rec = (*open)[0];
    EXPECT_EQ(rec.from_capacity, 3);
    EXPECT_EQ(rec.to_capacity, 8);
    EXPECT_GT(rec.hourly_cost_after, rec.hourly_cost_before);
    auto planned = store_->ListActions({r.id, 0, 100});
    ASSERT_FALSE(planned->empty());
    EXPECT_EQ((*planned)[0].status, ActionStatus::kPlanned);
    EXPECT_EQ((*planned)[0].reason.rfind("recommend mode (not applied)", 0), 0u);

    auto applied = loop_->ApplyRecommendation(rec.id);
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    EXPECT_EQ(applied->status, ActionStatus::kApplied);
    EXPECT_EQ(cloud_.Describe(r)->desired, 8);
    EXPECT_EQ(store_->GetRecommendation(rec.id)->status, "applied");
    EXPECT_EQ(loop_->ApplyRecommendation(rec.id).error().code, ErrorCode::kConflict);
}

TEST_F(ControlLoopTest, ARecommendationLeavesOpenOnceAndSaysWhy) {
    Resource r = AddResource("web", Mode::kRecommend);
    auto open_ones = [&] { return *store_->ListRecommendations(std::string("open")); };
    RunUntil(kStart + 3 * kDay + kNineAm);
    ASSERT_EQ(open_ones().size(), 1u);
    const Recommendation first = open_ones()[0];  // 3 -> 8 for 09:00
    RunUntil(clock_.Now() + 10 * 60);
    ASSERT_EQ(open_ones().size(), 1u);
    EXPECT_EQ(open_ones()[0].id, first.id) << "the same plan: the open one stands";

    // Dismissed: the same proposal is not made again; with a snooze, it comes back when the snooze ends.
    ASSERT_TRUE(store_->SetRecommendationStatus(first.id, "dismissed", "by a user", clock_.Now()).ok());
    RunUntil(clock_.Now() + 10 * 60);
    EXPECT_TRUE(open_ones().empty());
    ASSERT_TRUE(
        store_->SetRecommendationStatus(first.id, "dismissed", "by a user", clock_.Now(), clock_.Now() + 300).ok());
    RunUntil(clock_.Now() + 6 * 60);
    ASSERT_EQ(open_ones().size(), 1u);
    const Recommendation second = open_ones()[0];
    EXPECT_GT(second.id, first.id);

    // Applying starts from what runs now (someone scaled the group to 5 meanwhile) and says so.
    ASSERT_TRUE(cloud_.SetDesiredCapacity(r, 5).ok());
    auto applied = loop_->ApplyRecommendation(second.id);
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    EXPECT_EQ(applied->from_capacity, 5);
    EXPECT_EQ(applied->to_capacity, 8);
    EXPECT_NE(applied->reason.find("5 were running, not the 3"), std::string::npos) << applied->reason;
    EXPECT_EQ(store_->GetRecommendation(second.id)->status, "applied");
    const std::string exposition = metrics_.RenderPrometheus();
    EXPECT_NE(exposition.find("cloudopt_loop_capacity_changes_total{resource=\"web\"} 1"), std::string::npos);
    EXPECT_NE(exposition.find("cloudopt_loop_flaps_per_day{resource=\"web\"} 0"), std::string::npos);

    // The capacity already matches: an open recommendation expires, in a pass or when applied.
    ASSERT_TRUE(cloud_.SetDesiredCapacity(r, 3).ok());
    RunUntil(clock_.Now() + 60);
    ASSERT_EQ(open_ones().size(), 1u);
    const Recommendation third = open_ones()[0];
    ASSERT_TRUE(cloud_.SetDesiredCapacity(r, third.to_capacity).ok());
    auto refused = loop_->ApplyRecommendation(third.id);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
    EXPECT_EQ(store_->GetRecommendation(third.id)->status, "expired");
    EXPECT_NE(store_->GetRecommendation(third.id)->status_reason.find("already is"), std::string::npos);

    // Leaving recommend mode closes what is open.
    ASSERT_TRUE(cloud_.SetDesiredCapacity(r, 3).ok());
    RunUntil(clock_.Now() + 60);
    ASSERT_EQ(open_ones().size(), 1u);
    const Recommendation fourth = open_ones()[0];
    ASSERT_TRUE(loop_->CloseRecommendations(r.id, "the resource's mode is now auto").ok());
    EXPECT_EQ(store_->GetRecommendation(fourth.id)->status, "closed");
    EXPECT_EQ(store_->GetRecommendation(fourth.id)->closed_at, clock_.Now());
    EXPECT_EQ(loop_->ApplyRecommendation(fourth.id).error().code, ErrorCode::kConflict);

    // Too old to act on: expires at the next pass and a fresh one replaces it.
    RunUntil(clock_.Now() + 60);
    ASSERT_EQ(open_ones().size(), 1u);
    const Recommendation fifth = open_ones()[0];
    clock_.Advance(3600);
    RunUntil(clock_.Now());
    EXPECT_EQ(store_->GetRecommendation(fifth.id)->status, "expired");
    EXPECT_NE(store_->GetRecommendation(fifth.id)->status_reason.find("older than 60 minutes"), std::string::npos);
}

TEST_F(ControlLoopTest, OffModeObservesAndForecastsButNeverActs) {
    Resource r = AddResource("web", Mode::kOff);
    RunUntil(kStart + 3 * kDay + kNineAm);
    EXPECT_TRUE(store_->ListActions({r.id, 0, 100})->empty());
    EXPECT_TRUE(store_->ListRecommendations(std::nullopt)->empty());
    EXPECT_TRUE(store_->LatestPrediction(r.id, r.load_metric)->has_value());
    EXPECT_FALSE(store_->QuerySamples({r.id, "cpu_utilization"}, 0, clock_.Now())->empty());
}

TEST_F(ControlLoopTest, AFailedApplyIsRecordedWithTheProvidersError) {
    Resource r = AddResource("web", Mode::kAuto, "flaky");
    RunUntil(kStart + 3 * kDay + kNineAm);
    auto actions = store_->ListActions({r.id, 0, 100});
    ASSERT_FALSE(actions->empty());
    EXPECT_EQ((*actions)[0].status, ActionStatus::kFailed);
    EXPECT_NE((*actions)[0].error.find("ThrottlingException"), std::string::npos);
}

TEST_F(ControlLoopTest, FailedAppliesAreRetriedWithBackoffUntilTheCloudRecovers) {
    Resource r = AddResource("web", Mode::kAuto, "flaky");
    RunUntil(kStart + 3 * kDay + 11 * 3600);  // the scale-out for 09:00 is refused again and again
    auto failed = store_->ListActions({r.id, 0, 100});
    ASSERT_GE(failed->size(), 4u);
    std::vector<UnixSeconds> at;
    for (const AllocationAction& a : *failed) {
        EXPECT_EQ(a.status, ActionStatus::kFailed);
        at.insert(at.begin(), a.ts);  // oldest first
    }
    // The waits double from one tick (60 s) up to the cap (30 minutes).
    for (std::size_t i = 1; i < at.size(); ++i)
        EXPECT_EQ(at[i] - at[i - 1], std::min<UnixSeconds>(60 << (i - 1), 1800)) << "attempt " << i;
    failing_.failing = false;
    const int before = failing_.attempts;
    RunUntil(clock_.Now() + 30 * 60);
    auto actions = store_->ListActions({r.id, 0, 100});
    EXPECT_EQ((*actions)[0].status, ActionStatus::kApplied) << "retried once the backoff ran out, and it worked";
    EXPECT_EQ(failing_.attempts, before + 1);
}

TEST_F(ControlLoopTest, TheCloudGroupsOwnMaximumBindsWithTheReason) {
    failing_.failing = false;
    failing_.max_size = 5;  // the ASG allows 5; the 09:00 load needs 8
    Resource r = AddResource("web", Mode::kAuto, "flaky");
    RunUntil(kStart + 3 * kDay + kNineAm);
    auto actions = store_->ListActions({r.id, 0, 100});
    ASSERT_EQ(actions->size(), 1u);
    EXPECT_EQ((*actions)[0].to_capacity, 5);
    EXPECT_NE((*actions)[0].reason.find("capped at the cloud group's own maximum 5"), std::string::npos)
        << (*actions)[0].reason;
}

TEST_F(ControlLoopTest, AGlobalRateLimitSkipsChangesBeyondItWithTheReason) {
    ControlLoopOptions options;
    options.max_actions_per_minute = 1;
    loop_ =
        std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    Resource a = AddResource("a", Mode::kAuto);
    Resource b = AddResource("b", Mode::kAuto);
    // Both follow the same demand, so both want their scale-out for 09:00 in the same pass.
    while (store_->ListActions({a.id, 0, 10})->empty() && clock_.Now() < kStart + 3 * kDay + kNineAm) {
        ASSERT_TRUE(loop_->RunPass().ok());
        clock_.Advance(60);
    }
    auto for_a = store_->ListActions({a.id, 0, 10});
    auto for_b = store_->ListActions({b.id, 0, 10});
    ASSERT_EQ(for_a->size(), 1u);
    ASSERT_EQ(for_b->size(), 1u);
    EXPECT_EQ((*for_a)[0].status, ActionStatus::kApplied);
    EXPECT_EQ((*for_b)[0].status, ActionStatus::kSkipped);
    EXPECT_NE((*for_b)[0].reason.find("rate limit of 1 changes per minute over all resources"), std::string::npos)
        << (*for_b)[0].reason;
    EXPECT_EQ(cloud_.Describe(b)->desired, 3) << "nothing applied";
    // The next minute it goes through.
    ASSERT_TRUE(loop_->RunPass().ok());
    EXPECT_EQ((*store_->ListActions({b.id, 0, 10}))[0].status, ActionStatus::kApplied);
}

TEST_F(ControlLoopTest, ASilentMetricSourceNeverCausesAScaleIn) {
    // Over-provisioned (12 instances for a night load that needs 3), and then its metrics stop arriving: the loop
    // must hold rather than scale in on the forecast alone.
    Resource r = AddResource("web", Mode::kAuto);
    SimulatedGroupSpec spec;
    spec.ref = r.provider_ref;
    spec.price_per_hour = 0.1;
    spec.capacity_per_instance = 10;
    spec.boot_delay_s = 180;
    spec.demand = DailyStep();
    spec.anchor = kStart;
    spec.initial_capacity = 12;
    cloud_.AddGroup(spec);
    adapters_.sources.erase("aws");  // the source goes silent
    loop_ = std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_,
                                          ControlLoopOptions{});
    clock_.Advance(900);  // the last stored sample is now older than the staleness limit
    RunUntil(clock_.Now() + 600);
    EXPECT_EQ(cloud_.Describe(r)->desired, 12);
    EXPECT_TRUE(store_->ListActions({r.id, 0, 100})->empty());
    // With a fresh measurement again, the scale-in happens.
    adapters_.sources["aws"] = &cloud_;
    loop_ = std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_,
                                          ControlLoopOptions{});
    RunUntil(clock_.Now());
    EXPECT_LT(cloud_.Describe(r)->desired, 12);
}

TEST_F(ControlLoopTest, AnUnconfiguredProviderIsReportedPerResource) {
    Resource r = AddResource("web", Mode::kAuto, "gcp");
    auto outcomes = loop_->RunPass(r.id);
    ASSERT_TRUE(outcomes.ok());
    ASSERT_EQ(outcomes->size(), 1u);
    EXPECT_NE((*outcomes)[0].error.find("not configured"), std::string::npos) << (*outcomes)[0].error;
    EXPECT_EQ(loop_->RunPass(r.id + 100).error().code, ErrorCode::kNotFound);
}

TEST_F(ControlLoopTest, TrainingKeepsTheModelAndARestartForecastsWithItWithoutRetraining) {
    Resource r = AddResource("web", Mode::kOff);
    ControlLoopOptions options;
    options.train_epochs = 2;
    options.lstm_shape = {.hidden = 8, .layers = 2, .window = 24};  // loop.lstm_*: smaller than the default
    loop_ =
        std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    std::vector<double> progress;
    auto report = loop_->TrainResource(r, [&](double p) { progress.push_back(p); });
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_EQ(report->points, static_cast<std::size_t>((3 * kDay + 8 * 3600) / 300));
    EXPECT_GT(report->accuracy, 0.5);  // a repeating daily step
    ASSERT_FALSE(progress.empty());
    EXPECT_DOUBLE_EQ(progress.back(), 1.0);
    EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
    auto stored = store_->ListModels();
    ASSERT_TRUE(stored.ok());
    ASSERT_EQ(stored->size(), 1u);
    EXPECT_EQ((*stored)[0].model, report->model);
    // auto keeps every candidate, the LSTM among them, whose saved state (format "COLSTM02") starts with its shape:
    // int32 inputs, hidden, layers, window.
    const std::string& bytes = (*stored)[0].bytes;
    const std::size_t lstm = bytes.find("COLSTM02");
    ASSERT_NE(lstm, std::string::npos);
    std::int32_t shape[4];
    ASSERT_GE(bytes.size(), lstm + 8 + sizeof shape);
    std::memcpy(shape, bytes.data() + lstm + 8, sizeof shape);
    EXPECT_EQ(shape[1], 8);
    EXPECT_EQ(shape[2], 2);
    EXPECT_EQ(shape[3], 24);

    // The trained model, not the loop's fallback forecaster, answers from now on.
    auto trained_forecast = loop_->ForecastResource(r);
    ASSERT_TRUE(trained_forecast.ok());
    EXPECT_EQ(trained_forecast->model, report->model);
    EXPECT_NE(trained_forecast->model, "seasonal_naive");

    // A restart: a new loop on the same store loads the model and gives the same forecast.
    auto restarted =
        std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    std::vector<std::string> problems;
    auto loaded = restarted->LoadModels(problems);
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(*loaded, 1);
    EXPECT_TRUE(problems.empty());
    auto after_restart = restarted->ForecastResource(r);
    ASSERT_TRUE(after_restart.ok());
    EXPECT_EQ(after_restart->model, report->model);
    ASSERT_EQ(after_restart->points.size(), trained_forecast->points.size());
    for (std::size_t k = 0; k < after_restart->points.size(); ++k)
        EXPECT_DOUBLE_EQ(after_restart->points[k].p95, trained_forecast->points[k].p95) << k;

    // A damaged row is skipped with a reason; the resource falls back to the forecaster.
    ASSERT_TRUE(store_->SaveModel({r.id, r.load_metric, clock_.Now(), "lstm", 0.9, "garbage"}).ok());
    auto fresh =
        std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    problems.clear();
    EXPECT_EQ(*fresh->LoadModels(problems), 0);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("wrong magic"), std::string::npos) << problems[0];
    EXPECT_EQ(fresh->ForecastResource(r)->model, "seasonal_naive");
}

TEST_F(ControlLoopTest, SchedulesTrainingForResourcesWithoutAFreshModel) {
    Resource r = AddResource("web", Mode::kOff);
    ControlLoopOptions options;
    options.train_epochs = 1;
    options.retrain_seconds = 6 * 3600;
    loop_ =
        std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    std::vector<std::string> requested;
    std::string reason;
    loop_->SetTrainingRequester([&](const Resource& res, const std::string& why) {
        requested.push_back(res.name);
        reason = why;
    });
    ASSERT_TRUE(loop_->RunPass().ok());
    EXPECT_EQ(requested, std::vector<std::string>{"web"});  // no model yet: train now
    EXPECT_EQ(reason, "scheduled: the resource has no trained model");
    clock_.Advance(600);
    ASSERT_TRUE(loop_->RunPass().ok());
    EXPECT_EQ(requested.size(), 1u);  // requested recently: the job is queued or running
    ASSERT_TRUE(loop_->TrainResource(r).ok());
    clock_.Advance(3 * 3600);
    ASSERT_TRUE(loop_->RunPass().ok());
    EXPECT_EQ(requested.size(), 1u);  // the model is 3 hours old
    clock_.Advance(3 * 3600 + 60);
    ASSERT_TRUE(loop_->RunPass().ok());
    EXPECT_EQ(requested.size(), 2u);  // older than 6 hours: retrain
    EXPECT_EQ(reason, "scheduled: the model is older than 6 h");
}

TEST_F(ControlLoopTest, SchedulesTrainingOfAllWithTheSharedNetworkWhenItIsMissingOrOld) {
    Resource web = AddResource("web", Mode::kOff);
    Resource api = AddResource("api", Mode::kOff);
    ControlLoopOptions options;
    options.train_epochs = 1;
    options.retrain_seconds = 6 * 3600;
    options.lstm_shape = {.hidden = 8, .window = 24};  // the schedule is under test, not the networks: small ones
    loop_ =
        std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    std::vector<std::string> one;
    int all = 0;
    std::string all_reason;
    loop_->SetTrainingRequester([&](const Resource& r, const std::string&) { one.push_back(r.name); },
                                [&](const std::string& why) {
                                    ++all;
                                    all_reason = why;
                                });
    ASSERT_TRUE(loop_->RunPass().ok());
    EXPECT_EQ(all, 1);  // no models and no shared network: train them all, the network first
    EXPECT_EQ(all_reason,
              "scheduled: 2 of 2 resources have no model or one older than 6 h, and the shared network "
              "is missing or older than 6 h");
    EXPECT_TRUE(one.empty());
    clock_.Advance(600);
    ASSERT_TRUE(loop_->RunPass().ok());
    EXPECT_EQ(all, 1);  // requested recently: the job is queued or running
    // What the "all" job does.
    ASSERT_TRUE(loop_->TrainFleet({web, api}).ok());
    ASSERT_TRUE(loop_->TrainResource(web).ok());
    ASSERT_TRUE(loop_->TrainResource(api).ok());
    clock_.Advance(3600);
    ASSERT_TRUE(loop_->RunPass().ok());
    EXPECT_EQ(all, 1);
    EXPECT_TRUE(one.empty());
    // A new resource while the shared network is fresh trains alone, with it.
    Resource db = AddResource("db", Mode::kOff);
    ASSERT_TRUE(loop_->RunPass().ok());
    EXPECT_EQ(one, std::vector<std::string>{"db"});
    EXPECT_EQ(all, 1);
    ASSERT_TRUE(loop_->TrainResource(db).ok());
    // Six hours on, the models and the network are old: all of them again.
    clock_.Advance(6 * 3600);
    ASSERT_TRUE(loop_->RunPass().ok());
    EXPECT_EQ(all, 2);
    EXPECT_EQ(one.size(), 1u);
    // A restart loads the fresh models and the network: nothing is due, so nothing retrains.
    ASSERT_TRUE(loop_->TrainFleet({web, api, db}).ok());
    for (const Resource& r : {web, api, db}) ASSERT_TRUE(loop_->TrainResource(r).ok());
    auto restarted =
        std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    std::vector<std::string> problems;
    EXPECT_EQ(*restarted->LoadModels(problems), 3);
    int all_after_restart = 0;
    restarted->SetTrainingRequester([&](const Resource& r, const std::string&) { one.push_back(r.name); },
                                    [&](const std::string&) { ++all_after_restart; });
    ASSERT_TRUE(restarted->RunPass().ok());
    EXPECT_EQ(all_after_restart, 0);
    EXPECT_EQ(one.size(), 1u);
    // It loaded the shared network with the models: a resource added now trains alone, with it.
    EXPECT_TRUE(restarted->has_fleet());
    Resource cache = AddResource("cache", Mode::kOff);
    ASSERT_TRUE(restarted->RunPass().ok());
    EXPECT_EQ(all_after_restart, 0);
    EXPECT_EQ(one.back(), "cache");
    auto report = restarted->TrainResource(cache);
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_NE(std::find(report->weighed.begin(), report->weighed.end(), "lstm_fleet"), report->weighed.end());
}

TEST_F(ControlLoopTest, ATrainedModelsBandsWidenWhenTheLoadTurnsNoisierAfterTraining) {
    Resource r = AddResource("web", Mode::kOff);
    ControlLoopOptions options;
    options.train_epochs = 0;  // statistical models: fast, and the bands are what is tested
    loop_ =
        std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    ASSERT_TRUE(loop_->TrainResource(r).ok());
    const UnixSeconds trained_at = clock_.Now();
    // Six hours after training the load jumps by +-15 around the daily step every 5 minutes.
    SeriesSamples noisy{{r.id, r.load_metric}, {}};
    for (UnixSeconds t = FloorTo(trained_at, 300) + 300; t < trained_at + 6 * 3600; t += 300) {
        const UnixSeconds day_time = (t - kStart) % kDay;
        const double base = day_time >= kNineAm && day_time < kFivePm ? 60.0 : 20.0;
        noisy.samples.push_back({t, base + ((t / 300) % 2 ? 15.0 : -15.0)});
    }
    ASSERT_TRUE(store_->AppendSamples({&noisy, 1}).ok());
    clock_.Advance(6 * 3600);
    auto spread = [&](UnixSeconds tracking) {
        ControlLoopOptions o = options;
        o.band_tracking_seconds = tracking;
        ControlLoop loop(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, o);
        std::vector<std::string> problems;
        EXPECT_EQ(*loop.LoadModels(problems), 1);
        auto f = loop.ForecastResource(r, 3, false);
        EXPECT_TRUE(f.ok());
        return f.ok() ? f->points[0].p95 - f->points[0].p50 : 0.0;
    };
    const double as_calibrated = spread(0);
    const double tracked = spread(86400);
    // The calibration saw a clean daily step: its band is narrow. Tracked over the six noisy hours, it covers them.
    EXPECT_LT(as_calibrated, 5.0);
    EXPECT_GT(tracked, 3 * as_calibrated);
    EXPECT_GT(tracked, 10.0);
}

TEST_F(ControlLoopTest, AutoReweighsItsModelsOnTheirForecastsSinceTrainingAndSaysSo) {
    Resource r = AddResource("web", Mode::kOff);
    ControlLoopOptions options;
    options.train_epochs = 0;  // statistical models: seasonal naive fits the daily step the history shows
    loop_ =
        std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    ASSERT_TRUE(loop_->TrainResource(r).ok());
    const UnixSeconds trained_at = clock_.Now();
    // After training the daily step stops: the load wanders around 40, and the last value is the best forecast.
    SeriesSamples wandering{{r.id, r.load_metric}, {}};
    double level = 40.0;
    for (UnixSeconds t = FloorTo(trained_at, 300) + 300; t < trained_at + 2 * kDay; t += 300) {
        level += ((t / 300) % 3 == 0 ? 1.0 : -0.5);
        wandering.samples.push_back({t, level});
    }
    ASSERT_TRUE(store_->AppendSamples({&wandering, 1}).ok());
    clock_.Advance(2 * kDay);
    auto model_of_forecast = [&](bool reweigh) {
        ControlLoopOptions o = options;
        o.reweigh = reweigh;
        ControlLoop loop(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, o);
        std::vector<std::string> problems;
        EXPECT_EQ(*loop.LoadModels(problems), 1);
        auto f = loop.ForecastResource(r, 3, false);
        EXPECT_TRUE(f.ok());
        return f.ok() ? f->model : std::string();
    };
    const std::string reweighed = model_of_forecast(true);
    EXPECT_NE(reweighed.find("re-weighed since training from"), std::string::npos) << reweighed;
    EXPECT_EQ(reweighed.rfind("combination(naive=", 0), 0u) << reweighed;  // the last value now leads
    const std::string as_trained = model_of_forecast(false);
    EXPECT_EQ(as_trained.find("re-weighed"), std::string::npos) << as_trained;
}

TEST_F(ControlLoopTest, AModelWhoseForecastsGotMuchWorseSinceTrainingIsRetrainedAlone) {
    Resource web = AddResource("web", Mode::kOff);
    Resource api = AddResource("api", Mode::kOff);
    ControlLoopOptions options;
    options.train_epochs = 0;     // statistical models: fast, and the drift rule is what is tested
    options.retrain_seconds = 0;  // no schedule: only drift asks
    loop_ =
        std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    std::vector<std::pair<std::string, std::string>> requested;  // resource, reason
    loop_->SetTrainingRequester(
        [&](const Resource& r, const std::string& why) { requested.emplace_back(r.name, why); });
    ASSERT_TRUE(loop_->TrainResource(web).ok());
    ASSERT_TRUE(loop_->TrainResource(api).ok());
    const UnixSeconds trained_at = clock_.Now();
    // Trained at 08:00. Seven hours on: web's daytime load never came (its users moved to another region), so the
    // daily step the model learned is wrong from 09:00 while the last value is right; api's keeps its shape.
    for (const Resource& r : {web, api}) {
        SeriesSamples since{{r.id, r.load_metric}, {}};
        for (UnixSeconds t = FloorTo(trained_at, 300) + 300; t < trained_at + 7 * 3600; t += 300) {
            const UnixSeconds day_time = (t - kStart) % kDay;
            const bool busy = day_time >= kNineAm && day_time < kFivePm && r.id == api.id;
            since.samples.push_back({t, busy ? 60.0 : 20.0});
        }
        ASSERT_TRUE(store_->AppendSamples({&since, 1}).ok());
    }
    clock_.Advance(7 * 3600);
    ASSERT_TRUE(loop_->RunPass().ok());
    ASSERT_EQ(requested.size(), 1u);
    EXPECT_EQ(requested[0].first, "web");
    EXPECT_EQ(requested[0].second.rfind("drift: live accuracy ", 0), 0u) << requested[0].second;
    const auto web_health = loop_->Health(web.id);
    const auto api_health = loop_->Health(api.id);
    ASSERT_TRUE(web_health && api_health);
    EXPECT_GE(web_health->live.actuals, 72u);
    EXPECT_LT(web_health->live.accuracy, web_health->trained_accuracy - 0.2);
    EXPECT_LT(web_health->live.accuracy, web_health->live.naive_accuracy);
    EXPECT_GT(api_health->live.accuracy, 0.95);  // the same shape: forecast as well as at training
    EXPECT_FALSE(DriftReason(*api_health, options.drift));
    // Asked once: the job is queued or running.
    clock_.Advance(600);
    ASSERT_TRUE(loop_->RunPass().ok());
    EXPECT_EQ(requested.size(), 1u);
    // The retrained model starts a new record: two hours of it are too few to judge, whatever they hold.
    ASSERT_TRUE(loop_->TrainResource(web).ok());
    clock_.Advance(2 * 3600);
    ASSERT_TRUE(loop_->RunPass().ok());
    EXPECT_EQ(requested.size(), 1u);
    EXPECT_EQ(loop_->Health(web.id)->trained_at, trained_at + 7 * 3600 + 600);
    EXPECT_LT(loop_->Health(web.id)->live.actuals, 72u);
    // Its bands' coverage since training is measured beside its accuracy.
    const LiveScore live = loop_->Health(web.id)->live;
    ASSERT_GT(live.actuals, 0u);
    EXPECT_GE(live.coverage_p95, live.coverage_p90);
    EXPECT_GE(live.coverage_p99, live.coverage_p95);
    EXPECT_GT(live.coverage_p99, 0.0);
    // The live accuracy is exported for Prometheus.
    EXPECT_NE(metrics_.RenderPrometheus().find("cloudopt_model_live_accuracy{resource=\"web\"}"), std::string::npos);
}

TEST_F(ControlLoopTest, ResourcesWeighOneNetworkAcrossThemBesideTheirOwn) {
    Resource web = AddResource("web", Mode::kOff);
    Resource api = AddResource("api", Mode::kOff);
    ControlLoopOptions options;
    options.train_epochs = 1;
    loop_ =
        std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    using Names = std::vector<std::string>;
    auto weighs = [](const TrainReport& report, const std::string& model) {
        return std::find(report.weighed.begin(), report.weighed.end(), model) != report.weighed.end();
    };
    // Without the shared network, a resource weighs its own LSTM and the statistical models.
    auto alone = loop_->TrainResource(web);
    ASSERT_TRUE(alone.ok()) << alone.error().message;
    EXPECT_EQ(alone->weighed, (Names{"naive", "seasonal_naive", "holt_winters", "linear", "lstm"}));
    std::vector<double> progress;
    // One resource is no fleet.
    EXPECT_EQ(loop_->TrainFleet({web}).error().code, ErrorCode::kUnprocessable);
    EXPECT_FALSE(loop_->has_fleet());
    auto fleet = loop_->TrainFleet({web, api}, [&](double p) { progress.push_back(p); });
    ASSERT_TRUE(fleet.ok()) << fleet.error().message;
    EXPECT_EQ(fleet->resources, 2u);
    EXPECT_TRUE(loop_->has_fleet());
    ASSERT_FALSE(progress.empty());
    EXPECT_DOUBLE_EQ(progress.back(), 1.0);
    // With it, a resource weighs the shared network beside its own, which now starts from the shared one's weights
    // (lstm_tuned); after a restart the model it keeps forecasts (the model file holds its own copy of the weights)
    // and the shared network is back from the store.
    auto report = loop_->TrainResource(api);
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_TRUE(weighs(*report, "lstm_fleet"));
    EXPECT_TRUE(weighs(*report, "lstm_tuned"));
    EXPECT_FALSE(weighs(*report, "lstm"));
    ControlLoop restarted(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    std::vector<std::string> problems;
    EXPECT_EQ(*restarted.LoadModels(problems), 2);
    EXPECT_TRUE(problems.empty());
    EXPECT_TRUE(restarted.has_fleet());
    auto forecast = restarted.ForecastResource(api);
    ASSERT_TRUE(forecast.ok());
    EXPECT_EQ(forecast->model, report->model);
    // A damaged network in the store is reported and left out; the models still load.
    ASSERT_TRUE(store_->SaveSharedNetwork({clock_.Now(), 2, "not a network"}).ok());
    ControlLoop damaged(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    EXPECT_EQ(*damaged.LoadModels(problems), 2);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("shared network: not of format v1"), std::string::npos) << problems[0];
    EXPECT_FALSE(damaged.has_fleet());
    // The LSTM off: nothing to share.
    options.train_epochs = 0;
    ControlLoop statistical(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    EXPECT_EQ(statistical.TrainFleet({web, api}).error().code, ErrorCode::kUnprocessable);
}

TEST_F(ControlLoopTest, ACancelledTrainingSavesNothing) {
    Resource r = AddResource("web", Mode::kOff);
    ControlLoopOptions options;
    options.train_epochs = 3;
    loop_ =
        std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    auto report = loop_->TrainResource(r, {}, [] { return true; });
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.error().code, ErrorCode::kUnavailable);
    EXPECT_TRUE(store_->ListModels()->empty());
    EXPECT_FALSE(loop_->models().Get(r.id, r.load_metric).has_value());

    // Told to stop once training is under way, it ends within the model or batch it is in: not one epoch of the
    // network is finished (a stopping service has seconds, and an epoch can take minutes).
    int asked = 0;
    int epochs_reported = 0;
    report = loop_->TrainResource(
        r, [&](double) { ++epochs_reported; }, [&] { return ++asked >= 2; });
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.error().code, ErrorCode::kUnavailable);
    EXPECT_EQ(epochs_reported, 0);
    EXPECT_TRUE(store_->ListModels()->empty());
}

TEST_F(ControlLoopTest, TrainingAllStopsBetweenResourcesWhenCancelledAndKeepsWhatItTrained) {
    Resource web = AddResource("web", Mode::kOff);
    Resource api = AddResource("api", Mode::kOff);
    Resource db = AddResource("db", Mode::kOff);
    ControlLoopOptions options;
    options.train_epochs = 1;
    options.lstm_shape = {.hidden = 8, .window = 24};  // what stops is under test, not the networks: small ones
    loop_ =
        std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    // The shared network is the first half of the progress, each resource a third of the second half. The service
    // is told to stop once the first resource is done.
    const double first_resource_done = 0.5 + 0.5 / 3;
    bool stopping = false;
    std::vector<double> progress;
    auto report = loop_->TrainFleetAndResources(
        {web, api, db},
        [&](double p) {
            progress.push_back(p);
            if (p >= first_resource_done - 1e-9) stopping = true;
        },
        [&] { return stopping; });
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(report.error().message.find("after 1 of 3 resources"), std::string::npos) << report.error().message;
    // What was trained stays: the shared network and the first resource's model; the others wait for a restart.
    EXPECT_TRUE(loop_->has_fleet());
    auto models = store_->ListModels();
    ASSERT_TRUE(models.ok());
    ASSERT_EQ(models->size(), 1u);
    EXPECT_EQ(models->front().resource_id, web.id);
    EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
    EXPECT_NEAR(progress.back(), first_resource_done, 1e-9);
}

TEST_F(ControlLoopTest, ADeletedResourceLeavesNothingForANewOneWithTheSameName) {
    Resource r = AddResource("web", Mode::kAuto, "flaky");
    ControlLoopOptions options;
    options.train_epochs = 1;
    options.lstm_shape = {.hidden = 8, .layers = 1, .window = 24};
    loop_ =
        std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_, options);
    ASSERT_TRUE(loop_->TrainResource(r).ok());
    RunUntil(kStart + 3 * kDay + kNineAm);  // the throttled cloud refuses: the resource is in backoff
    ASSERT_TRUE(loop_->models().Get(r.id, r.load_metric).has_value());
    ASSERT_TRUE(loop_->Health(r.id).has_value());

    ASSERT_TRUE(loop_->DeleteResource(r.id).ok());
    EXPECT_EQ(loop_->DeleteResource(r.id).error().code, ErrorCode::kNotFound);
    EXPECT_FALSE(loop_->models().Get(r.id, r.load_metric).has_value());
    EXPECT_FALSE(loop_->Health(r.id).has_value());
    auto stored = store_->ListModels();
    ASSERT_TRUE(stored.ok());
    EXPECT_TRUE(stored->empty());

    failing_.failing = false;
    Resource again = AddResource("web", Mode::kAuto, "flaky");
    EXPECT_GT(again.id, r.id) << "ids are never reused";
    EXPECT_FALSE(loop_->models().Get(again.id, again.load_metric).has_value());
    EXPECT_EQ(loop_->ExportModel(again).error().code, ErrorCode::kNotFound);
    // No backoff carried over: the first pass acts at once.
    auto outcomes = loop_->RunPass(again.id);
    ASSERT_TRUE(outcomes.ok());
    ASSERT_EQ(outcomes->size(), 1u);
    EXPECT_TRUE((*outcomes)[0].error.empty()) << (*outcomes)[0].error;
}

TEST_F(ControlLoopTest, ReusesAForecastWithinItsStepAndRefitsInTheNext) {
    Resource r = AddResource("web", Mode::kAuto);
    clock_.Set(FloorTo(clock_.Now(), 300) + 10);
    auto first = loop_->ForecastResource(r, std::nullopt, true);
    ASSERT_TRUE(first.ok());
    clock_.Advance(200);  // same 5-minute step
    auto same = loop_->ForecastResource(r, std::nullopt, true);
    EXPECT_EQ(same->generated_at, first->generated_at);
    auto forced = loop_->ForecastResource(r);  // training always refits
    EXPECT_EQ(forced->generated_at, clock_.Now());
    clock_.Advance(100);  // next step
    auto next = loop_->ForecastResource(r, std::nullopt, true);
    EXPECT_EQ(next->generated_at, clock_.Now());
}

TEST_F(ControlLoopTest, ACloudThatHangsDelaysOnlyItsOwnResources) {
    HangingProvider hanging;
    adapters_.providers["slow"] = &hanging;
    adapters_.sources["slow"] = &cloud_;
    loop_ = std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_,
                                          ControlLoopOptions{});
    Resource fast = AddResource("web", Mode::kAuto);
    Resource slow = AddResource("batch", Mode::kAuto, "slow");
    const UnixSeconds started = clock_.Now();
    loop_->Start();
    ASSERT_TRUE(hanging.WaitForCall()) << "the slow cloud's lane never asked it";
    // While the slow cloud hangs, the other cloud's resource is planned every tick.
    std::size_t passes_seen = 0;
    for (int i = 0; i < 200 && passes_seen < 5; ++i) {
        clock_.Advance(60);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        passes_seen = store_->QuerySamples({fast.id, "capacity"}, started, clock_.Now() + 1)->size();
    }
    EXPECT_GE(passes_seen, 5u);
    EXPECT_TRUE(store_->QuerySamples({slow.id, "capacity"}, started, clock_.Now() + 1)->empty());
    hanging.Release();
    loop_->Stop();
}

TEST_F(ControlLoopTest, AFailedForecastShowsOnTheResourceUntilOneSucceeds) {
    SwitchableForecaster forecaster;
    loop_ = std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster, planner_, catalog_, metrics_,
                                          ControlLoopOptions{});
    Resource r = AddResource("web", Mode::kAuto);
    auto outcomes = loop_->RunPass(r.id);
    ASSERT_TRUE(outcomes.ok());
    EXPECT_EQ(outcomes->front().forecast_error, "the model diverged");
    EXPECT_TRUE(outcomes->front().decision.has_value()) << "still sized, from the measured load";
    ASSERT_TRUE(loop_->ForecastProblem(r.id).has_value());
    EXPECT_NE(metrics_.RenderPrometheus().find("cloudopt_forecast_failing{resource=\"web\"} 1"), std::string::npos);
    auto stats = ComputeDashboardStats(*store_, *loop_, clock_.Now());
    ASSERT_TRUE(stats.ok());
    const auto& alerts = stats->per_resource.front().alerts;
    EXPECT_TRUE(std::any_of(alerts.begin(), alerts.end(), [](const std::string& a) {
        return a ==
               "web: no forecast (the model diverged); sized from the measured load alone, or held where there "
               "is none";
    }));

    forecaster.failing = false;
    clock_.Advance(300);  // the next forecast step: a fresh forecast is made
    outcomes = loop_->RunPass(r.id);
    ASSERT_TRUE(outcomes.ok());
    EXPECT_TRUE(outcomes->front().forecast_error.empty());
    EXPECT_FALSE(loop_->ForecastProblem(r.id).has_value());
    EXPECT_NE(metrics_.RenderPrometheus().find("cloudopt_forecast_failing{resource=\"web\"} 0"), std::string::npos);
}

TEST_F(ControlLoopTest, ACloudThatHangsWhileApplyingDelaysNoOtherCloudsChange) {
    HangingProvider hanging;
    hanging.on_apply = true;
    adapters_.providers["slow"] = &hanging;
    adapters_.sources["slow"] = &cloud_;
    loop_ = std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_,
                                          ControlLoopOptions{});
    Resource fast = AddResource("web", Mode::kAuto);
    SurgeTo80(AddResource("batch", Mode::kAuto, "slow"));  // the slow cloud's resource must scale out
    std::thread slow_pass([&] { (void)loop_->RunPass(store_->ListResources()->back().id); });
    ASSERT_TRUE(hanging.WaitForCall()) << "the slow cloud was never asked to apply";
    SurgeTo80(fast);  // the other cloud's resource must scale out too, while the slow apply hangs
    auto outcomes = loop_->RunPass(fast.id);
    ASSERT_TRUE(outcomes.ok());
    ASSERT_TRUE(outcomes->front().action.has_value());
    EXPECT_EQ(outcomes->front().action->status, ActionStatus::kApplied);
    EXPECT_EQ(cloud_.Describe(fast)->desired, 10);
    EXPECT_TRUE(hanging.StillHanging()) << "the other cloud's change waited for the slow apply to time out";
    hanging.Release();
    slow_pass.join();
}

TEST_F(ControlLoopTest, AResourceDeletedWhileItsLaneWaitsIsNotWorkedOnAfterwards) {
    HangingProvider hanging;
    hanging.hangs_for = "first";
    adapters_.providers["slow"] = &hanging;
    adapters_.sources["slow"] = &cloud_;
    loop_ = std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_,
                                          ControlLoopOptions{});
    AddResource("first", Mode::kAuto, "slow");
    Resource second = AddResource("second", Mode::kAuto, "slow");
    std::thread lane([&] { (void)loop_->RunPass(); });  // lists both, then waits on the first
    ASSERT_TRUE(hanging.WaitForCall());
    ASSERT_TRUE(loop_->DeleteResource(second.id).ok());
    hanging.Release();
    lane.join();
    EXPECT_EQ(hanging.Described("second"), 0) << "the deleted resource was still passed";
    EXPECT_FALSE(loop_->ForecastProblem(second.id).has_value());
    EXPECT_EQ(metrics_.RenderPrometheus().find("resource=\"second\""), std::string::npos)
        << "a deleted resource's series came back";
}

TEST_F(ControlLoopTest, BackgroundThreadTicksOnTheInjectedClock) {
    AddResource("web", Mode::kAuto);
    loop_->Start();
    for (int i = 0; i < 100 && loop_->passes() < 3; ++i) {
        clock_.Advance(60);
        std::this_thread::sleep_for(std::chrono::milliseconds(60));
    }
    loop_->Stop();
    EXPECT_GE(loop_->passes(), 3);
    const std::string text = metrics_.RenderPrometheus();
    EXPECT_NE(text.find("cloudopt_loop_pass_seconds_count"), std::string::npos);
}

}  // namespace
}  // namespace cloudopt
