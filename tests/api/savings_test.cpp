// "Saved against static" (docs/SAVINGS.md): one definition, computed once on the server, the same in the cards'
// field (`saved`) and the comparison table (`comparison`), and never counting open recommendations.

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "api/api_fixture.hpp"
#include "api/dashboard_live.hpp"
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

// GET /api/dashboard/savings: the Overview's cost chart. Over the day window it is the day card's figure, and the
// area between its two lines is that figure, however coarse the buckets.
TEST_F(SavingsTest, TheCostChartOverADayIsTheDayCardAndItsAreaIsTheFigure) {
    const int web = CreateResource("web", "sim/a", "auto");
    const int gateway = CreateResource("api", "sim/b", "auto");
    PushHistory(web);
    PushHistory(gateway);
    RunAnHour({web, gateway});
    const json s = Body(client_->Get("/api/dashboard/stats"));
    const json& day = s["saved"]["day"];
    ASSERT_TRUE(day["saved"].is_number()) << day.dump();
    for (const char* points : {"", "&points=10"}) {
        const json chart = Body(client_->Get(std::string("/api/dashboard/savings?last=86400") + points));
        EXPECT_EQ(chart["now"], s["now"]);
        EXPECT_EQ(chart["step"], 300);
        EXPECT_DOUBLE_EQ(chart["static_cost"].get<double>(), day["static_cost"].get<double>()) << points;
        EXPECT_DOUBLE_EQ(chart["actual_cost"].get<double>(), day["actual_cost"].get<double>()) << points;
        EXPECT_DOUBLE_EQ(chart["saved"].get<double>(), day["saved"].get<double>()) << points;
        EXPECT_EQ(chart["resources"].size(), 2u);
        // Each bucket holds whole 5-minute steps up to the last scored one: width = bucket_s, the last one shorter.
        const json& series = chart["series"];
        ASSERT_GT(series.size(), 1u) << chart.dump();
        const UnixSeconds bucket = chart["bucket_s"];
        double area = 0.0, ran = 0.0;
        for (std::size_t i = 0; i < series.size(); ++i) {
            const UnixSeconds ts = series[i][0];
            // A bucket covers whole steps up to the next one; the last ends with the last scored step, the one
            // that began at now (the hour's final sample).
            const UnixSeconds end = i + 1 < series.size()
                                        ? series[i + 1][0].get<UnixSeconds>()
                                        : std::min<UnixSeconds>(ts + bucket, clock_.Now() / 300 * 300 + 300);
            const double hours = static_cast<double>(end - ts) / 3600.0;
            area += (series[i][2].get<double>() - series[i][1].get<double>()) * hours;
            ran += series[i][1].get<double>() * hours;
        }
        EXPECT_NEAR(ran, day["actual_cost"].get<double>(), 1e-9) << points << " " << chart.dump();
        EXPECT_NEAR(area, day["saved"].get<double>(), 1e-9) << points;
        if (*points) {
            EXPECT_LE(series.size(), 10u);
        }
    }
    // Static holds one level over the range once both resources are replayed: a flat line.
    const json chart = Body(client_->Get("/api/dashboard/savings?last=86400"));
    EXPECT_DOUBLE_EQ(chart["series"][1][2].get<double>(), chart["series"].back()[2].get<double>());
}

TEST_F(SavingsTest, TheCostChartRefusesWhatItCannotDraw) {
    CreateResource("web", "sim/a", "auto");
    const json none = Body(client_->Get("/api/dashboard/savings"));
    EXPECT_TRUE(none["saved"].is_null());
    EXPECT_FALSE(none["reason"].get<std::string>().empty());
    EXPECT_EQ(client_->Get("/api/dashboard/savings?from=100&last=3600").status, 400);
    EXPECT_EQ(client_->Get("/api/dashboard/savings?last=" + std::to_string(40 * 86400)).status, 422);
    EXPECT_EQ(client_->Get("/api/dashboard/savings?from=2000&to=1000").status, 400);
    const auto bad = client_->Get("/api/dashboard/savings?points=abc");
    EXPECT_EQ(bad.status, 400);
    EXPECT_TRUE(Body(bad)["error"]["message"].get<std::string>().find("points") != std::string::npos) << bad.body;
}

// History carries utilization (load over what was ready), the figure the charts draw against the band.
TEST_F(SavingsTest, HistoryCarriesUtilizationAgainstTheBand) {
    const int web = CreateResource("web", "sim/a", "auto");
    PushHistory(web);
    RunAnHour({web});
    const json h = Body(client_->Get("/api/dashboard/history?resource=web&step=300&last=3600"));
    const json& r = h["resources"][0];
    ASSERT_FALSE(r["utilization"].empty()) << h.dump();
    EXPECT_EQ(h["now"], clock_.Now());
    EXPECT_EQ(h["from"], clock_.Now() - 3600);
    std::map<UnixSeconds, double> demand, ready;
    for (const json& p : r["demand"]) demand[p[0]] = p[1];
    for (const json& p : r["capacity"]) ready[p[0]] = p[1];
    for (const json& p : r["utilization"]) {
        const UnixSeconds ts = p[0];
        ASSERT_TRUE(demand.count(ts) && ready.count(ts));
        EXPECT_NEAR(p[1].get<double>(),
                    std::min(1.0, demand[ts] / (ready[ts] * r["capacity_per_instance"].get<double>())), 1e-12);
    }
    EXPECT_EQ(r["target_low"], 0.7);
}

// The live event carries deltas: the newest samples and the actions since the last event (none in the first: the
// page has just loaded them); the next planned changes come from the stored forecasts.
TEST_F(SavingsTest, LiveEventsCarryTheNewestSamplesAndNewActions) {
    const int web = CreateResource("web", "sim/a", "auto");
    PushHistory(web);
    api::detail::LiveCursor cursor;
    const json first = json::parse(api::detail::LiveEventData(*context_, cursor, 1, clock_.Now()));
    EXPECT_EQ(first["now"], clock_.Now());
    EXPECT_TRUE(first["actions"].empty());
    EXPECT_FALSE(first["alerts_changed"].get<bool>());
    ASSERT_EQ(first["resources"].size(), 1u);
    EXPECT_EQ(first["resources"][0]["id"], web);

    RunAnHour({web});
    const json actions = Body(client_->Get("/api/actions?resource=web&limit=1000"));
    const json next = json::parse(api::detail::LiveEventData(*context_, cursor, 2, clock_.Now()));
    const json& sample = next["resources"][0];
    EXPECT_EQ(sample["ts"], clock_.Now());
    // The newest stored sample of the load metric (the loop's own collection may add one at the same time).
    const Resource resource = *store_->GetResource(web);
    const auto stored = store_->QuerySamples({web, resource.load_metric}, clock_.Now() - 600, clock_.Now() + 1);
    ASSERT_TRUE(stored && !stored->empty());
    EXPECT_EQ(sample["demand"].get<double>(), stored->back().value);
    EXPECT_TRUE(sample["ready"].is_number());
    EXPECT_TRUE(sample["cost_per_hour"].is_number());
    // Every action the hour recorded, oldest first, each once.
    ASSERT_EQ(next["actions"].size(), actions["actions"].size()) << next.dump();
    if (!next["actions"].empty()) {
        EXPECT_EQ(next["actions"].back()["id"], actions["actions"][0]["id"]);
    }
    const json again = json::parse(api::detail::LiveEventData(*context_, cursor, 3, clock_.Now()));
    EXPECT_TRUE(again["actions"].empty());
    EXPECT_TRUE(next["forecasts"].contains(std::to_string(web))) << next.dump();

    const json planned = Body(client_->Get("/api/dashboard/planned"));
    for (const json& c : planned["changes"]) {
        EXPECT_NE(c["from"], c["to"]);
        EXPECT_GE(c["ts"].get<UnixSeconds>(), clock_.Now());
    }
}

}  // namespace
}  // namespace cloudopt
