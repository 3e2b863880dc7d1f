#pragma once
// The API over a real socket: a server on an ephemeral port with a store, a simulated cloud, a control loop and
// an admin's token. Shared by the API test files.

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "allocate/capacity_planner.hpp"
#include "api/routes.hpp"
#include "api/server.hpp"
#include "api/test_auth.hpp"
#include "forecast/seasonal_naive.hpp"
#include "simulate/simulated_cloud.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {

using nlohmann::json;
using testing::HttpClient;

inline constexpr UnixSeconds kNow = 1'700'006'400 + 3 * 86400;

class ApiTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto s = OpenSqliteStore(dir_.File("t.db"), clock_);
        ASSERT_TRUE(s.ok());
        store_ = std::move(*s);
        catalog_ = *ParseCatalogCsv("provider,name,vcpu,memory_gib,price_per_hour\naws,m5.large,2,8,0.1\n");
        adapters_.providers["aws"] = &cloud_;
        adapters_.sources["aws"] = &cloud_;
        for (const char* ref : {"sim/a", "sim/b"}) {
            SimulatedGroupSpec spec;
            spec.ref = ref;
            spec.instance_type = "m5.large";
            spec.price_per_hour = 0.1;
            spec.capacity_per_instance = 10;
            spec.demand.step = 300;
            spec.demand.values = {30, 40, 50, 40};
            spec.anchor = 0;
            spec.initial_capacity = 8;  // over-provisioned: the first pass scales in
            cloud_.AddGroup(spec);
        }
        ControlLoopOptions loop_options;
        loop_options.train_epochs = 1;  // training jobs stay quick under the sanitizers
        loop_ = std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_,
                                              loop_options);
        auth_ = std::make_unique<testing::TestAuth>(store_->Identity(), clock_);
        api::AccessOptions access;
        access.per_address_rate = access.per_caller_rate = 0;  // these tests are not about rate limits
        context_ = std::make_unique<api::ApiContext>(
            api::ApiContext{*store_, *loop_, jobs_, metrics_, clock_, "test", auth_->auth(), auth_->keyring(), access});
        context_->ingest.max_samples = 5000;
        router_ = api::BuildRouter(*context_);
        api::ServerOptions options;
        options.port = 0;
        options.threads = 2;
        options.max_body_bytes = 1024 * 1024;
        StartServer(options);
    }
    // (Re)starts the server on the router with `options`, and an admin's client to it.
    void StartServer(const api::ServerOptions& options) {
        client_.reset();
        if (server_) server_->Stop();
        server_ = std::make_unique<api::HttpServer>(router_, metrics_, options);
        auto port = server_->Start();
        ASSERT_TRUE(port.ok()) << port.error().message;
        port_ = *port;
        client_ = std::make_unique<HttpClient>(port_);
        client_->SetHeader("Authorization", auth_->BearerFor("admin", Role::kAdmin));
    }
    void TearDown() override { server_->Stop(); }

    json Body(const testing::HttpResult& r) {
        json j = json::parse(r.body, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << r.body;
        return j;
    }
    // Asserts the uniform error shape and returns the code.
    std::string ErrorCodeOf(const testing::HttpResult& r) {
        json j = Body(r);
        EXPECT_TRUE(j.contains("error") && j["error"].contains("code") && j["error"].contains("message")) << r.body;
        return j.contains("error") ? j["error"].value("code", "") : "";
    }
    int CreateResource(const std::string& name, const std::string& ref, const std::string& mode = "auto") {
        json body = {{"name", name},
                     {"provider", "aws"},
                     {"provider_ref", ref},
                     {"instance_type", "m5.large"},
                     {"capacity_per_instance", 10},
                     {"mode", mode},
                     {"max_capacity", 20},
                     {"boot_delay_s", 120}};
        auto r = client_->Post("/api/resources", body.dump());
        EXPECT_EQ(r.status, 201) << r.body;
        return Body(r)["id"].get<int>();
    }
    // Two days of 5-minute history so forecasts work.
    void PushHistory(int id) {
        json points = json::array();
        for (UnixSeconds t = kNow - 2 * 86400; t < kNow; t += 300) points.push_back({t, 30 + (t / 300) % 4 * 5});
        json body = {{"series", {{{"resource", id}, {"metric", "cpu_cores"}, {"points", points}}}}};
        auto r = client_->Post("/api/metrics", body.dump());
        ASSERT_EQ(r.status, 200) << r.body;
    }

    testing::TempDir dir_;
    ManualClock clock_{kNow};
    std::unique_ptr<Store> store_;
    SimulatedCloud cloud_{clock_};
    Adapters adapters_;
    Catalog catalog_;
    SeasonalNaiveForecaster forecaster_;
    CapacityPlanner planner_;
    MetricsRegistry metrics_;
    std::unique_ptr<ControlLoop> loop_;
    JobRunner jobs_{clock_};
    std::unique_ptr<testing::TestAuth> auth_;
    std::unique_ptr<api::ApiContext> context_;
    api::Router router_;
    std::unique_ptr<api::HttpServer> server_;
    unsigned short port_ = 0;
    std::unique_ptr<HttpClient> client_;
};

}  // namespace cloudopt
