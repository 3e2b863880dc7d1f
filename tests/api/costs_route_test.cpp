// GET /api/costs: the month so far from the recorded cost per hour, the projection from the load history.
#include "api/api_fixture.hpp"
#include "api/cost_report.hpp"

namespace cloudopt {
namespace {

class CostsApiTest : public ApiTest {
  protected:
    // Two days of cost at 0.8 $/h, hourly, before now.
    void PushCost(int id) {
        SeriesSamples cost{{static_cast<ResourceId>(id), "cost_per_hour"}, {}};
        for (UnixSeconds t = kNow - 2 * 86400; t < kNow; t += 3600) cost.samples.push_back({t, 0.8});
        ASSERT_TRUE(store_->AppendSamples(std::span<const SeriesSamples>(&cost, 1)).ok());
    }
    const json* Group(const json& body, const std::string& kind, const std::string& name) {
        for (const json& g : body["groups"])
            if (g["kind"] == kind && g["name"] == name) return &g;
        return nullptr;
    }
};

TEST_F(CostsApiTest, ServesTheMonthSoFarAndItsProjectionByResourceProviderAndTotal) {
    const int web = CreateResource("web", "sim/a");
    CreateResource("idle", "sim/b");  // no load history: no projection, and a note that says why
    PushHistory(web);
    PushCost(web);
    auto r = client_->Get("/api/costs");
    ASSERT_EQ(r.status, 200) << r.body;
    const json body = Body(r);
    EXPECT_EQ(body["month"], "2023-11");  // kNow is 2023-11-18 00:00 UTC
    const json* w = Group(body, "resource", "web");
    ASSERT_NE(w, nullptr);
    EXPECT_NEAR((*w)["actual_to_date"].get<double>(), 38.4, 0.01);  // 48 h x 0.8 $/h
    ASSERT_TRUE((*w)["rest_of_month"].is_object()) << w->dump();
    // 13 days left; the load (30-45 cores, 10 per instance at 75%) needs 4-6 m5.large at 0.1 $/h.
    const double p10 = (*w)["rest_of_month"]["p10"], p50 = (*w)["rest_of_month"]["p50"],
                 p90 = (*w)["rest_of_month"]["p90"];
    EXPECT_LE(p10, p50);
    EXPECT_LE(p50, p90);
    EXPECT_GE(p50, 13 * 24 * 4 * 0.1 - 0.01);
    EXPECT_LE(p50, 13 * 24 * 6 * 0.1 + 0.01);
    EXPECT_NEAR((*w)["month_end"]["p50"].get<double>(), 38.4 + p50, 0.02);
    ASSERT_EQ((*w)["days"].size(), 30u);
    EXPECT_NEAR((*w)["days"][16]["actual"].get<double>(), 19.2, 0.01);  // 2023-11-17
    EXPECT_TRUE((*w)["days"][16]["forecast"].is_null());
    EXPECT_TRUE((*w)["days"][17]["forecast"].is_object());  // today, 2023-11-18

    const json* idle = Group(body, "resource", "idle");
    ASSERT_NE(idle, nullptr);
    EXPECT_TRUE((*idle)["rest_of_month"].is_null());
    EXPECT_NE((*idle)["note"].get<std::string>().find("whole day"), std::string::npos);
    const json* aws = Group(body, "provider", "aws");
    const json* total = Group(body, "total", "total");
    ASSERT_TRUE(aws && total);
    EXPECT_DOUBLE_EQ((*total)["month_end"]["p50"].get<double>(), (*w)["month_end"]["p50"].get<double>());
    EXPECT_DOUBLE_EQ((*aws)["actual_to_date"].get<double>(), (*w)["actual_to_date"].get<double>());
    EXPECT_NE((*total)["note"].get<std::string>().find("1 of 2"), std::string::npos);
}

TEST_F(CostsApiTest, ExportsCsvAndRefusesUnknownFormatsAndKinds) {
    const int web = CreateResource("web", "sim/a");
    PushHistory(web);
    auto r = client_->Get("/api/costs?format=csv&kind=resource");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body.rfind("kind,name,date,actual,forecast_p10,forecast_p50,forecast_p90\n", 0), 0u);
    EXPECT_EQ(std::count(r.body.begin(), r.body.end(), '\n'), 1 + 30 + 1);  // header, the days, the month
    EXPECT_NE(r.body.find("\nresource,web,2023-11,0.00,"), std::string::npos);
    // A name a spreadsheet would run as a formula is defused (OWASP's leading quote), and quoted where it must be.
    const int formula = CreateResource("=HYPERLINK(\"http://x\",\"a,b\")", "sim/b");
    PushHistory(formula);
    auto defused = client_->Get("/api/costs?format=csv&kind=resource");
    ASSERT_EQ(defused.status, 200) << defused.body;
    EXPECT_NE(defused.body.find("\nresource,\"'=HYPERLINK(\"\"http://x\"\",\"\"a,b\"\")\",2023-11-01,"),
              std::string::npos)
        << defused.body.substr(0, 400);
    EXPECT_EQ(defused.body.find("\nresource,=HYPERLINK"), std::string::npos);
    auto bad = client_->Get("/api/costs?format=xml");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(ErrorCodeOf(bad), "invalid_argument");
    EXPECT_EQ(client_->Get("/api/costs?kind=team").status, 400);
}

TEST(CostReport, TheUtcMonthOfATime) {
    const auto [start, end] = api::UtcMonthOf(1'700'265'600);  // 2023-11-18
    EXPECT_EQ(start, 1'698'796'800);                           // 2023-11-01
    EXPECT_EQ(end, 1'701'388'800);                             // 2023-12-01
}

}  // namespace
}  // namespace cloudopt
