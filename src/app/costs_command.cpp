#include "app/costs_command.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "app/cli_common.hpp"
#include "app/files.hpp"
#include "app/resource_commands.hpp"
#include "app/series_file.hpp"
#include "app/serve.hpp"
#include "core/catalog.hpp"
#include "providers/json_fields.hpp"
#include "simulate/commitment_plan.hpp"
#include "simulate/spend_forecast.hpp"

namespace cloudopt {

namespace {

constexpr UnixSeconds kSecondsPerDay = 86400;

RegularSeries Slice(const RegularSeries& s, std::size_t from, std::size_t to) {
    RegularSeries out{s.TimeOf(from),
                      s.step,
                      std::vector<double>(s.values.begin() + static_cast<std::ptrdiff_t>(from),
                                          s.values.begin() + static_cast<std::ptrdiff_t>(to)),
                      {}};
    if (!s.missing.empty())
        out.missing.assign(s.missing.begin() + static_cast<std::ptrdiff_t>(from),
                           s.missing.begin() + static_cast<std::ptrdiff_t>(to));
    return out;
}

}  // namespace

// --- commitments -------------------------------------------------------------------------------------------------

namespace {

int BestCommitment(const std::vector<int>& instances, double step_hours, const CommitmentRates& rates) {
    int best = 0;
    double best_saving = 0.0;
    const int peak = instances.empty() ? 0 : *std::max_element(instances.begin(), instances.end());
    for (int k = 1; k <= peak; ++k)
        if (double s = CommitmentSaving(instances, step_hours, k, rates); s > best_saving) best_saving = s, best = k;
    return best;
}

// The file's series as one pool (docs/COSTS.md "Pools"): their forecast counts summed path-wise and their realized
// counts step by step, planned as one commitment against the sum of the per-series ones, built a series at a time.
struct CommitmentBacktestPool {
    int series = 0;
    InstancePaths forecast;  // summed path-wise
    std::vector<double> members_path_saving;
    int members_committed = 0;
    std::vector<int> realized_instances;  // what the sizing ran, summed per step
    double step_hours = 0.0;
    double members_realized = 0.0;   // the per-series commitments' realized savings, summed
    double members_hindsight = 0.0;  // each series' best commitment in hindsight, summed

    Status Add(const InstancePaths& fleet, const CommitmentPlan& plan, const std::vector<int>& instances,
               double realized, double hindsight, const CommitmentRates& rates) {
        if (series > 0 &&
            (instances.size() != realized_instances.size() || fleet.paths.size() != forecast.paths.size()))
            return MakeError(ErrorCode::kInvalidArgument, "its scored part has other steps than the pool's");
        if (Status added = AddInstancePaths(forecast, fleet); !added) return added;
        const std::vector<double> own = PathSavings(fleet, plan.recommended, rates);
        if (series == 0) {
            members_path_saving.assign(own.size(), 0.0);
            realized_instances.assign(instances.size(), 0);
            step_hours = fleet.step_hours.empty() ? 0.0 : fleet.step_hours.front();
        }
        for (std::size_t path = 0; path < own.size(); ++path) members_path_saving[path] += own[path];
        for (std::size_t step = 0; step < instances.size(); ++step) realized_instances[step] += instances[step];
        members_committed += plan.recommended;
        members_realized += realized;
        members_hindsight += hindsight;
        ++series;
        return Status::Ok();
    }

    // The pool's plan, what it realized against the per-series plans and hindsight, as shares of the pool's on-demand
    // cost over the scored part.
    Result<nlohmann::json> Score(const CommitmentRates& rates) const {
        auto pooled = PlanPooledCommitment(forecast, members_path_saving, members_committed, rates);
        if (!pooled) return pooled.error();
        const CommitmentPlan& p = pooled->plan;
        double on_demand = 0.0;
        for (int n : realized_instances) on_demand += n * step_hours * rates.on_demand_per_hour;
        const double realized = CommitmentSaving(realized_instances, step_hours, p.recommended, rates);
        const int hindsight_k = BestCommitment(realized_instances, step_hours, rates);
        const double hindsight = CommitmentSaving(realized_instances, step_hours, hindsight_k, rates);
        auto share = [&](double v) { return on_demand > 0 ? RoundTo(v / on_demand) : 0.0; };
        return nlohmann::json{
            {"series", series},
            {"recommended", p.recommended},
            {"members_committed", members_committed},
            {"stays_above_p90", p.stays_above_p90},
            {"peak", p.peak},
            {"expected_utilization", RoundTo(p.expected_utilization)},
            {"on_demand_cost", RoundTo(on_demand, 2)},
            {"predicted_saving_share_p50",
             p.on_demand_cost.p50 > 0 ? RoundTo(p.saving.p50 / p.on_demand_cost.p50) : 0.0},
            {"predicted_gain_share",
             p.on_demand_cost.p50 > 0 ? RoundTo(pooled->expected_gain / p.on_demand_cost.p50) : 0.0},
            {"realized_saving", RoundTo(realized, 2)},
            {"realized_saving_share", share(realized)},
            {"realized_inside_p10_p90", p.saving.p10 - 1e-9 <= realized && realized <= p.saving.p90 + 1e-9},
            {"members_realized_saving_share", share(members_realized)},
            {"hindsight_best", hindsight_k},
            {"hindsight_saving_share", share(hindsight)},
            {"members_hindsight_saving_share", share(members_hindsight)}};
    }
};

int CommitmentsFromService(const CostsCommitmentsCommand& c) {
    int exit_code = 0;
    auto answer = CallServiceApi(c.server, c.token, "GET", "/api/costs/commitments", "", exit_code);
    if (!answer) return exit_code;
    if (c.json) {
        std::cout << answer->dump() << "\n";
        return 0;
    }
    namespace jsonf = providers::jsonf;
    // "Would have saved" over the recorded past: the saving, and the days it covers when under 30.
    auto past_text = [](const nlohmann::json& item) {
        if (!item.contains("past") || !item["past"].contains("saving")) return std::string("-");
        const nlohmann::json& past = item["past"];
        char text[64];
        std::snprintf(text, sizeof text, "%.2f/%.1fd", past.value("saving", 0.0), past.value("days", 0.0));
        return std::string(text);
    };
    std::printf("1-year commitments (no upfront) from the forecast of the next 30 days\n");
    std::printf("\nWhat to buy: one commitment per pool (the resources of one provider and instance type)\n");
    std::printf("%-30s %9s %7s %7s %8s %6s %22s %8s %14s  %s\n", "POOL", "BREAKEVEN", "ABOVE90", "COMMIT", "OWN-SUM",
                "USED", "SAVING/30d p10/p50/p90", "GAIN", "PAST-SAVED", "MEMBERS");
    for (const nlohmann::json& p : jsonf::Arr(*answer, "pools")) {
        std::string members;
        for (const nlohmann::json& m : jsonf::Arr(p, "members"))
            members += (members.empty() ? std::string() : std::string(",")) + m.get<std::string>();
        if (!p.contains("recommended_instances")) {
            std::printf("%-30s %s\n", jsonf::Str(p, "pool").c_str(), jsonf::Str(p, "note").c_str());
            continue;
        }
        const nlohmann::json& s = p["saving"];
        std::printf("%-30s %8.0f%% %7d %7d %8d %5.0f%% %7.2f/%.2f/%.2f %8.2f %14s  %s\n", jsonf::Str(p, "pool").c_str(),
                    100 * p.value("break_even_utilization", 0.0), p["stays_above"].value("p90_of_hours", 0),
                    p.value("recommended_instances", 0), p.value("members_committed", 0),
                    100 * p.value("expected_utilization", 0.0), s.value("p10", 0.0), s.value("p50", 0.0),
                    s.value("p90", 0.0), p["gain"].value("expected", 0.0), past_text(p).c_str(), members.c_str());
    }
    std::printf("\nPer resource (its own plan, were it alone)\n");
    std::printf("%-24s %-22s %9s %7s %7s %6s %22s %14s  %s\n", "RESOURCE", "TYPE", "BREAKEVEN", "ABOVE90", "COMMIT",
                "USED", "SAVING/30d p10/p50/p90", "PAST-SAVED", "POOL");
    for (const nlohmann::json& r : jsonf::Arr(*answer, "resources")) {
        if (!r.contains("recommended_instances")) {
            std::printf("%-24s %-22s %s\n", jsonf::Str(r, "resource").c_str(), jsonf::Str(r, "instance_type").c_str(),
                        jsonf::Str(r, "note").c_str());
            continue;
        }
        const nlohmann::json& s = r["saving"];
        std::printf("%-24s %-22s %8.0f%% %7d %7d %5.0f%% %7.2f/%.2f/%.2f %14s  %s\n", jsonf::Str(r, "resource").c_str(),
                    jsonf::Str(r, "instance_type").c_str(), 100 * r.value("break_even_utilization", 0.0),
                    r["stays_above"].value("p90_of_hours", 0), r.value("recommended_instances", 0),
                    100 * r.value("expected_utilization", 0.0), s.value("p10", 0.0), s.value("p50", 0.0),
                    s.value("p90", 0.0), past_text(r).c_str(), jsonf::Str(r, "pool").c_str());
    }
    std::printf(
        "\nPAST-SAVED: what the commitment would have saved over the recorded capacity (USD / days covered, "
        "up to 30), bought at its start\n");
    return 0;
}

}  // namespace

int RunCostsCommitments(const CostsCommitmentsCommand& c) {
    if (c.data.empty()) return CommitmentsFromService(c);
    if (!(c.test_fraction > 0.0 && c.test_fraction < 1.0)) {
        std::cerr << "cloudopt: --test-fraction must be between 0 and 1 (the scored part, e.g. 0.2)\n";
        return kUsageError;
    }
    const std::string catalog_path = c.catalog_file.empty() ? BundledDataPath("catalog/instances.csv") : c.catalog_file;
    auto text = ReadWholeFile(catalog_path, "catalog");
    auto catalog = text ? ParseCatalogCsv(*text) : Result<Catalog>(text.error());
    if (!catalog) {
        std::cerr << "cloudopt: " << catalog.error().message << "\n";
        return kUsageError;
    }
    auto type = catalog->Find(c.provider, c.instance_type);
    if (!type || !(type->commit_price_per_hour > 0)) {
        std::cerr << "cloudopt: the catalog lists no 1-year commitment rate for " << c.provider << " "
                  << c.instance_type
                  << " (pass --provider and --instance-type of a row with commit_1y_price_per_hour)\n";
        return kUsageError;
    }
    const CommitmentRates rates{type->price_per_hour, type->commit_price_per_hour};
    auto all = LoadSeries(c.data, c.missing_value);
    if (!all) {
        std::cerr << "cloudopt: " << all.error().message << "\n";
        return kUsageError;
    }
    nlohmann::json per_series = nlohmann::json::object();
    std::vector<std::string> skipped;
    double realized_sum = 0, predicted_sum = 0, oracle_sum = 0, committed_sum = 0, peak_sum = 0;
    int inside = 0, scored = 0, losing = 0;
    auto cut_of = [&](const RegularSeries& series) {
        return static_cast<std::size_t>(static_cast<double>(series.values.size()) * (1.0 - c.test_fraction));
    };
    // The pool: the file's series as one fleet of one instance type, over the scored part most of them share (every
    // file in ../shared/data has its series on one time grid).
    std::map<std::tuple<UnixSeconds, UnixSeconds, UnixSeconds>, int> scored_spans;
    for (const auto& [id, series] : *all)
        if (std::size_t cut = cut_of(series); cut < series.values.size())
            ++scored_spans[{series.TimeOf(cut), series.end(), series.step}];
    std::tuple<UnixSeconds, UnixSeconds, UnixSeconds> pool_span{};
    int pool_span_series = 0;
    for (const auto& [span, count] : scored_spans)
        if (count > pool_span_series) pool_span = span, pool_span_series = count;
    CommitmentBacktestPool pool;
    for (const auto& [id, series] : *all) {
        const std::size_t cut = cut_of(series);
        if (series.step <= 0 || kSecondsPerDay % series.step != 0) {
            skipped.push_back(id + " (step does not divide a day)");
            continue;
        }
        if (cut * static_cast<std::size_t>(series.step) < static_cast<std::size_t>(kSecondsPerDay) ||
            cut >= series.values.size()) {
            skipped.push_back(id + " (under a day of history before the scored part)");
            continue;
        }
        const RegularSeries history = Slice(series, 0, cut);
        const RegularSeries actual_load = Slice(series, cut, series.values.size());
        SpendSizing sizing;  // as costs backtest: the history's 99th percentile needs 20 instances
        sizing.capacity_per_instance = Quantile(history.values, 0.99) / 20.0;
        if (!(sizing.capacity_per_instance > 0)) sizing.capacity_per_instance = 1.0;
        sizing.target = 0.75;
        sizing.price_per_instance_hour = rates.on_demand_per_hour;
        SpendOptions options;
        options.from = history.end();
        options.to = actual_load.end();
        options.paths = c.paths;
        options.instance_steps = true;
        auto paths = ForecastSpend(history, sizing, options);
        auto fleet = paths ? InstancePathsOf(*paths) : Result<InstancePaths>(paths.error());
        if (!fleet) {
            skipped.push_back(id + " (" + fleet.error().message + ")");
            continue;
        }
        auto plan = PlanCommitment(HoursPerCount(*fleet), rates);
        if (!plan) {
            skipped.push_back(id + " (" + plan.error().message + ")");
            continue;
        }
        const std::vector<int> instances = SizedInstances(actual_load, sizing);
        const double step_hours = static_cast<double>(series.step) / 3600.0;
        double on_demand = 0.0;
        for (int n : instances) on_demand += n * step_hours * rates.on_demand_per_hour;
        if (!(on_demand > 0)) {
            skipped.push_back(id + " (no spend in the scored part)");
            continue;
        }
        const double realized = CommitmentSaving(instances, step_hours, plan->recommended, rates);
        const int oracle_k = BestCommitment(instances, step_hours, rates);
        const double oracle = CommitmentSaving(instances, step_hours, oracle_k, rates);
        const bool in_band = plan->saving.p10 - 1e-9 <= realized && realized <= plan->saving.p90 + 1e-9;
        realized_sum += realized / on_demand;
        predicted_sum += plan->on_demand_cost.p50 > 0 ? plan->saving.p50 / plan->on_demand_cost.p50 : 0.0;
        oracle_sum += oracle / on_demand;
        committed_sum += plan->recommended;
        peak_sum += plan->peak;
        inside += in_band;
        losing += realized < 0;
        ++scored;
        if (std::tuple(actual_load.start, actual_load.end(), actual_load.step) == pool_span)
            if (Status added = pool.Add(*fleet, *plan, instances, realized, oracle, rates); !added)
                skipped.push_back(id + " (not pooled: " + added.error().message + ")");
        per_series[id] = {{"recommended", plan->recommended},
                          {"stays_above_p90", plan->stays_above_p90},
                          {"peak", plan->peak},
                          {"expected_utilization", RoundTo(plan->expected_utilization)},
                          {"saving_p10", RoundTo(plan->saving.p10, 2)},
                          {"saving_p50", RoundTo(plan->saving.p50, 2)},
                          {"saving_p90", RoundTo(plan->saving.p90, 2)},
                          {"realized_saving", RoundTo(realized, 2)},
                          {"on_demand_cost", RoundTo(on_demand, 2)},
                          {"inside", in_band},
                          {"hindsight_best", oracle_k},
                          {"hindsight_saving", RoundTo(oracle, 2)}};
    }
    if (scored == 0) {
        std::cerr << "cloudopt: no series of '" << c.data << "' could be planned";
        for (const std::string& s : skipped) std::cerr << "; " << s;
        std::cerr << "\n";
        return kUsageError;
    }
    const double n = scored;
    nlohmann::json out = {{"data", c.data},
                          {"provider", c.provider},
                          {"instance_type", c.instance_type},
                          {"offer", type->commit_offer},
                          {"on_demand_per_hour", rates.on_demand_per_hour},
                          {"committed_per_hour", rates.committed_per_hour},
                          {"break_even_utilization", RoundTo(rates.committed_per_hour / rates.on_demand_per_hour)},
                          {"series", scored},
                          {"skipped", skipped},
                          {"mean_committed", RoundTo(committed_sum / n, 2)},
                          {"mean_peak", RoundTo(peak_sum / n, 2)},
                          {"predicted_saving_share_p50", RoundTo(predicted_sum / n)},
                          {"realized_saving_share", RoundTo(realized_sum / n)},
                          {"hindsight_saving_share", RoundTo(oracle_sum / n)},
                          {"realized_inside_p10_p90", RoundTo(inside / n)},
                          {"series_that_lost", losing},
                          {"per_series", per_series}};
    if (pool.series > 0) {
        auto pooled = pool.Score(rates);
        if (pooled) out["pool"] = *pooled;
    }
    if (c.json) {
        std::cout << out.dump() << "\n";
        return 0;
    }
    std::printf(
        "%s: %d series, a 1-year commitment of %s %s (%.4f vs %.4f on demand, break-even %.0f%%) planned from "
        "the forecast of the scored part (last %.0f%%)\n",
        c.data.c_str(), scored, c.provider.c_str(), c.instance_type.c_str(), rates.committed_per_hour,
        rates.on_demand_per_hour, 100 * rates.committed_per_hour / rates.on_demand_per_hour, 100 * c.test_fraction);
    std::printf(
        "committed %.1f of a peak %.1f instances on average; saving of the scored part's on-demand cost: "
        "predicted p50 %.1f%%, realized %.1f%%, best in hindsight %.1f%%; realized inside p10-p90 %.0f%%; "
        "%d series lost money\n",
        committed_sum / n, peak_sum / n, 100 * predicted_sum / n, 100 * realized_sum / n, 100 * oracle_sum / n,
        100 * inside / n, losing);
    if (out.contains("pool")) {
        const nlohmann::json& p = out["pool"];
        std::printf(
            "pooled (the %d series as one fleet of %s): committed %d (their own plans %d), predicted p50 %.1f%%; "
            "realized %.1f%% against %.1f%% for the per-series commitments and %.1f%% best in hindsight, of the "
            "pool's on-demand cost\n",
            p["series"].get<int>(), c.instance_type.c_str(), p["recommended"].get<int>(),
            p["members_committed"].get<int>(), 100 * p["predicted_saving_share_p50"].get<double>(),
            100 * p["realized_saving_share"].get<double>(), 100 * p["members_realized_saving_share"].get<double>(),
            100 * p["hindsight_saving_share"].get<double>());
    }
    for (const std::string& s : skipped) std::printf("skipped: %s\n", s.c_str());
    return 0;
}

// --- budgets -----------------------------------------------------------------------------------------------------

int RunBudgetAdd(const BudgetCommand& c) {
    if (!c.monthly_usd) {
        std::cerr << "cloudopt: --monthly is required (US dollars per month)\n";
        return kUsageError;
    }
    nlohmann::json body = {{"name", c.name},
                           {"monthly_usd", *c.monthly_usd},
                           {"scope", c.scope},
                           {"target", c.target},
                           {"cap_mode", c.cap_mode}};
    int exit_code = 0;
    auto created = CallServiceApi(c.server, c.token, "POST", "/api/budgets", body.dump(), exit_code);
    if (!created) return exit_code;
    std::printf("added budget %lld '%s': $%.2f a month for %s%s%s, cap %s\n",
                static_cast<long long>(created->value("id", 0LL)), c.name.c_str(), *c.monthly_usd, c.scope.c_str(),
                c.target.empty() ? "" : " ", c.target.c_str(), c.cap_mode.c_str());
    return 0;
}

int RunBudgetList(const BudgetCommand& c) {
    int exit_code = 0;
    auto listed = CallServiceApi(c.server, c.token, "GET", "/api/budgets", "", exit_code);
    if (!listed) return exit_code;
    if (c.json) {
        std::cout << listed->dump() << "\n";
        return 0;
    }
    std::printf("%-4s %-20s %-28s %10s %-5s %-9s %10s %21s\n", "ID", "NAME", "SCOPE", "MONTHLY", "CAP", "STATE",
                "SPENT", "MONTH END p50/p90");
    for (const nlohmann::json& b : providers::jsonf::Arr(*listed, "budgets")) {
        const nlohmann::json status = b.value("status", nlohmann::json::object());
        const std::string scope =
            b.value("scope", "") + (b.value("target", "").empty() ? "" : " " + b.value("target", ""));
        std::string month_end = "-";
        if (status.contains("month_end") && status["month_end"].is_object()) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.2f/%.2f", status["month_end"].value("p50", 0.0),
                          status["month_end"].value("p90", 0.0));
            month_end = buf;
        }
        std::printf("%-4lld %-20s %-28s %10.2f %-5s %-9s %10.2f %21s\n", static_cast<long long>(b.value("id", 0LL)),
                    b.value("name", "").c_str(), scope.c_str(), b.value("monthly_usd", 0.0),
                    b.value("cap_mode", "").c_str(), status.value("state", "").c_str(),
                    status.value("actual_to_date", 0.0), month_end.c_str());
    }
    return 0;
}

int RunBudgetDelete(const BudgetCommand& c) {
    int exit_code = 0;
    auto listed = CallServiceApi(c.server, c.token, "GET", "/api/budgets", "", exit_code);
    if (!listed) return exit_code;
    for (const nlohmann::json& b : providers::jsonf::Arr(*listed, "budgets")) {
        if (b.value("name", "") != c.name) continue;
        const std::string id = std::to_string(b.value("id", 0LL));
        // DELETE answers 204 without a body: the parsed answer is discarded JSON.
        CallServiceApi(c.server, c.token, "DELETE", "/api/budgets/" + id, "", exit_code);
        if (exit_code != 0) return exit_code;
        std::printf("deleted budget %s '%s'\n", id.c_str(), c.name.c_str());
        return 0;
    }
    std::cerr << "cloudopt: no budget is named '" << c.name << "' (cloudopt budget list shows them)\n";
    return kUsageError;
}

int RunCostsShow(const CostsShowCommand& c) {
    std::string query;
    auto add = [&query](const char* key, const std::string& value) {
        if (value.empty()) return;
        query += (query.empty() ? "?" : "&") + std::string(key) + "=" + value;
    };
    for (char ch : c.kind + c.group_by)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == ':' || ch == '-' || ch == '_' || ch == '.' ||
              ch == '/')) {
            std::cerr << "cloudopt: --kind and --group-by take names like provider or label:team\n";
            return kUsageError;
        }
    add("kind", c.kind);
    add("group_by", c.group_by);
    int exit_code = 0;
    auto answer = CallServiceApi(c.server, c.token, "GET", "/api/costs" + query, "", exit_code);
    if (!answer) return exit_code;
    if (c.json) {
        std::cout << answer->dump() << "\n";
        return 0;
    }
    namespace jsonf = providers::jsonf;
    std::printf("%s (%s): spent so far and the month's end from the load forecasts\n",
                jsonf::Str(*answer, "month").c_str(), jsonf::Str(*answer, "currency").c_str());
    std::printf("%-9s %-32s %12s %12s %12s %12s  %s\n", "KIND", "NAME", "SPENT", "END p10", "END p50", "END p90",
                "NOTE");
    for (const nlohmann::json& g : jsonf::Arr(*answer, "groups")) {
        const bool banded = g.contains("month_end") && g["month_end"].is_object();
        auto band = [&](const char* q) {
            char buf[32];
            if (!banded) return std::string("-");
            std::snprintf(buf, sizeof buf, "%.2f", g["month_end"].value(q, 0.0));
            return std::string(buf);
        };
        std::printf("%-9s %-32s %12.2f %12s %12s %12s  %s\n", jsonf::Str(g, "kind").c_str(),
                    jsonf::Str(g, "name").c_str(), g.value("actual_to_date", 0.0), band("p10").c_str(),
                    band("p50").c_str(), band("p90").c_str(), g.value("note", "").c_str());
    }
    return 0;
}

}  // namespace cloudopt
