#pragma once
// A whole API (store, control loop, simulated cloud, auth) on an ephemeral port, for the access-control and TLS
// tests. Rate limits are off unless a test turns them on.

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "allocate/capacity_planner.hpp"
#include "api/routes.hpp"
#include "api/server.hpp"
#include "api/test_auth.hpp"
#include "forecast/seasonal_naive.hpp"
#include "simulate/simulated_cloud.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt::testing {

class SecureApi {
public:
    explicit SecureApi(api::AccessOptions access = NoLimits(), api::ServerOptions options = {},
                       std::string dashboard_dir = "") {
        auto s = OpenSqliteStore(dir.File("t.db"), clock);
        EXPECT_TRUE(s.ok());
        store = std::move(*s);
        catalog = *ParseCatalogCsv("provider,name,vcpu,memory_gib,price_per_hour\naws,m5.large,2,8,0.1\n");
        adapters.providers["aws"] = &cloud;
        adapters.sources["aws"] = &cloud;
        ControlLoopOptions loop_options;
        loop_options.train_epochs = 1;  // training and the simulations' LSTM stay quick under the sanitizers
        loop =
            std::make_unique<ControlLoop>(*store, clock, adapters, forecaster, planner, catalog, metrics, loop_options);
        auth = std::make_unique<TestAuth>(store->Identity(), clock);
        context = std::make_unique<api::ApiContext>(
            api::ApiContext{*store, *loop, jobs, metrics, clock, "test", auth->auth(), auth->keyring(), access});
        context->dashboard_dir = std::move(dashboard_dir);
        router = api::BuildRouter(*context);
        options.port = 0;
        options.threads = 2;
        server = std::make_unique<api::HttpServer>(router, metrics, options);
        auto bound = server->Start();
        EXPECT_TRUE(bound.ok()) << (bound.ok() ? "" : bound.error().message);
        port = bound.ok() ? *bound : 0;
    }
    ~SecureApi() { server->Stop(); }

    static api::AccessOptions NoLimits() {
        api::AccessOptions a;
        a.per_address_rate = a.per_caller_rate = 0;
        return a;
    }

    TempDir dir;
    ManualClock clock{1'800'000'000};
    std::unique_ptr<Store> store;
    SimulatedCloud cloud{clock};
    Adapters adapters;
    Catalog catalog;
    SeasonalNaiveForecaster forecaster;
    CapacityPlanner planner;
    MetricsRegistry metrics;
    std::unique_ptr<ControlLoop> loop;
    JobRunner jobs{clock};
    std::unique_ptr<TestAuth> auth;
    std::unique_ptr<api::ApiContext> context;
    api::Router router;
    std::unique_ptr<api::HttpServer> server;
    unsigned short port = 0;
};

}  // namespace cloudopt::testing
