// The control loop plans a resource on the `keda` provider over a replayed trace, and KEDA's own arithmetic (milli
// quantities, ceil(value / target), the HPA's tolerance, activation at zero) is run on what the ExternalScaler
// serves at every tick: with the tolerance at 0 (Kubernetes >= 1.33, behavior.scaleUp/scaleDown.tolerance) the
// HPA lands on the planner's count at every tick; with the default 0.1 it keeps its replicas whenever the served
// value is within 10% of what they carry at the target, which is what docs/KEDA.md says and measures.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include "allocate/capacity_planner.hpp"
#include "control/control_loop.hpp"
#include "forecast/seasonal_naive.hpp"
#include "keda/keda_hpa.hpp"
#include "keda/keda_provider.hpp"
#include "keda/served_metric.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt::keda {
namespace {

constexpr UnixSeconds kDay = 86400;
constexpr UnixSeconds kStart = 1'700'006'400;  // a midnight (UTC)
constexpr int kMaxReplicas = 60;

// data/demo/checkout.csv (docs in data/README.md): CPU cores of a checkout service at 5-minute steps.
std::vector<double> CheckoutTrace() {
    std::ifstream in(std::string(CLOUDOPT_REPO_DIR) + "/data/demo/checkout.csv");
    std::vector<double> values;
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) values.push_back(std::stod(line.substr(line.rfind(',') + 1)));
    return values;
}

struct TickStats {
    int ticks = 0;
    int count_changes = 0;
    int hpa_exact_misses = 0;    // tolerance 0: must stay 0
    int hpa_default_misses = 0;  // tolerance 0.1: ticks where the HPA runs another count than planned
    int max_default_gap = 0;     // the largest difference then, in replicas
    int forecast_valued = 0;     // ticks whose value is the forecast load itself (not moved into the interval)
    int active_ticks = 0;
};

class KedaTraceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto s = OpenSqliteStore(dir_.File("t.db"), clock_);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
        adapters_.providers["keda"] = &provider_;  // push-only: the load arrives as samples
        ControlLoopOptions options;
        options.history_seconds = 3 * kDay;
        loop_ = std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_,
                                              options);
    }

    Resource AddResource(int min_capacity, double capacity_per_instance) {
        Resource r;
        r.name = "checkout";
        r.provider = "keda";
        r.provider_ref = "shop/checkout";
        r.instance_type = "pod";
        r.min_capacity = min_capacity;
        r.max_capacity = kMaxReplicas;
        r.capacity_per_instance = capacity_per_instance;
        r.boot_delay_s = 180;
        r.mode = Mode::kAuto;
        auto created = store_->CreateResource(r);
        EXPECT_TRUE(created.ok()) << created.error().message;
        return *created;
    }

    void Push(const Resource& r, UnixSeconds ts, double value) {
        SeriesSamples s{{r.id, r.load_metric}, {{ts, value}}};
        ASSERT_TRUE(store_->AppendSamples({&s, 1}).ok());
    }

    // Runs a pass every minute until `until`, pushing load(t) first; checks each tick and sums it up.
    template <typename Load>
    TickStats Replay(const Resource& r, UnixSeconds until, Load load,
                     std::vector<std::pair<UnixSeconds, bool>>* active = nullptr) {
        TickStats stats;
        int hpa_exact = 0, hpa_default = 0;
        int last_count = -1;
        for (; clock_.Now() <= until; clock_.Advance(60)) {
            const UnixSeconds now = clock_.Now();
            Push(r, now, load(now));
            auto outcomes = loop_->RunPass(r.id);
            EXPECT_TRUE(outcomes.ok());
            if (!outcomes.ok() || outcomes->size() != 1) continue;
            const PassOutcome& o = outcomes->front();
            EXPECT_TRUE(o.error.empty()) << o.error;
            EXPECT_TRUE(o.forecast_error.empty()) << o.forecast_error;
            const auto entry = board_.Find(r.id);
            EXPECT_TRUE(entry.has_value());
            if (!entry) continue;
            if (o.action && o.action->status == ActionStatus::kApplied) {
                EXPECT_EQ(entry->count, o.action->to_capacity);
                EXPECT_EQ(o.action->reason.rfind("served to KEDA: ", 0), 0u) << o.action->reason;
            }
            auto served = ServeMetric(*entry, std::nullopt, now, 180);
            EXPECT_TRUE(served.ok()) << served.error().message;
            if (!served.ok()) continue;
            ++stats.ticks;
            if (entry->count != last_count) ++stats.count_changes;
            last_count = entry->count;
            EXPECT_EQ(served->replicas, entry->count);
            EXPECT_EQ(served->active, entry->count > 0);
            stats.active_ticks += served->active;
            if (active) active->push_back({now, served->active});
            const std::int64_t value_milli = KedaMilli(served->value), target_milli = KedaMilli(served->target);
            // KEDA's HPA formula on what was served gives the planned count, exactly.
            const auto ceil_count = (value_milli + target_milli - 1) / target_milli;
            EXPECT_EQ(ceil_count, entry->count) << "at " << now;
            // Where the planned load itself maps to the count, the value is that load (forecast, not current).
            const std::int64_t load_milli = KedaMilli(served->load);
            if ((load_milli + target_milli - 1) / target_milli == entry->count && entry->count > 0) {
                EXPECT_EQ(value_milli, load_milli);
                ++stats.forecast_valued;
            }
            const int before_default = hpa_default;
            hpa_exact =
                testing::KedaHpaStep(hpa_exact, served->active, served->value, served->target, 0.0, kMaxReplicas);
            hpa_default =
                testing::KedaHpaStep(hpa_default, served->active, served->value, served->target, 0.1, kMaxReplicas);
            if (hpa_exact != entry->count) ++stats.hpa_exact_misses;
            if (hpa_default != entry->count) {
                ++stats.hpa_default_misses;
                stats.max_default_gap = std::max(stats.max_default_gap, std::abs(hpa_default - entry->count));
                // Only where the served value is within 10% of what the running replicas carry at the target.
                const double ratio = static_cast<double>(value_milli) /
                                     (static_cast<double>(target_milli) * std::max(1, before_default));
                EXPECT_LE(std::abs(1.0 - ratio), 0.1 + 1e-9)
                    << "at " << now << ": " << before_default << " -> " << entry->count << " missed";
            }
        }
        return stats;
    }

    cloudopt::testing::TempDir dir_;
    ManualClock clock_{kStart + 3 * kDay};
    std::unique_ptr<Store> store_;
    PlanBoard board_;
    KedaProvider provider_{board_};
    Adapters adapters_;
    Catalog catalog_;
    SeasonalNaiveForecaster forecaster_;
    CapacityPlanner planner_;
    MetricsRegistry metrics_;
    std::unique_ptr<ControlLoop> loop_;
};

TEST_F(KedaTraceTest, KedasArithmeticOnTheServedMetricLandsOnThePlannersCountAtEveryTick) {
    const std::vector<double> trace = CheckoutTrace();
    ASSERT_GE(trace.size(), 4u * 288);
    // 0.5 cores per pod at 75%: 0.375 per replica, so the trace's 2.2 to 14.5 cores need 6 to 39 pods.
    const Resource r = AddResource(1, 0.5);
    for (int k = 0; k < 3 * 288; ++k) Push(r, kStart + k * 300, trace[k]);
    const auto load = [&](UnixSeconds t) { return trace[static_cast<std::size_t>((t - kStart) / 300)]; };
    const TickStats stats = Replay(r, kStart + 3 * kDay + 12 * 3600, load);
    std::cout << "keda trace: " << stats.ticks << " ticks, " << stats.count_changes
              << " count changes, value = forecast load at " << stats.forecast_valued
              << " ticks; HPA misses with tolerance 0: " << stats.hpa_exact_misses
              << ", with 0.1: " << stats.hpa_default_misses << " ticks (largest gap " << stats.max_default_gap
              << " replicas)\n";
    EXPECT_EQ(stats.ticks, 12 * 60 + 1);
    EXPECT_GE(stats.count_changes, 10) << "the trace should move the count";
    EXPECT_EQ(stats.hpa_exact_misses, 0);
    EXPECT_GT(stats.hpa_default_misses, 0) << "at 10 to 39 pods, some one-pod steps fall within the 10% tolerance";
    EXPECT_GT(stats.forecast_valued, stats.ticks / 4);
}

TEST_F(KedaTraceTest, ScalesToZeroAndBackAheadOfTheLoad) {
    // Nothing at night, 4 cores from 09:00 to 17:00: three days of history, then a day replayed.
    const auto load = [](UnixSeconds t) {
        const UnixSeconds s = (t - kStart) % kDay;
        return s >= 9 * 3600 && s < 17 * 3600 ? 4.0 : 0.0;
    };
    const Resource r = AddResource(0, 1.0);
    for (UnixSeconds t = kStart; t < kStart + 3 * kDay; t += 300) Push(r, t, load(t));
    clock_.Set(kStart + 3 * kDay + 8 * 3600);
    std::vector<std::pair<UnixSeconds, bool>> active;
    const TickStats stats = Replay(r, kStart + 3 * kDay + 17 * 3600 + 1800, load, &active);
    EXPECT_EQ(stats.hpa_exact_misses, 0);
    const UnixSeconds nine = kStart + 3 * kDay + 9 * 3600;
    const auto first_active = std::find_if(active.begin(), active.end(), [](const auto& a) { return a.second; });
    ASSERT_NE(first_active, active.end());
    EXPECT_FALSE(active.front().second) << "inactive (0 replicas) at 08:00";
    EXPECT_LT(first_active->first, nine) << "active before the load comes";
    EXPECT_GE(first_active->first, nine - 180 - 60 - 300) << "not long before it: boot delay + tick ahead";
    EXPECT_FALSE(active.back().second) << "back to zero by 17:30";
    std::cout << "keda zero: active from " << (first_active->first - nine) << " s before 09:00\n";
}

}  // namespace
}  // namespace cloudopt::keda
