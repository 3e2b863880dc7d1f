// The demo's history: before cloudopt, each group ran the static allocation the dashboard compares against, so
// the savings the dashboard shows start at zero and grow only with what cloudopt changes.

#include <gtest/gtest.h>

#include "allocate/capacity_planner.hpp"
#include "app/demo.hpp"
#include "app/files.hpp"
#include "control/control_loop.hpp"
#include "control/dashboard.hpp"
#include "forecast/seasonal_naive.hpp"
#include "simulate/simulated_cloud.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

TEST(Demo, TheRecordedCostBeforeCloudoptIsTheStaticAllocationTheDashboardComparesWith) {
    testing::TempDir dir;
    const UnixSeconds now = 1'800'000'123;  // deliberately off the 5-minute grid
    ManualClock clock(now);
    auto store = OpenSqliteStore(dir.File("t.db"), clock);
    ASSERT_TRUE(store.ok());
    auto catalog_text = ReadWholeFile(std::string(CLOUDOPT_REPO_DIR) + "/data/catalog/instances.csv", "catalog");
    ASSERT_TRUE(catalog_text.ok());
    auto catalog = ParseCatalogCsv(*catalog_text);
    ASSERT_TRUE(catalog.ok());
    SimulatedCloud cloud(clock);
    ASSERT_TRUE(SetupDemo(**store, cloud, *catalog, std::string(CLOUDOPT_REPO_DIR) + "/data/demo", now).ok());

    Adapters adapters;
    for (const char* name : {"aws", "azure", "gcp", "kubernetes"}) {
        adapters.providers[name] = &cloud;
        adapters.sources[name] = &cloud;
    }
    SeasonalNaiveForecaster forecaster;
    CapacityPlanner planner;
    MetricsRegistry metrics;
    ControlLoop loop(**store, clock, adapters, forecaster, planner, *catalog, metrics, ControlLoopOptions{});
    auto stats = ComputeDashboardStats(**store, loop, now);
    ASSERT_TRUE(stats.ok()) << stats.error().message;
    ASSERT_EQ(stats->per_resource.size(), 4u);
    for (const ResourceStats& r : stats->per_resource) {
        auto recorded = (*store)->LatestSample({r.resource.id, "cost_per_hour"});
        ASSERT_TRUE(recorded.ok() && recorded->has_value()) << r.resource.name;
        EXPECT_NEAR((*recorded)->value, r.static_cost_per_hour, 1e-9) << r.resource.name;
        EXPECT_NEAR(r.cost_per_hour, r.static_cost_per_hour, 1e-9) << r.resource.name << ": the group starts static";
    }
}

}  // namespace
}  // namespace cloudopt
