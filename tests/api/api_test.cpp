// Every endpoint over a real socket against a server on an ephemeral port: success and error cases.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "allocate/capacity_planner.hpp"
#include "api/api_fixture.hpp"
#include "api/routes.hpp"
#include "api/server.hpp"
#include "api/test_auth.hpp"
#include "forecast/model_file.hpp"
#include "forecast/seasonal_naive.hpp"
#include "simulate/simulated_cloud.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

TEST_F(ApiTest, BrowsersGetALandingPage) {
    auto r = client_->Get("/");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8");
    EXPECT_NE(r.body.find("href=\"/api/dashboard/stats\""), std::string::npos);
}

TEST_F(ApiTest, HealthReadinessAndMetrics) {
    auto h = client_->Get("/healthz");
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(Body(h)["status"], "ok");
    auto r = client_->Get("/readyz");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(Body(r)["status"], "ready");
    auto m = client_->Get("/metrics");
    EXPECT_EQ(m.status, 200);
    EXPECT_EQ(m.headers["content-type"].rfind("text/plain; version=0.0.4", 0), 0u);
    EXPECT_NE(m.body.find("cloudopt_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"),
              std::string::npos)
        << m.body;
    EXPECT_NE(m.body.find("cloudopt_http_request_seconds_bucket{route=\"/readyz\",le=\"+Inf\"} 1"), std::string::npos);
}

TEST_F(ApiTest, ResourceLifecycle) {
    const int id = CreateResource("web", "sim/a");
    auto list = client_->Get("/api/resources");
    ASSERT_EQ(list.status, 200);
    ASSERT_EQ(Body(list)["resources"].size(), 1u);
    auto one = client_->Get("/api/resources/" + std::to_string(id));
    ASSERT_EQ(one.status, 200);
    EXPECT_EQ(Body(one)["name"], "web");
    EXPECT_EQ(Body(one)["target_low"], 0.7);
    auto put =
        client_->Request("PUT", "/api/resources/" + std::to_string(id), R"({"mode":"recommend","min_capacity":2})");
    ASSERT_EQ(put.status, 200) << put.body;
    EXPECT_EQ(Body(put)["mode"], "recommend");
    EXPECT_EQ(Body(put)["min_capacity"], 2);
    EXPECT_EQ(Body(put)["name"], "web");  // fields not sent are kept
    EXPECT_EQ(Body(put)["allowed_types"], nlohmann::json::array());
    put = client_->Request(
        "PUT", "/api/resources/" + std::to_string(id),
        R"({"allowed_types":["m5.large","aws/m5.large"],"spot_share_max":0.2,"max_step":3,"risk_quantile":"p90"})");
    ASSERT_EQ(put.status, 200) << put.body;
    EXPECT_EQ(Body(put)["allowed_types"], nlohmann::json::parse(R"(["m5.large","aws/m5.large"])"));
    EXPECT_EQ(Body(put)["spot_share_max"], 0.2);
    EXPECT_EQ(Body(put)["max_step"], 3);
    EXPECT_EQ(Body(put)["risk_quantile"], "p90");
    put = client_->Request("PUT", "/api/resources/" + std::to_string(id), R"({"risk_quantile":"p99"})");
    ASSERT_EQ(put.status, 200) << put.body;
    EXPECT_EQ(Body(put)["risk_quantile"], "p99");
    auto del = client_->Request("DELETE", "/api/resources/" + std::to_string(id));
    EXPECT_EQ(del.status, 204);
    EXPECT_EQ(client_->Get("/api/resources/" + std::to_string(id)).status, 404);
    EXPECT_EQ(client_->Request("DELETE", "/api/resources/" + std::to_string(id)).status, 404);
}

TEST_F(ApiTest, ResourceErrors) {
    CreateResource("web", "sim/a");
    struct Case {
        std::string method, target, body;
        int status;
        std::string code;
    };
    const std::vector<Case> cases = {
        {"POST", "/api/resources", "{not json", 400, "invalid_argument"},
        {"POST", "/api/resources", "[1,2]", 400, "invalid_argument"},
        {"POST", "/api/resources", R"({"name":"x","provider":"aws","provider_ref":"sim/b"})", 422, "unprocessable"},
        {"POST", "/api/resources", R"({"name":5,"provider":"aws","provider_ref":"sim/b","instance_type":"m5.large"})",
         422, "unprocessable"},
        {"POST", "/api/resources",
         R"({"name":"x","provider":"aws","provider_ref":"sim/b","instance_type":"m5.large","max_capacity":"ten"})", 422,
         "unprocessable"},
        {"POST", "/api/resources",
         R"({"name":"x","provider":"aws","provider_ref":"sim/b","instance_type":"m5.large","mxa_capacity":3})", 422,
         "unprocessable"},
        {"POST", "/api/resources",
         R"({"name":"x","provider":"aws","provider_ref":"sim/b","instance_type":"m5.large","mode":"yolo"})", 422,
         "unprocessable"},
        {"POST", "/api/resources",
         R"({"name":"x","provider":"aws","provider_ref":"sim/b","instance_type":"m5.large","min_capacity":9,"max_capacity":3})",
         422, "unprocessable"},
        {"POST", "/api/resources",
         R"({"name":"x","provider":"aws","provider_ref":"sim/nope","instance_type":"m5.large"})", 422, "unprocessable"},
        {"POST", "/api/resources",
         R"({"name":"x","provider":"azure","provider_ref":"sim/b","instance_type":"m5.large"})", 422, "unprocessable"},
        {"POST", "/api/resources",
         R"({"name":"web","provider":"aws","provider_ref":"sim/b","instance_type":"m5.large"})", 409, "conflict"},
        {"GET", "/api/resources/abc", "", 400, "invalid_argument"},
        {"GET", "/api/resources/0", "", 400, "invalid_argument"},
        {"GET", "/api/resources/999", "", 404, "not_found"},
        {"PUT", "/api/resources/999", "{}", 404, "not_found"},
        {"PUT", "/api/resources/1", R"({"target_high":2})", 422, "unprocessable"},
        {"PUT", "/api/resources/1", R"({"risk_quantile":"p77"})", 422, "unprocessable"},
        {"PUT", "/api/resources/1", R"({"allowed_types":"m5.large"})", 422, "unprocessable"},
        {"PUT", "/api/resources/1", R"({"allowed_types":["no-such-type"]})", 422, "unprocessable"},
        {"PUT", "/api/resources/1", R"({"allowed_types":["gcp/m5.large"]})", 422, "unprocessable"},
        {"PUT", "/api/resources/1", R"({"spot_share_max":1.5})", 422, "unprocessable"},
        {"PUT", "/api/resources/1", R"({"max_step":-1})", 422, "unprocessable"},
        {"PATCH", "/api/resources/1", "{}", 405, "method_not_allowed"},
        {"GET", "/api/nothing-here", "", 404, "not_found"},
        {"DELETE", "/api/resources", "", 405, "method_not_allowed"},
    };
    auto missing =
        client_->Post("/api/resources", R"({"provider":"aws","provider_ref":"sim/b","instance_type":"m5.large"})");
    EXPECT_NE(missing.body.find("name: is required"), std::string::npos) << missing.body;
    for (const Case& c : cases) {
        auto r = client_->Request(c.method, c.target, c.body);
        EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << c.body << " -> " << r.body;
        EXPECT_EQ(ErrorCodeOf(r), c.code) << c.method << " " << c.target << " " << c.body;
    }
    auto wrong_type = client_->Request("POST", "/api/resources", "name=x", "application/x-www-form-urlencoded");
    EXPECT_EQ(wrong_type.status, 415);
    EXPECT_EQ(ErrorCodeOf(wrong_type), "unsupported_media_type");
    auto not_allowed = client_->Request("PATCH", "/api/resources/1", "{}");
    EXPECT_EQ(not_allowed.headers["allow"], "GET, PUT, DELETE, HEAD");  // HEAD: the GET route without the body
    // Nothing half-stored: still exactly one resource.
    EXPECT_EQ(Body(client_->Get("/api/resources"))["resources"].size(), 1u);
}

TEST_F(ApiTest, MetricsIngestAndQuery) {
    const int id = CreateResource("web", "sim/a");
    json body = {{"samples",
                  {{{"resource", id}, {"metric", "cpu_cores"}, {"ts", kNow - 600}, {"value", 1.5}},
                   {{"resource", "web"}, {"metric", "cpu_cores"}, {"ts", kNow - 540}, {"value", 2.5}},
                   {{"resource", "web"}, {"metric", "rps"}, {"ts", kNow - 500}, {"value", 7}}}},
                 {"series",
                  {{{"resource", "web"}, {"metric", "cpu_cores"}, {"points", {{kNow - 240, 4.0}, {kNow - 60, 6.0}}}}}}};
    auto post = client_->Post("/api/metrics", body.dump());
    ASSERT_EQ(post.status, 200) << post.body;
    EXPECT_EQ(Body(post)["accepted"], 5);
    EXPECT_EQ(Body(post)["series"], 2);

    auto raw = client_->Get("/api/metrics?resource=web&metric=cpu_cores&from=" + std::to_string(kNow - 3600));
    ASSERT_EQ(raw.status, 200) << raw.body;
    EXPECT_EQ(Body(raw)["points"].size(), 4u);
    EXPECT_TRUE(Body(raw)["step"].is_null());
    auto down = client_->Get("/api/metrics?resource=" + std::to_string(id) + "&metric=cpu_cores&from=" +
                             std::to_string(kNow - 600) + "&to=" + std::to_string(kNow) + "&step=300&agg=max");
    ASSERT_EQ(down.status, 200);
    EXPECT_EQ(Body(down)["points"],
              json::parse("[[" + std::to_string(kNow - 600) + ",2.5],[" + std::to_string(kNow - 300) + ",6.0]]"));
    auto avg = client_->Get("/api/metrics?resource=web&from=" + std::to_string(kNow - 600) + "&step=600&agg=avg");
    EXPECT_DOUBLE_EQ(Body(avg)["points"][0][1].get<double>(), (1.5 + 2.5 + 4 + 6) / 4);
    auto p95 = client_->Get("/api/metrics?resource=web&from=" + std::to_string(kNow - 600) + "&step=600&agg=p95");
    EXPECT_DOUBLE_EQ(Body(p95)["points"][0][1].get<double>(), 6.0);
}

TEST_F(ApiTest, DownsampledQueriesSeeEveryAcknowledgedWrite) {
    // Downsampled answers are partly served from rendered buckets: a write into an old bucket, and a deleted and
    // recreated resource, must show in the very next answer.
    const int id = CreateResource("web", "sim/a");
    auto post_point = [&](long long ts, double value) {
        json body = {{"series", {{{"resource", "web"}, {"metric", "cpu_cores"}, {"points", {{ts, value}}}}}}};
        ASSERT_EQ(client_->Post("/api/metrics", body.dump()).status, 200);
    };
    for (int i = 0; i < 12; ++i) post_point(kNow - 3600 + 300 * i, 1.0);
    const std::string query = "/api/metrics?resource=web&metric=cpu_cores&from=" + std::to_string(kNow - 3600) +
                              "&to=" + std::to_string(kNow) + "&step=600&agg=max";
    auto first = client_->Get(query);
    ASSERT_EQ(first.status, 200);
    EXPECT_EQ(Body(first)["points"].size(), 6u);
    EXPECT_EQ(Body(client_->Get(query))["points"], Body(first)["points"]);
    // Operators see where answers came from: the second query's six complete buckets were cached.
    const std::string exposition = client_->Get("/metrics").body;
    EXPECT_NE(exposition.find("cloudopt_query_cache_buckets_total{source=\"cache\"} 6"), std::string::npos)
        << exposition;
    EXPECT_NE(exposition.find("cloudopt_query_cache_bytes "), std::string::npos);
    post_point(kNow - 3000, 42.0);  // the second bucket
    auto second = Body(client_->Get(query));
    EXPECT_EQ(second["points"][1][1], 42.0);
    EXPECT_EQ(second["points"][0][1], 1.0);

    ASSERT_EQ(client_->Request("DELETE", "/api/resources/" + std::to_string(id)).status, 204);
    // A new resource with the old name gets a new id (ids are never reused) and none of the old buckets.
    EXPECT_GT(CreateResource("web", "sim/a"), id);
    EXPECT_EQ(Body(client_->Get(query))["points"].size(), 0u);
    post_point(kNow - 3600, 5.0);
    EXPECT_EQ(Body(client_->Get(query))["points"], json::parse("[[" + std::to_string(kNow - 3600) + ",5.0]]"));
}

TEST_F(ApiTest, MetricsBatchIsValidatedWholeAndStoresNothingOnError) {
    CreateResource("web", "sim/a");
    const std::string good = R"({"resource":"web","metric":"cpu_cores","ts":1700000000,"value":1})";
    const std::vector<std::pair<std::string, int>> bad = {
        {R"({"samples":[)" + good + R"(,{"resource":"ghost","metric":"cpu_cores","ts":1700000000,"value":1}]})", 422},
        {R"({"samples":[)" + good + R"(,{"resource":"web","metric":"cpu cores","ts":1700000000,"value":1}]})", 422},
        {R"({"samples":[)" + good + R"(,{"resource":"web","metric":"cpu_cores","ts":"soon","value":1}]})", 422},
        {R"({"samples":[)" + good + R"(,{"resource":"web","metric":"cpu_cores","ts":1700000000000,"value":1}]})", 422},
        {R"({"samples":[)" + good + R"(,{"resource":"web","metric":"cpu_cores","ts":1700000000,"value":"1"}]})", 422},
        {R"({"samples":[)" + good + R"(,{"resource":"web","metric":"cpu_cores","ts":1700000000}]})", 422},
        {R"({"samples":[)" + good + R"(,{"resource":"web","metric":"cpu_cores","ts":1700000000,"value":1,"x":1}]})",
         422},
        {R"({"samples":[)" + good + R"(,[1,2]]})", 422},
        {R"({"samples":{}})", 422},
        {R"({"series":[{"resource":"web","metric":"cpu_cores","points":[[1700000000,1],[1700000001]]}]})", 422},
        {R"({"samples":[]})", 422},
        {R"({"smaples":[]})", 422},
        {R"({"samples":[)" + good + ",", 400},
    };
    for (const auto& [body, status] : bad) {
        auto r = client_->Post("/api/metrics", body);
        EXPECT_EQ(r.status, status) << body << " -> " << r.body;
        ErrorCodeOf(r);
    }
    auto query = client_->Get("/api/metrics?resource=web&from=1699990000&to=1700010000");
    EXPECT_TRUE(Body(query)["points"].empty()) << query.body;

    // Too many samples in one request: 413, nothing stored.
    json many = {{"series", {{{"resource", "web"}, {"metric", "cpu_cores"}, {"points", json::array()}}}}};
    for (int i = 0; i < 5001; ++i) many["series"][0]["points"].push_back({1700000000 + i, 1});
    EXPECT_EQ(client_->Post("/api/metrics", many.dump()).status, 413);
    EXPECT_TRUE(Body(client_->Get("/api/metrics?resource=web&from=1699990000&to=1700010000"))["points"].empty());

    // A series without points beside one with a sample: the sample is taken, the empty series adds nothing (found by
    // Fuzz.json_decoders: the decoded batch carried a series with no samples).
    json mixed = {{"samples", {{{"resource", "web"}, {"metric", "cpu_cores"}, {"ts", kNow - 30}, {"value", 3.5}}}},
                  {"series", {{{"resource", "web"}, {"metric", "rps"}, {"points", json::array()}}}}};
    auto mixed_post = client_->Post("/api/metrics", mixed.dump());
    ASSERT_EQ(mixed_post.status, 200) << mixed_post.body;
    EXPECT_EQ(Body(mixed_post)["series"], 1) << mixed_post.body;
}

TEST_F(ApiTest, MetricsQueryErrors) {
    CreateResource("web", "sim/a");
    for (const std::string& target :
         {std::string("/api/metrics"), std::string("/api/metrics?resource=web&agg=median"),
          std::string("/api/metrics?resource=web&step=-5"), std::string("/api/metrics?resource=web&from=10&to=5"),
          std::string("/api/metrics?resource=web&from=abc"), std::string("/api/metrics?resource=web&metric=a%20b")}) {
        auto r = client_->Get(target);
        EXPECT_EQ(r.status, 400) << target << " " << r.body;
        EXPECT_EQ(ErrorCodeOf(r), "invalid_argument");
    }
    EXPECT_EQ(client_->Get("/api/metrics?resource=ghost").status, 404);
    EXPECT_EQ(client_->Get("/api/metrics?resource=web&metric=%zz").status, 400);
}

TEST_F(ApiTest, PredictionsAndTrainingJobs) {
    const int id = CreateResource("web", "sim/a");
    // Predictions read the forecast the loop stored; they never fit one on the request. None yet: 409, saying so.
    auto none = client_->Get("/api/predictions?resource=web");
    EXPECT_EQ(none.status, 409) << none.body;
    EXPECT_EQ(ErrorCodeOf(none), "conflict");
    EXPECT_NE(none.body.find("no forecast yet"), std::string::npos) << none.body;
    PushHistory(id);
    EXPECT_EQ(client_->Get("/api/predictions?resource=web").status, 409);  // history alone: still the loop's to do
    ASSERT_EQ(client_->Post("/api/resources/allocate?wait_seconds=30", R"({"resource":"web"})").status, 200);
    auto p = client_->Get("/api/predictions?resource=web&horizon=6");
    ASSERT_EQ(p.status, 200) << p.body;
    json f = Body(p);
    EXPECT_EQ(f["model"], "seasonal_naive");
    EXPECT_EQ(f["generated_at"], kNow);
    ASSERT_EQ(f["points"].size(), 6u);
    for (const json& point : f["points"]) {
        EXPECT_LE(point["p50"].get<double>(), point["p90"].get<double>());
        EXPECT_LE(point["p90"].get<double>(), point["p95"].get<double>());
        EXPECT_LE(point["p95"].get<double>(), point["p99"].get<double>());
    }
    // The capacity each step needs by the planner's rule: ceil(p95 / (10 per instance x 0.75)) within 1..20.
    EXPECT_EQ(f["planned_quantile"], "p95");
    EXPECT_DOUBLE_EQ(f["target_utilization"].get<double>(), 0.75);
    ASSERT_EQ(f["planned_capacity"].size(), 6u);
    for (std::size_t i = 0; i < 6; ++i) {
        const json& point = f["points"][i];
        const json& planned = f["planned_capacity"][i];
        EXPECT_EQ(planned["ts"], point["ts"]);
        const int needed = static_cast<int>(std::ceil(point["p95"].get<double>() / 7.5 - 1e-9));
        EXPECT_EQ(planned["instances"], std::clamp(needed, 1, 20)) << f.dump();
    }
    EXPECT_TRUE(f["accuracy"].is_number());
    EXPECT_FALSE(f.contains("since_training"));  // no trained model to score yet
    // Longer than the stored forecast (loop.horizon_steps = 12): refused, naming the limit.
    auto too_long = client_->Get("/api/predictions?resource=web&horizon=13");
    EXPECT_EQ(too_long.status, 422) << too_long.body;
    EXPECT_NE(too_long.body.find("12 steps"), std::string::npos) << too_long.body;
    EXPECT_EQ(client_->Get("/api/predictions?resource=web&horizon=0").status, 400);
    EXPECT_EQ(client_->Get("/api/predictions?resource=web&metric=other").status, 422);
    EXPECT_EQ(client_->Get("/api/predictions").status, 400);

    auto train = client_->Post("/api/predictions/train", R"({"resource":"web"})");
    ASSERT_EQ(train.status, 202) << train.body;
    const int job = Body(train)["job_id"];
    EXPECT_EQ(train.headers["location"], "/api/jobs/" + std::to_string(job));
    ASSERT_TRUE(jobs_.WaitFor(job, std::chrono::seconds(30)));
    auto status = client_->Get("/api/jobs/" + std::to_string(job));
    ASSERT_EQ(status.status, 200);
    EXPECT_EQ(Body(status)["status"], "succeeded") << status.body;
    EXPECT_EQ(Body(status)["reason"], "requested");
    const json trained = Body(status)["result"]["trained"][0];
    ASSERT_TRUE(trained["model"].is_string()) << status.body;
    EXPECT_GT(trained["accuracy"].get<double>(), 0.5) << status.body;
    EXPECT_EQ(trained["points"], 2 * 288);
    // Predictions now come from the trained model, with its record since training: nothing scored yet.
    const json from_trained = Body(client_->Get("/api/predictions?resource=web&horizon=6"));
    EXPECT_EQ(from_trained["model"], trained["model"]);
    EXPECT_EQ(from_trained["since_training"]["trained_accuracy"], trained["accuracy"]) << from_trained.dump();
    EXPECT_TRUE(from_trained["since_training"]["live_accuracy"].is_null());
    EXPECT_EQ(from_trained["since_training"]["steps_scored"], 0);
    EXPECT_TRUE(from_trained["since_training"]["coverage"]["p95"].is_null()) << from_trained.dump();
    EXPECT_EQ(from_trained["since_training"]["drifted"], false);
    // Two days of history calibrate on half a day: too few errors per phase for bands by the clock.
    EXPECT_EQ(from_trained["since_training"]["bands_by"], "none");
    EXPECT_EQ(trained["bands_by"], "none");
    EXPECT_EQ(client_->Get("/api/jobs/424242").status, 404);
    EXPECT_EQ(client_->Get("/api/jobs/x").status, 400);
    EXPECT_EQ(client_->Post("/api/predictions/train", R"({"resource":"ghost"})").status, 404);
    EXPECT_EQ(client_->Post("/api/predictions/train", R"({"resource":[1]})").status, 422);
    // Training them all first trains one network across them, and says so in the result.
    PushHistory(CreateResource("api", "sim/b"));
    auto all = client_->Request("POST", "/api/predictions/train", "", "");
    ASSERT_EQ(all.status, 202) << all.body;
    const int all_job = Body(all)["job_id"];
    ASSERT_TRUE(jobs_.WaitFor(all_job, std::chrono::seconds(60)));
    const json result = Body(client_->Get("/api/jobs/" + std::to_string(all_job)));
    EXPECT_EQ(result["status"], "succeeded") << result.dump();
    EXPECT_EQ(result["result"]["fleet"]["resources"], 2) << result.dump();
    ASSERT_EQ(result["result"]["trained"].size(), 2u) << result.dump();
    for (const json& trained_one : result["result"]["trained"])
        EXPECT_NE(trained_one["weighed"].dump().find("lstm_fleet"), std::string::npos) << result.dump();
    EXPECT_DOUBLE_EQ(result["progress"].get<double>(), 1.0) << result.dump();
}

// A model file of `naive` models, one per name, trained on a 5-minute sine at `step` for `horizon` steps.
std::string NaiveModelFile(const std::vector<std::string>& names, UnixSeconds step, int horizon) {
    RegularSeries s;
    s.start = 1'700'006'400;
    s.step = step;
    for (int i = 0; i < 3 * 288; ++i) s.values.push_back(30 + 10 * std::sin(2 * M_PI * i / 288.0));
    std::vector<NamedModel> models;
    for (const std::string& name : names) {
        auto trained = TrainModel("naive", s, horizon);
        EXPECT_TRUE(trained.ok()) << trained.error().message;
        models.push_back({name, std::move(*trained)});
    }
    return SaveModels(models);
}

TEST_F(ApiTest, TrainedModelsGoOutAsModelFilesAndComeBackIn) {
    const int web = CreateResource("web", "sim/a");
    PushHistory(web);
    auto none = client_->Get("/api/resources/web/model");
    EXPECT_EQ(none.status, 404) << none.body;
    EXPECT_NE(none.body.find("POST /api/predictions/train"), std::string::npos) << none.body;
    auto train = client_->Post("/api/predictions/train", R"({"resource":"web"})");
    ASSERT_EQ(train.status, 202) << train.body;
    ASSERT_TRUE(jobs_.WaitFor(Body(train)["job_id"].get<int>(), std::chrono::seconds(30)));

    // Out: the bytes `cloudopt forecast --model-file` reads, saying what they are.
    auto exported = client_->Get("/api/resources/" + std::to_string(web) + "/model");
    ASSERT_EQ(exported.status, 200) << exported.body;
    EXPECT_EQ(exported.headers["content-type"], "application/octet-stream");
    EXPECT_EQ(exported.headers["content-disposition"], "attachment; filename=\"web.model\"");
    auto parsed = LoadModels(exported.body);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    ASSERT_EQ(parsed->size(), 1u);
    EXPECT_EQ((*parsed)[0].series, "web");
    EXPECT_EQ(exported.headers["x-cloudopt-model"], (*parsed)[0].trained.chosen);

    // In: another resource forecasts with it from now on.
    const int api = CreateResource("api", "sim/b");
    PushHistory(api);
    auto installed = client_->Request("PUT", "/api/resources/api/model", exported.body, "application/octet-stream");
    ASSERT_EQ(installed.status, 200) << installed.body;
    EXPECT_EQ(Body(installed)["model"], (*parsed)[0].trained.chosen);
    EXPECT_EQ(Body(installed)["resource"], api);
    const json forecast = Body(client_->Get("/api/predictions?resource=api"));
    EXPECT_EQ(forecast["model"], (*parsed)[0].trained.chosen) << forecast.dump();
    EXPECT_TRUE(forecast.contains("since_training")) << forecast.dump();
    auto back = client_->Get("/api/resources/api/model");
    ASSERT_EQ(back.status, 200);
    EXPECT_EQ((*LoadModels(back.body))[0].series, "api");  // stored under its new resource's name

    // A file of several models needs the one named; models for another grid or a shorter horizon are refused.
    const std::string two = NaiveModelFile({"a", "b"}, 300, 12);
    auto ambiguous = client_->Request("PUT", "/api/resources/api/model", two, "application/octet-stream");
    EXPECT_EQ(ambiguous.status, 422);
    EXPECT_NE(ambiguous.body.find("name one with series="), std::string::npos) << ambiguous.body;
    auto picked = client_->Request("PUT", "/api/resources/api/model?series=b", two, "application/octet-stream");
    ASSERT_EQ(picked.status, 200) << picked.body;
    EXPECT_EQ(Body(picked)["model"], "naive");
    EXPECT_EQ(client_->Request("PUT", "/api/resources/api/model?series=c", two, "application/octet-stream").status,
              422);
    auto minutes = client_->Request("PUT", "/api/resources/api/model", NaiveModelFile({"a"}, 60, 12), "");
    EXPECT_EQ(minutes.status, 422);
    EXPECT_NE(minutes.body.find("loop.forecast_step_seconds"), std::string::npos) << minutes.body;
    auto short_horizon = client_->Request("PUT", "/api/resources/api/model", NaiveModelFile({"a"}, 300, 3), "");
    EXPECT_EQ(short_horizon.status, 422);
    EXPECT_NE(short_horizon.body.find("--horizon 12"), std::string::npos) << short_horizon.body;
    // Bad bytes, no bytes, no such resource: refused, and the installed model stays.
    auto garbage = client_->Request("PUT", "/api/resources/api/model", "COMODEL4 but not really", "");
    EXPECT_EQ(garbage.status, 422);
    EXPECT_EQ(ErrorCodeOf(garbage), "unprocessable");
    EXPECT_EQ(client_->Request("PUT", "/api/resources/api/model", "", "").status, 400);
    EXPECT_EQ(client_->Request("PUT", "/api/resources/ghost/model", exported.body, "").status, 404);
    EXPECT_EQ(Body(client_->Get("/api/predictions?resource=api"))["model"], "naive");
}

TEST_F(ApiTest, AllocateRecommendationsAndActions) {
    const int web = CreateResource("web", "sim/a", "auto");
    const int api = CreateResource("api", "sim/b", "recommend");
    PushHistory(web);
    PushHistory(api);
    // A pass is a job: 202 at once, with where to follow it.
    auto queued = client_->Post("/api/resources/allocate", "{}");
    ASSERT_EQ(queued.status, 202) << queued.body;
    const int pass_job = Body(queued)["job_id"];
    EXPECT_EQ(queued.headers["location"], "/api/jobs/" + std::to_string(pass_job));
    EXPECT_EQ(Body(queued)["status_url"], "/api/jobs/" + std::to_string(pass_job));
    ASSERT_TRUE(jobs_.WaitFor(pass_job, std::chrono::seconds(30)));
    const json job = Body(client_->Get("/api/jobs/" + std::to_string(pass_job)));
    EXPECT_EQ(job["kind"], "allocate");
    EXPECT_EQ(job["subject"], "all");
    EXPECT_EQ(job["status"], "succeeded") << job.dump();
    json results = job["result"]["results"];
    ASSERT_EQ(results.size(), 2u);
    for (const json& r : results) {
        ASSERT_TRUE(r["decision"].is_object()) << r;
        EXPECT_FALSE(r["decision"]["reason"].get<std::string>().empty());
    }
    // web (auto) scaled from 8 to what the load needs; api (recommend) got a recommendation instead.
    EXPECT_EQ(results[0]["action"]["status"], "applied") << results[0];
    EXPECT_NE(results[0]["action"]["reason"].get<std::string>().find("forecast p95"), std::string::npos);
    EXPECT_TRUE(results[1]["recommendation"].is_object()) << results[1];
    EXPECT_EQ(results[1]["action"]["status"], "planned");

    // Or wait for it, up to 30 s: 200 with the outcomes once the job ended.
    auto one = client_->Post("/api/resources/allocate?wait_seconds=30", R"({"resource":"web"})");
    ASSERT_EQ(one.status, 200) << one.body;
    EXPECT_EQ(Body(one)["status"], "succeeded");
    EXPECT_EQ(Body(one)["results"].size(), 1u);
    EXPECT_EQ(Body(one)["results"][0]["resource_id"], web);
    const int one_job = Body(one)["job_id"];
    EXPECT_EQ(Body(client_->Get("/api/jobs/" + std::to_string(one_job)))["subject"], "resource:" + std::to_string(web));
    // An ended pass cannot be cancelled; the list shows both passes, newest first.
    EXPECT_EQ(client_->Post("/api/jobs/" + std::to_string(one_job) + "/cancel", "").status, 409);
    const json listed = Body(client_->Get("/api/jobs?limit=2"));
    ASSERT_EQ(listed["jobs"].size(), 2u) << listed.dump();
    EXPECT_EQ(listed["jobs"][0]["id"], one_job);
    EXPECT_EQ(listed["jobs"][1]["id"], pass_job);
    EXPECT_FALSE(listed["jobs"][0].contains("result"));
    EXPECT_EQ(client_->Get("/api/jobs?limit=0").status, 400);
    EXPECT_EQ(client_->Post("/api/resources/allocate", R"({"resource":"ghost"})").status, 404);
    EXPECT_EQ(client_->Post("/api/resources/allocate", R"({"resoruce":"web"})").status, 422);
    for (const char* wait : {"31", "-1", "soon"}) {
        auto bad = client_->Post(std::string("/api/resources/allocate?wait_seconds=") + wait, "{}");
        EXPECT_EQ(bad.status, 400) << wait << " " << bad.body;
        EXPECT_EQ(ErrorCodeOf(bad), "invalid_argument");
    }

    auto recs = client_->Get("/api/resources/recommendations");
    ASSERT_EQ(recs.status, 200);
    ASSERT_EQ(Body(recs)["recommendations"].size(), 1u);
    const int rec = Body(recs)["recommendations"][0]["id"];
    EXPECT_EQ(client_->Get("/api/resources/recommendations?status=bogus").status, 400);

    auto applied = client_->Post("/api/resources/recommendations/" + std::to_string(rec) + "/apply", "");
    ASSERT_EQ(applied.status, 200) << applied.body;
    EXPECT_EQ(Body(applied)["action"]["status"], "applied");
    EXPECT_EQ(client_->Post("/api/resources/recommendations/" + std::to_string(rec) + "/apply", "").status, 409);
    EXPECT_EQ(client_->Post("/api/resources/recommendations/" + std::to_string(rec) + "/dismiss", "").status, 409);
    EXPECT_EQ(client_->Post("/api/resources/recommendations/999/apply", "").status, 404);
    EXPECT_TRUE(Body(client_->Get("/api/resources/recommendations"))["recommendations"].empty());
    EXPECT_EQ(Body(client_->Get("/api/resources/recommendations?status=all"))["recommendations"].size(), 1u);

    auto actions = client_->Get("/api/actions?resource=web");
    ASSERT_EQ(actions.status, 200);
    ASSERT_FALSE(Body(actions)["actions"].empty());
    EXPECT_EQ(Body(actions)["actions"][0]["resource_id"], web);
    EXPECT_EQ(client_->Get("/api/actions?limit=0").status, 400);
    EXPECT_EQ(Body(client_->Get("/api/actions?limit=1"))["actions"].size(), 1u);
}

TEST_F(ApiTest, DashboardStatsAndHistory) {
    const int web = CreateResource("web", "sim/a", "auto");
    PushHistory(web);
    ASSERT_EQ(client_->Post("/api/resources/allocate?wait_seconds=30", "{}").status, 200);
    auto stats = client_->Get("/api/dashboard/stats");
    ASSERT_EQ(stats.status, 200) << stats.body;
    json s = Body(stats);
    EXPECT_EQ(s["counts"]["resources"], 1);
    EXPECT_GE(s["counts"]["actions_24h"].get<int>(), 1);
    // Cost now = desired instances x $0.1; static = ceil(peak 45 / (10 x 0.8)) = 6 instances.
    const int desired = s["resources"][0]["desired"];
    EXPECT_NEAR(s["cost_per_hour"].get<double>(), desired * 0.1, 1e-9);
    EXPECT_EQ(s["resources"][0]["static_instances"], 6);
    EXPECT_NEAR(s["static_cost_per_hour"].get<double>(), 0.6, 1e-9);
    EXPECT_NEAR(s["saving_per_hour"].get<double>(), 0.6 - desired * 0.1, 1e-9);
    EXPECT_TRUE(s["utilization"]["mean"].is_number());
    EXPECT_EQ(s["utilization"]["target_low"], 0.7);
    // One capacity record is not yet a span to compare over.
    EXPECT_TRUE(s["comparison"]["resources"][std::to_string(web)].contains("error"));

    // An hour of load and allocation passes: the comparison replays it.
    for (int i = 0; i < 12; ++i) {
        clock_.Advance(300);
        client_->SetHeader("Authorization", auth_->BearerFor("admin", Role::kAdmin));  // tokens expire in the hour
        json body = {{"series", {{{"resource", web}, {"metric", "cpu_cores"}, {"points", {{clock_.Now(), 35}}}}}}};
        ASSERT_EQ(client_->Post("/api/metrics", body.dump()).status, 200);
        ASSERT_EQ(client_->Post("/api/resources/allocate?wait_seconds=30", "{}").status, 200);
    }
    json comparison = Body(client_->Get("/api/dashboard/stats"))["comparison"];
    EXPECT_EQ(comparison["window_s"], 86400);
    for (const char* policy : {"static", "reactive", "oracle", "actual"}) {
        ASSERT_TRUE(comparison["policies"].contains(policy)) << comparison.dump();
        EXPECT_GT(comparison["policies"][policy]["cost"].get<double>(), 0.0) << policy;
    }
    const json& mine = comparison["resources"][std::to_string(web)];
    EXPECT_EQ(mine["steps"], 12);
    // Static holds a whole number of instances for the hour at $0.1 each; the oracle holds the load for less.
    const json& fixed = mine["policies"]["static"];
    EXPECT_NEAR(fixed["cost"].get<double>(), 0.1 * fixed["instance_hours"].get<double>(), 1e-9);
    EXPECT_NEAR(std::fmod(fixed["instance_hours"].get<double>(), 1.0), 0.0, 1e-9);
    EXPECT_EQ(fixed["unmet"], 0.0);
    EXPECT_EQ(mine["policies"]["oracle"]["unmet"], 0.0);
    EXPECT_LE(mine["policies"]["oracle"]["cost"].get<double>(), fixed["cost"].get<double>());
    EXPECT_EQ(Body(client_->Get("/api/resources/recommendations"))["comparison"]["resources"].size(), 1u);

    auto history = client_->Get("/api/dashboard/history?resource=web&from=" + std::to_string(kNow - 23 * 3600) +
                                "&to=" + std::to_string(kNow + 1) + "&step=3600");
    ASSERT_EQ(history.status, 200) << history.body;
    json h = Body(history)["resources"][0];
    EXPECT_EQ(h["demand"].size(), 24u);
    EXPECT_FALSE(h["capacity"].empty());
    EXPECT_FALSE(h["cost_per_hour"].empty());
    EXPECT_EQ(client_->Get("/api/dashboard/history?step=1&from=0&to=100000").status, 422);
    EXPECT_EQ(client_->Get("/api/dashboard/history?resource=ghost").status, 404);
    EXPECT_EQ(Body(client_->Get("/api/dashboard/history"))["resources"].size(), 1u);
}

TEST_F(ApiTest, TransportLimitsAndMalformedRequests) {
    // A body over the limit: 413 and the connection closes, the server lives on.
    std::string huge(2 * 1024 * 1024, 'x');
    auto big = client_->Post("/api/metrics", huge);
    EXPECT_EQ(big.status, 413);
    EXPECT_EQ(ErrorCodeOf(big), "payload_too_large");
    // Garbage instead of HTTP.
    const std::string reply = HttpClient::SendRaw(port_, "HELLO THERE\r\n\r\n");
    EXPECT_NE(reply.find("400"), std::string::npos) << reply;
    // Huge header.
    const std::string header_reply =
        HttpClient::SendRaw(port_, "GET /healthz HTTP/1.1\r\nX-A: " + std::string(64 * 1024, 'a') + "\r\n\r\n");
    EXPECT_NE(header_reply.find("400"), std::string::npos);
    // Keep-alive: many requests on one connection.
    HttpClient keep(port_);
    for (int i = 0; i < 50; ++i) ASSERT_EQ(keep.Get("/healthz").status, 200);
    EXPECT_EQ(client_->Get("/healthz").status, 200);
    // Bad percent-encoding, invalid UTF-8 in JSON strings.
    EXPECT_EQ(client_->Get("/api/resources?x=%G1").status, 400);
    auto utf = client_->Post("/api/resources", "{\"name\":\"\xff\xfe\"}");
    EXPECT_EQ(utf.status, 400);
}

TEST_F(ApiTest, MutatedBodiesNeverCrashOrFailInternally) {
    // Valid bodies, then thousands of mutations of them (byte flips, cuts, duplicated spans, type swaps): every
    // answer must be a client error or a success, never a 5xx, and the server must keep answering.
    CreateResource("web", "sim/a");
    const std::vector<std::pair<std::string, std::string>> seeds = {
        {"/api/metrics", R"({"samples":[{"resource":"web","metric":"cpu_cores","ts":1700000000,"value":1.5}],)"
                         R"("series":[{"resource":1,"metric":"m","points":[[1700000000,2],[1700000060,3]]}]})"},
        {"/api/resources", R"({"name":"x","provider":"aws","provider_ref":"sim/b","instance_type":"m5.large",)"
                           R"("min_capacity":1,"max_capacity":5,"target_low":0.7,"target_high":0.8,"mode":"auto"})"},
        {"/api/resources/allocate", R"({"resource":"web"})"},
        {"/api/predictions/train", R"({"resource":1})"},
    };
    std::mt19937 rng(1234);
    const std::string alphabet = "{}[]\",:0123456789.-eE truefalsnul\\\x00\xff";
    int requests = 0;
    for (const auto& [target, seed] : seeds) {
        for (int i = 0; i < 250; ++i) {
            std::string body = seed;
            const int edits = 1 + static_cast<int>(rng() % 4);
            for (int e = 0; e < edits && !body.empty(); ++e) {
                const std::size_t at = rng() % body.size();
                switch (rng() % 4) {
                    case 0:
                        body[at] = alphabet[rng() % alphabet.size()];
                        break;
                    case 1:
                        body.resize(at);
                        break;
                    case 2:
                        body.insert(at, body.substr(at, rng() % 16));
                        break;
                    case 3:
                        body.insert(at, 1, alphabet[rng() % alphabet.size()]);
                        break;
                }
            }
            auto r = client_->Post(target, body);
            ++requests;
            ASSERT_TRUE(r.status < 500) << target << " " << body << " -> " << r.status << " " << r.body;
            if (r.status >= 400) ErrorCodeOf(r);
        }
        // A PUT on the resource too.
        auto put = client_->Request("PUT", "/api/resources/1", seed);
        EXPECT_LT(put.status, 500) << put.body;
    }
    EXPECT_EQ(requests, 1000);
    EXPECT_EQ(client_->Get("/healthz").status, 200);
}

TEST_F(ApiTest, OpenApiDocumentAndRouterAgree) {
    auto r = client_->Get("/api/openapi.json");
    ASSERT_EQ(r.status, 200);
    const json doc = Body(r);
    EXPECT_EQ(doc["openapi"].get<std::string>().rfind("3.", 0), 0u);
    std::set<std::pair<std::string, std::string>> described;
    for (const auto& [path, item] : doc["paths"].items()) {
        for (const auto& [method, op] : item.items()) {
            std::string upper = method;
            std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
            described.insert({upper, path});
            EXPECT_TRUE(op.contains("responses") && op.contains("summary")) << method << " " << path;
        }
    }
    std::set<std::pair<std::string, std::string>> routed;
    for (const api::RouteInfo& route : router_.Routes()) routed.insert({route.method, route.pattern});
    for (const auto& x : routed)
        EXPECT_TRUE(described.count(x)) << "routed, not described: " << x.first << " " << x.second;
    for (const auto& x : described)
        EXPECT_TRUE(routed.count(x)) << "described, not routed: " << x.first << " " << x.second;
    EXPECT_GE(routed.size(), 20u);
}

}  // namespace
}  // namespace cloudopt
