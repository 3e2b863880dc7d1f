#include "app/simulate_report.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace cloudopt {
namespace {

using nlohmann::json;

// A summary as `simulate --json` prints it, with three series whose predictive cost is 0.1, 0.5 and 0.2 above the
// oracle's.
json Summary() {
    json per_series = json::object();
    auto row = [](double predictive, double oracle) {
        return json{{"static", {{"cost_rel", 1.0}, {"unmet", 0.0}, {"hot", 0.0}}},
                    {"predictive", {{"cost_rel", predictive}, {"unmet", 0.0125}, {"hot", 0.0}}},
                    {"oracle", {{"cost_rel", oracle}, {"unmet", 0.0}, {"hot", 0.0}}}};
    };
    per_series["vm<a>"] = row(0.5, 0.4);
    per_series["vm_b"] = row(0.9, 0.4);
    per_series["vm_c"] = row(0.6, 0.4);
    json policy = {{"cost", 1.0}, {"cost_rel", 0.5}, {"unmet", 0.0}, {"hot", 0.0}, {"util", 0.5}, {"actions", 1}};
    return json{{"series", 3},          {"boot_delay_s", 180},
                {"target", 0.75},       {"policies", {{"static", policy}, {"predictive", policy}, {"oracle", policy}}},
                {"per_series", per_series}};
}

TEST(SimulateReport, RanksTheSeriesByWhatPredictiveCostAboveTheOracle) {
    const std::string html = RenderReport("f.csv", Summary().dump(), {}, {"static", "predictive", "oracle"});
    const std::size_t b = html.find("<td>vm_b</td>");
    const std::size_t c = html.find("<td>vm_c</td>");
    const std::size_t a = html.find("<td>vm&lt;a&gt;</td>");
    ASSERT_NE(b, std::string::npos) << html;
    ASSERT_NE(c, std::string::npos);
    ASSERT_NE(a, std::string::npos);  // escaped: a series name is data, not markup
    EXPECT_LT(b, c);
    EXPECT_LT(c, a);
    // vm_b: 0.9 / 0.4 of static, and 0.5 of the 0.8 that predictive cost above the oracle over all series.
    const std::string row_b = html.substr(b, html.find("</tr>", b) - b);
    EXPECT_NE(row_b.find("<td>0.900 / 1.25%</td>"), std::string::npos) << row_b;
    EXPECT_NE(row_b.find("<td>2.25&times;</td><td>62.5%</td>"), std::string::npos) << row_b;
    EXPECT_EQ(html.find("Over time"), std::string::npos);  // no series to chart were given
    // `simulate` charts the first of them, in the table's order.
    EXPECT_EQ(SeriesInReportOrder(Summary()["per_series"], {"static", "predictive", "oracle"}),
              (std::vector<std::string>{"vm_b", "vm_c", "vm<a>"}));
}

TEST(SimulateReport, WithoutTheOracleTheTableIsNotRanked) {
    json summary = Summary();
    for (auto& [id, row] : summary["per_series"].items()) row.erase("oracle");
    const std::string html = RenderReport("f.csv", summary.dump(), {}, {"static", "predictive"});
    EXPECT_NE(html.find("<h2>Per series</h2>"), std::string::npos);
    EXPECT_EQ(html.find("predictive / oracle"), std::string::npos);
    EXPECT_LT(html.find("<td>vm&lt;a&gt;</td>"), html.find("<td>vm_b</td>"));  // by name
}

}  // namespace
}  // namespace cloudopt
