// "Saved against static" (docs/SAVINGS.md): one definition, computed once on the server, the same in the cards'
// field (`saved`) and the comparison table (`comparison`), and never counting open recommendations.

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "api/api_fixture.hpp"
#include "api/policy_comparison.hpp"

namespace cloudopt {
namespace {

class SavingsTest : public ApiTest {
  protected:
    // An hour of load and allocation passes on every resource, so the comparison has managed steps to replay.
    void RunAnHour(const std::vector<int>& ids) {
        ASSERT_EQ(client_->Post("/api/resources/allocate?wait_seconds=30", "{}").status, 200);
        for (int i = 0; i < 12; ++i) {
            clock_.Advance(300);
            client_->SetHeader("Authorization", auth_->BearerFor("admin", Role::kAdmin));  // tokens expire in the hour
            json series = json::array();
            for (int id : ids)
                series.push_back({{"resource", id}, {"metric", "cpu_cores"}, {"points", {{clock_.Now(), 35}}}});
            ASSERT_EQ(client_->Post("/api/metrics", json{{"series", series}}.dump()).status, 200);
            ASSERT_EQ(client_->Post("/api/resources/allocate?wait_seconds=30", "{}").status, 200);
        }
    }
};

TEST_F(SavingsTest, TheCardsNumbersAreTheTablesDifference) {
    const int web = CreateResource("web", "sim/a", "auto");
    PushHistory(web);
    RunAnHour({web});
    const json s = Body(client_->Get("/api/dashboard/stats"));
    const json& table = s["comparison"];
    ASSERT_TRUE(table["policies"].contains("static")) << table.dump();
    const double static_cost = table["policies"]["static"]["cost"];
    const double actual_cost = table["policies"]["actual"]["cost"];
    EXPECT_GT(static_cost, 0.0);
    EXPECT_GT(actual_cost, 0.0);

    // The day card: exactly the table's static cost minus what ran, over the same window.
    const json& day = s["saved"]["day"];
    EXPECT_EQ(day["window_s"], 86400);
    EXPECT_EQ(day["step_s"], 300);
    EXPECT_EQ(day["resources"], 1);
    EXPECT_DOUBLE_EQ(day["static_cost"].get<double>(), static_cost);
    EXPECT_DOUBLE_EQ(day["actual_cost"].get<double>(), actual_cost);
    EXPECT_DOUBLE_EQ(day["saved"].get<double>(), static_cost - actual_cost);
    // Per resource too, and the recommendations page shows the same table.
    const json& mine = table["resources"][std::to_string(web)];
    EXPECT_DOUBLE_EQ(mine["saved"].get<double>(), mine["policies"]["static"]["cost"].get<double>() -
                                                      mine["policies"]["actual"]["cost"].get<double>());
    EXPECT_EQ(Body(client_->Get("/api/resources/recommendations"))["comparison"], table);

    // What ran is what was billed: the recorded cost per hour over the managed steps (the first step is not scored).
    const json history = Body(client_->Get("/api/dashboard/history?resource=web&step=300&from=" + std::to_string(kNow) +
                                           "&to=" + std::to_string(clock_.Now() + 1)));
    double billed = 0.0;
    const json& cost = history["resources"][0]["cost_per_hour"];
    for (std::size_t i = 1; i < cost.size(); ++i) billed += cost[i][1].get<double>() * 300 / 3600.0;
    EXPECT_EQ(mine["steps"], 12);
    EXPECT_NEAR(actual_cost, billed, 1e-9) << history.dump();
    // Static holds a whole number of instances over the hour at $0.1 each.
    EXPECT_NEAR(std::fmod(table["policies"]["static"]["instance_hours"].get<double>(), 1.0), 0.0, 1e-9);

    // The longer windows: the same definition over their spans; with one hour recorded, every window replays it.
    for (const auto& [key, window, step] : {std::tuple{"week", 7 * 86400, 300}, std::tuple{"month", 30 * 86400, 300}}) {
        const json& w = s["saved"][key];
        EXPECT_EQ(w["window_s"], window) << key;
        EXPECT_EQ(w["step_s"], step) << key;
        ASSERT_TRUE(w["saved"].is_number()) << key << " " << w.dump();
        EXPECT_DOUBLE_EQ(w["saved"].get<double>(), w["static_cost"].get<double>() - w["actual_cost"].get<double>());
        EXPECT_DOUBLE_EQ(w["saved"].get<double>(), day["saved"].get<double>()) << key;
    }
}

TEST_F(SavingsTest, NothingToReplayYetSaysSoInsteadOfZero) {
    CreateResource("web", "sim/a", "auto");
    const json s = Body(client_->Get("/api/dashboard/stats"));
    for (const char* key : {"day", "week", "month"}) {
        EXPECT_TRUE(s["saved"][key]["saved"].is_null()) << s["saved"].dump();
        EXPECT_FALSE(s["saved"][key]["reason"].get<std::string>().empty());
        EXPECT_EQ(s["saved"][key]["resources"], 0);
    }
    EXPECT_EQ(s["could_save"]["per_hour"], 0.0);
    EXPECT_EQ(s["could_save"]["open_recommendations"], 0);
}

TEST_F(SavingsTest, AnOpenRecommendationCouldSaveButIsNeverSaved) {
    const int web = CreateResource("web", "sim/a", "auto");
    const int gateway = CreateResource("api", "sim/b", "recommend");
    PushHistory(web);
    PushHistory(gateway);
    RunAnHour({web, gateway});
    // api (recommend, 8 instances for ~35 cores) has an open proposal to scale in.
    const json recs = Body(client_->Get("/api/resources/recommendations"));
    ASSERT_EQ(recs["recommendations"].size(), 1u) << recs.dump();
    const json& rec = recs["recommendations"][0];
    const double proposed = rec["hourly_cost_before"].get<double>() - rec["hourly_cost_after"].get<double>();
    ASSERT_GT(proposed, 0.0) << rec.dump();
    EXPECT_DOUBLE_EQ(recs["could_save"]["per_hour"].get<double>(), proposed);
    EXPECT_EQ(recs["could_save"]["open_recommendations"], 1);
    EXPECT_FALSE(recs.contains("open_hourly_saving"));

    const json with_open = Body(client_->Get("/api/dashboard/stats"));
    EXPECT_DOUBLE_EQ(with_open["could_save"]["per_hour"].get<double>(), proposed);
    EXPECT_EQ(with_open["could_save"]["open_recommendations"], 1);
    ASSERT_TRUE(with_open["saved"]["day"]["saved"].is_number()) << with_open["saved"].dump();
    EXPECT_DOUBLE_EQ(with_open["saved"]["day"]["saved"].get<double>(),
                     with_open["comparison"]["policies"]["static"]["cost"].get<double>() -
                         with_open["comparison"]["policies"]["actual"]["cost"].get<double>());

    // Dismissed at the same moment, replayed afresh (no cached figures): "saved" does not move, "could save" is gone.
    ASSERT_EQ(
        client_->Post("/api/resources/recommendations/" + std::to_string(rec["id"].get<int>()) + "/dismiss", "").status,
        200);
    context_->comparison_cache = api::NewComparisonCache();
    const json without = Body(client_->Get("/api/dashboard/stats"));
    for (const char* key : {"day", "week", "month"}) EXPECT_EQ(without["saved"][key], with_open["saved"][key]) << key;
    EXPECT_EQ(without["could_save"]["per_hour"], 0.0);
    EXPECT_EQ(without["could_save"]["open_recommendations"], 0);
}

}  // namespace
}  // namespace cloudopt
