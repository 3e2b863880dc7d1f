#include "app/simulate_report.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace cloudopt {

namespace {

const char* Color(const std::string& policy) {
    if (policy == "static") return "#888888";
    if (policy == "reactive") return "#d62728";
    if (policy == "predictive") return "#1f77b4";
    if (policy == "perfect_forecast") return "#9467bd";
    return "#2ca02c";  // oracle
}

std::string Escape(const std::string& s) {
    std::string out;
    for (char ch : s) {
        switch (ch) {
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '&':
                out += "&amp;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += ch;
        }
    }
    return out;
}

std::string Num(double v, int decimals = 1) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

bool Ranked(const std::vector<std::string>& names) {
    return std::find(names.begin(), names.end(), "predictive") != names.end() &&
           std::find(names.begin(), names.end(), "oracle") != names.end();
}

// What predictive cost above the oracle, relative to static, on one series' row of `per_series`.
double Excess(const nlohmann::json& row) {
    return row["predictive"]["cost_rel"].get<double>() - row["oracle"]["cost_rel"].get<double>();
}

// Horizontal bars of one measure per policy.
std::string Bars(const nlohmann::json& policies, const std::vector<std::string>& names, const char* measure,
                 const char* title, bool percent) {
    constexpr int kWidth = 420, kRow = 26;
    double top = 1e-9;
    for (const std::string& n : names) top = std::max(top, policies[n][measure].get<double>());
    std::string svg = "<figure><figcaption>" + std::string(title) + "</figcaption><svg role=\"img\" aria-label=\"" +
                      title + "\" width=\"" + std::to_string(kWidth + 220) + "\" height=\"" +
                      std::to_string(kRow * static_cast<int>(names.size()) + 8) + "\">";
    int y = 4;
    for (const std::string& n : names) {
        const double v = policies[n][measure].get<double>();
        const int w = static_cast<int>(kWidth * v / top);
        char label[64];
        std::snprintf(label, sizeof label, percent ? "%.2f%%" : "%.3f", percent ? v * 100 : v);
        svg += "<text x=\"0\" y=\"" + std::to_string(y + 16) + "\">" + Escape(n) + "</text><rect x=\"90\" y=\"" +
               std::to_string(y) + "\" width=\"" + std::to_string(std::max(1, w)) + "\" height=\"20\" fill=\"" +
               Color(n) + "\"/><text x=\"" + std::to_string(96 + w) + "\" y=\"" + std::to_string(y + 16) + "\">" +
               label + "</text>";
        y += kRow;
    }
    return svg + "</svg></figure>";
}

// Demand (in instances at 100%) as a line, each policy's ready instances as a step line.
std::string Timeline(const ReportSeries& s, const std::vector<std::string>& names) {
    constexpr int kWidth = 900, kHeight = 260;
    const SeriesReplay& r = s.replay;
    const std::size_t n = r.demand.size();
    if (n < 2) return "";
    double top = 1e-9;
    for (double d : r.demand) top = std::max(top, d / r.capacity_per_instance);
    for (const std::string& p : names)
        for (int v : r.policies.at(p).ready) top = std::max(top, static_cast<double>(v));
    top *= 1.05;
    auto x = [&](std::size_t i) { return Num(kWidth * static_cast<double>(i) / static_cast<double>(n - 1)); };
    auto y = [&](double v) { return Num(kHeight - kHeight * v / top); };
    std::string svg = "<figure><figcaption>" + Escape(s.id) +
                      ": demand (black, in instances at 100%) and ready instances per policy</figcaption><svg "
                      "role=\"img\" aria-label=\"timeline of " +
                      Escape(s.id) + "\" viewBox=\"0 0 " + std::to_string(kWidth) + " " + std::to_string(kHeight) +
                      "\" width=\"100%\">";
    for (const std::string& p : names) {
        const std::vector<int>& ready = r.policies.at(p).ready;
        std::string points;
        for (std::size_t i = 0; i < ready.size(); ++i) {
            points += x(i) + "," + y(ready[i]) + " ";
            if (i + 1 < ready.size()) points += x(i + 1) + "," + y(ready[i]) + " ";
        }
        svg += "<polyline fill=\"none\" stroke-width=\"1.2\" stroke=\"" + std::string(Color(p)) + "\" points=\"" +
               points + "\"/>";
    }
    std::string demand;
    for (std::size_t i = 0; i < n; ++i) demand += x(i) + "," + y(r.demand[i] / r.capacity_per_instance) + " ";
    svg += "<polyline fill=\"none\" stroke=\"#000\" stroke-width=\"0.8\" points=\"" + demand + "\"/>";
    return svg + "</svg></figure>";
}

// One row per series: each policy's cost relative to static and its unmet share. With predictive and the oracle
// both run, the rows go by what predictive paid above the oracle, the most first: that is where forecast error
// costs money, and what a user looks at before trusting the policy with a resource like it.
std::string PerSeriesTable(const nlohmann::json& per_series, const std::vector<std::string>& names) {
    constexpr std::size_t kMaxRows = 100;
    const std::vector<std::string> ids = SeriesInReportOrder(per_series, names);
    const bool ranked = Ranked(names);
    double total_excess = 0.0;
    if (ranked)
        for (const std::string& id : ids) total_excess += Excess(per_series[id]);
    std::string html = "<h2>Per series</h2><p>Cost relative to static / share of steps unmet, per policy.";
    if (ranked)
        html +=
            " Sorted by what the predictive policy cost above the oracle (perfect foresight), the most first: "
            "where forecast error costs money. The share is that series' part of the difference over all series.";
    html += "</p><table><tr><th>series</th>";
    for (const std::string& n : names) html += "<th>" + Escape(n) + "</th>";
    if (ranked) html += "<th>predictive / oracle</th><th>share of the difference</th>";
    html += "</tr>";
    for (std::size_t i = 0; i < ids.size() && i < kMaxRows; ++i) {
        const nlohmann::json& row = per_series[ids[i]];
        html += "<tr><td>" + Escape(ids[i]) + "</td>";
        for (const std::string& n : names) {
            char cell[64];
            std::snprintf(cell, sizeof cell, "<td>%.3f / %.2f%%</td>", row[n]["cost_rel"].get<double>(),
                          100 * row[n]["unmet"].get<double>());
            html += cell;
        }
        if (ranked) {
            const double oracle = row["oracle"]["cost_rel"].get<double>();
            const double predictive = row["predictive"]["cost_rel"].get<double>();
            html += "<td>" + (oracle > 0 ? Num(predictive / oracle, 2) + "&times;" : "") + "</td><td>" +
                    (total_excess > 0 ? Num(100 * Excess(row) / total_excess) + "%" : "") + "</td>";
        }
        html += "</tr>";
    }
    html += "</table>";
    if (ids.size() > kMaxRows)
        html += "<p>" + std::to_string(ids.size() - kMaxRows) + " more series: see <code>--json</code>.</p>";
    return html;
}

}  // namespace

std::vector<std::string> SeriesInReportOrder(const nlohmann::json& per_series, const std::vector<std::string>& names) {
    std::vector<std::string> ids;
    for (auto it = per_series.begin(); it != per_series.end(); ++it) ids.push_back(it.key());
    if (Ranked(names))
        std::stable_sort(ids.begin(), ids.end(), [&](const std::string& a, const std::string& b) {
            return Excess(per_series[a]) > Excess(per_series[b]);
        });
    return ids;
}

std::string RenderReport(const std::string& data_file, const std::string& summary_json,
                         const std::vector<ReportSeries>& series, const std::vector<std::string>& policies) {
    const nlohmann::json summary = nlohmann::json::parse(summary_json);
    const nlohmann::json& p = summary["policies"];
    std::string html =
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
        "content=\"width=device-width\"><title>cloudopt simulate</title><style>body{font:14px system-ui,sans-serif;"
        "margin:2em;max-width:1000px}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid "
        "#ddd;text-align:right}th:first-child,td:first-child{text-align:left}figure{margin:1.5em "
        "0}</style></head><body>";
    html += "<h1>Policy comparison</h1><p>" + Escape(data_file) + ": " + std::to_string(summary["series"].get<int>()) +
            " series, boot delay " + std::to_string(summary["boot_delay_s"].get<long long>()) + " s, target " +
            Num(summary["target"].get<double>() * 100) +
            "%. Cost is relative to static allocation, averaged over "
            "series; unmet is the share of steps whose demand exceeded ready capacity.</p>";
    html +=
        "<table><tr><th>policy</th><th>cost (instance-hours)</th><th>cost vs static</th><th>unmet</th><th>hot "
        "(&gt;90%)</th><th>utilization</th><th>actions</th><th>changes per resource-day</th><th>flaps per "
        "resource-day</th></tr>";
    for (const std::string& n : policies) {
        char row[512];
        std::snprintf(
            row, sizeof row,
            "<tr><td>%s</td><td>%.1f</td><td>%.3f</td><td>%.2f%%</td><td>%.2f%%</td><td>%.1f%%</td><td>%lld</td>"
            "<td>%.1f</td><td>%.2f</td></tr>",
            Escape(n).c_str(), p[n]["cost"].get<double>(), p[n]["cost_rel"].get<double>(),
            p[n]["unmet"].get<double>() * 100, p[n]["hot"].get<double>() * 100, p[n]["util"].get<double>() * 100,
            p[n]["actions"].get<long long>(), p[n].value("actions_per_day", 0.0), p[n].value("flaps_per_day", 0.0));
        html += row;
    }
    html += "</table>";
    html += Bars(p, policies, "cost_rel", "Cost relative to static", false);
    html += Bars(p, policies, "unmet", "Steps with unmet demand", true);
    html += PerSeriesTable(summary["per_series"], policies);
    if (!series.empty()) {
        html +=
            "<h2>Over time</h2><p>The series shown first in the table above: demand against the capacity each "
            "policy had ready.</p><p>";
        for (const std::string& n : policies)
            html += "<span style=\"color:" + std::string(Color(n)) + "\">&#9632; " + Escape(n) + "</span> ";
        html += "<span>&#9632; demand</span></p>";
    }
    for (const ReportSeries& s : series) html += Timeline(s, policies);
    return html + "</body></html>\n";
}

}  // namespace cloudopt

namespace cloudopt {

namespace {

const char* SweepColor(const std::string& policy) {
    if (policy == "seasonal") return "#ff7f0e";
    return Color(policy);
}

std::string SettingText(const nlohmann::json& setting) {
    std::string out;
    for (const auto& [key, value] : setting.items())
        out += (out.empty() ? "" : " ") + key + "=" + Num(value.get<double>(), 3);
    return out;
}

// The points of `policy` that no cheaper point of it beats on unmet, by unmet: the policy's frontier.
std::vector<const nlohmann::json*> SweepFrontier(const nlohmann::json& points, const std::string& policy) {
    std::vector<const nlohmann::json*> mine;
    for (const nlohmann::json& p : points)
        if (p["policy"] == policy) mine.push_back(&p);
    std::sort(mine.begin(), mine.end(), [](const nlohmann::json* a, const nlohmann::json* b) {
        const double ua = (*a)["unmet"].get<double>(), ub = (*b)["unmet"].get<double>();
        return ua != ub ? ua < ub : (*a)["cost_rel"].get<double>() < (*b)["cost_rel"].get<double>();
    });
    std::vector<const nlohmann::json*> front;
    double cheapest = 1e300;
    for (const nlohmann::json* p : mine) {
        const double cost = (*p)["cost_rel"].get<double>();
        if (cost < cheapest - 1e-12) {
            front.push_back(p);
            cheapest = cost;
        }
    }
    return front;
}

std::string FrontierChart(const nlohmann::json& points, const std::vector<std::string>& policies, double budget) {
    constexpr int kWidth = 760, kHeight = 420, kLeft = 60, kBottom = 40, kTop = 10, kRight = 20;
    double max_unmet = std::max(1e-4, budget), max_cost = 1e-3;
    for (const nlohmann::json& p : points) {
        max_unmet = std::max(max_unmet, p["unmet"].get<double>());
        max_cost = std::max(max_cost, p["cost_rel"].get<double>());
    }
    max_unmet *= 1.05;
    max_cost *= 1.05;
    const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
    auto x = [&](double unmet) { return kLeft + plot_w * unmet / max_unmet; };
    auto y = [&](double cost) { return kTop + plot_h * (1.0 - cost / max_cost); };
    std::string svg =
        "<figure><figcaption>Cost relative to static against the share of steps with unmet demand; "
        "each dot one setting, each line a policy's cheapest settings for their unmet; the dashed line "
        "is the unmet budget</figcaption><svg role=\"img\" aria-label=\"cost against unmet\" width=\"" +
        std::to_string(kWidth) + "\" height=\"" + std::to_string(kHeight) + "\">";
    svg += "<line x1=\"" + std::to_string(kLeft) + "\" y1=\"" + Num(kTop + plot_h) + "\" x2=\"" + Num(kLeft + plot_w) +
           "\" y2=\"" + Num(kTop + plot_h) + "\" stroke=\"#444\"/><line x1=\"" + std::to_string(kLeft) + "\" y1=\"" +
           std::to_string(kTop) + "\" x2=\"" + std::to_string(kLeft) + "\" y2=\"" + Num(kTop + plot_h) +
           "\" stroke=\"#444\"/>";
    for (int tick = 0; tick <= 4; ++tick) {
        const double u = max_unmet * tick / 4, c = max_cost * tick / 4;
        svg += "<text x=\"" + Num(x(u)) + "\" y=\"" + Num(kTop + plot_h + 16) + "\" text-anchor=\"middle\">" +
               Num(u * 100, 2) + "%</text>";
        svg += "<text x=\"" + std::to_string(kLeft - 6) + "\" y=\"" + Num(y(c) + 4) + "\" text-anchor=\"end\">" +
               Num(c, 2) + "</text>";
    }
    svg += "<text x=\"" + Num(kLeft + plot_w / 2) + "\" y=\"" + std::to_string(kHeight - 4) +
           "\" text-anchor=\"middle\">unmet (share of steps)</text>";
    svg += "<line x1=\"" + Num(x(budget)) + "\" y1=\"" + std::to_string(kTop) + "\" x2=\"" + Num(x(budget)) +
           "\" y2=\"" + Num(kTop + plot_h) + "\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>";
    for (const std::string& policy : policies) {
        std::string line;
        for (const nlohmann::json* p : SweepFrontier(points, policy))
            line += Num(x((*p)["unmet"].get<double>())) + "," + Num(y((*p)["cost_rel"].get<double>())) + " ";
        svg += "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" + std::string(SweepColor(policy)) +
               "\" points=\"" + line + "\"/>";
        for (const nlohmann::json& p : points) {
            if (p["policy"] != policy) continue;
            svg += "<circle r=\"4\" fill=\"" + std::string(SweepColor(policy)) + "\" cx=\"" +
                   Num(x(p["unmet"].get<double>())) + "\" cy=\"" + Num(y(p["cost_rel"].get<double>())) + "\"><title>" +
                   Escape(policy + " " + SettingText(p["setting"])) + ": cost " + Num(p["cost_rel"].get<double>(), 3) +
                   ", unmet " + Num(p["unmet"].get<double>() * 100, 2) + "%</title></circle>";
        }
    }
    return svg + "</svg></figure>";
}

}  // namespace

std::string RenderSweepReport(const std::string& data_file, const std::string& sweep_json) {
    const nlohmann::json sweep = nlohmann::json::parse(sweep_json);
    const nlohmann::json& points = sweep["points"];
    std::vector<std::string> policies;
    for (const nlohmann::json& p : points) {
        const std::string name = p["policy"].get<std::string>();
        if (std::find(policies.begin(), policies.end(), name) == policies.end()) policies.push_back(name);
    }
    const double budget = sweep["unmet_budget"].get<double>();
    std::string html =
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
        "content=\"width=device-width\"><title>cloudopt simulate --sweep</title><style>body{font:14px system-ui,"
        "sans-serif;margin:2em;max-width:1000px}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:"
        "1px solid #ddd;text-align:right}th:first-child,td:first-child{text-align:left}figure{margin:1.5em 0}"
        "</style></head><body>";
    html += "<h1>Cost against risk</h1><p>" + Escape(data_file) + ": " + std::to_string(sweep["series"].get<int>()) +
            " series, boot delay " + std::to_string(sweep["boot_delay_s"].get<long long>()) +
            " s. Each policy at each of its settings; cost is relative to static allocation and unmet the share of "
            "steps whose demand exceeded ready capacity, both averaged over series.</p>";
    const nlohmann::json& cheapest = sweep["cheapest"];
    html += "<p><strong>Unmet budget " + Num(budget * 100, 2) + "%: ";
    html += cheapest.is_null()
                ? std::string("no setting meets it.")
                : "the cheapest setting that meets it is " + Escape(cheapest["policy"].get<std::string>()) + " " +
                      Escape(SettingText(cheapest["setting"])) + " at " + Num(cheapest["cost_rel"].get<double>(), 3) +
                      "&times; static, " + Num(cheapest["unmet"].get<double>() * 100, 2) + "% unmet.";
    html += "</strong></p><p>";
    for (const std::string& n : policies)
        html += "<span style=\"color:" + std::string(SweepColor(n)) + "\">&#9632; " + Escape(n) + "</span> ";
    html += "</p>" + FrontierChart(points, policies, budget);
    html +=
        "<table><tr><th>policy</th><th>setting</th><th>cost vs static</th><th>unmet</th><th>hot (&gt;90%)</th>"
        "<th>changes per resource-day</th><th>flaps per resource-day</th></tr>";
    for (const nlohmann::json& p : points) {
        char row[256];
        std::snprintf(row, sizeof row, "<td>%.3f</td><td>%.2f%%</td><td>%.2f%%</td><td>%.1f</td><td>%.2f</td></tr>",
                      p["cost_rel"].get<double>(), p["unmet"].get<double>() * 100, p["hot"].get<double>() * 100,
                      p["actions_per_day"].get<double>(), p["flaps_per_day"].get<double>());
        html += "<tr><td>" + Escape(p["policy"].get<std::string>()) + "</td><td>" + Escape(SettingText(p["setting"])) +
                "</td>" + row;
    }
    return html + "</table></body></html>\n";
}

}  // namespace cloudopt
