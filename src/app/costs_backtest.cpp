#include "app/costs_backtest.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli_common.hpp"
#include "app/series_file.hpp"
#include "simulate/spend_forecast.hpp"

namespace cloudopt {

namespace {

constexpr int kNaiveMonthDays = 30;  // the naive projection's month: what is left of it before the span is "so far"

// Sums of one set of backtest points: the single origin's (origin 0 of every series) or the rolling origins'.
struct BacktestTally {
    double err = 0, naive_err = 0, bias = 0, rel_width = 0;
    int covered = 0, below = 0, above = 0, scored = 0;
    void Add(const SpendBacktestPoint& p) {
        err += std::abs(p.band.p50 - p.actual) / p.actual;
        naive_err += std::abs(p.naive - p.actual) / p.actual;
        bias += (p.band.p50 - p.actual) / p.actual;
        // The band's width against its centre: a band that covers by being huge shows here.
        rel_width += p.band.p50 > 0 ? (p.band.p90 - p.band.p10) / p.band.p50 : 0.0;
        covered += p.band.p10 <= p.actual && p.actual <= p.band.p90;
        below += p.actual < p.band.p10;
        above += p.actual > p.band.p90;
        ++scored;
    }
    double Mean(double sum) const { return scored ? sum / scored : 0.0; }
};

}  // namespace

int RunCostsBacktest(const CostsBacktestCommand& c) {
    if (c.days < 1 || c.days > 31) {
        std::cerr << "cloudopt: --days must be between 1 and 31\n";
        return kUsageError;
    }
    if (c.origins < 1 || c.origin_every_days < 1) {
        std::cerr << "cloudopt: --origins and --origin-every must be at least 1\n";
        return kUsageError;
    }
    auto all = LoadSeries(c.data, c.missing_value);
    if (!all) {
        std::cerr << "cloudopt: " << all.error().message << "\n";
        return kUsageError;
    }
    nlohmann::json per_series = nlohmann::json::object();
    BacktestTally single, rolling;
    std::vector<std::string> skipped;
    SpendBacktestOptions options;
    options.days = c.days;
    options.origins = c.origins;
    options.every_days = c.origin_every_days;
    options.paths = c.paths;
    options.history_days = c.history_days;
    options.month_days = kNaiveMonthDays;
    // The file's series are one fleet: their bands are calibrated together (simulate::BacktestFleetSpend).
    std::vector<std::string> ids;
    std::vector<RegularSeries> fleet;
    for (const auto& [id, series] : *all) {
        ids.push_back(id);
        fleet.push_back(series);
    }
    // --calibration series: each series calibrated on its own errors alone, as before the fleet's were pooled.
    std::vector<Result<std::vector<SpendBacktestPoint>>> results;
    if (c.calibrate_per_series)
        for (const RegularSeries& series : fleet) results.push_back(BacktestSpend(series, options));
    else
        results = BacktestFleetSpend(fleet, options);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const std::string& id = ids[i];
        auto& points = results[i];
        if (!points) {
            skipped.push_back(id + " (" + points.error().message + ")");
            continue;
        }
        const SpendBacktestPoint& p = points->front();  // the single origin: the series' last `days` days
        single.Add(p);
        int inside_rolling = 0;
        for (const SpendBacktestPoint& q : *points) {
            rolling.Add(q);
            inside_rolling += q.band.p10 <= q.actual && q.actual <= q.band.p90;
        }
        per_series[id] = {{"actual", RoundTo(p.actual, 2)},
                          {"p10", RoundTo(p.band.p10, 2)},
                          {"p50", RoundTo(p.band.p50, 2)},
                          {"p90", RoundTo(p.band.p90, 2)},
                          {"naive", RoundTo(p.naive, 2)},
                          {"p50_error", RoundTo(std::abs(p.band.p50 - p.actual) / p.actual)},
                          {"naive_error", RoundTo(std::abs(p.naive - p.actual) / p.actual)},
                          {"inside", p.band.p10 <= p.actual && p.actual <= p.band.p90},
                          {"history_days", RoundTo(p.history_days, 1)},
                          {"origins", points->size()},
                          {"origins_inside", inside_rolling}};
    }
    if (single.scored == 0) {
        std::cerr << "cloudopt: no series of '" << c.data << "' could be backtested";
        for (const std::string& s : skipped) std::cerr << "; " << s;
        std::cerr << "\n";
        return kUsageError;
    }
    auto summary = [](const BacktestTally& t) {
        return nlohmann::json{{"p50_mape", RoundTo(t.Mean(t.err))},
                              {"p50_bias", RoundTo(t.Mean(t.bias))},
                              {"coverage_p10_p90", RoundTo(t.Mean(t.covered))},
                              {"below_p10", RoundTo(t.Mean(t.below))},
                              {"above_p90", RoundTo(t.Mean(t.above))},
                              {"mean_relative_width", RoundTo(t.Mean(t.rel_width))},
                              {"naive_mape", RoundTo(t.Mean(t.naive_err))}};
    };
    nlohmann::json out = summary(single);
    out.update({{"data", c.data},
                {"calibration", c.calibrate_per_series ? "series" : "fleet"},
                {"days", c.days},
                {"paths", c.paths},
                {"series", single.scored},
                {"skipped", skipped},
                {"per_series", per_series}});
    nlohmann::json rolled = summary(rolling);
    rolled.update({{"origins", c.origins}, {"every_days", c.origin_every_days}, {"pairs", rolling.scored}});
    out["rolling"] = rolled;
    if (c.json) {
        std::cout << out.dump() << "\n";
        return 0;
    }
    std::printf(
        "%s: %d series, spend of the last %d days forecast from the load before them (%d paths, bands calibrated %s)\n",
        c.data.c_str(), single.scored, c.days, c.paths,
        c.calibrate_per_series ? "on each series' own errors" : "on the file's series as one fleet");
    auto line = [](const BacktestTally& t) {
        std::printf(
            "p50 error %.1f%% (bias %+.1f%%), actual inside p10-p90 %.0f%% (target 80%%; below %.0f%%, above "
            "%.0f%%), band width %.0f%% of p50, naive error %.1f%%\n",
            100 * t.Mean(t.err), 100 * t.Mean(t.bias), 100 * t.Mean(t.covered), 100 * t.Mean(t.below),
            100 * t.Mean(t.above), 100 * t.Mean(t.rel_width), 100 * t.Mean(t.naive_err));
    };
    line(single);
    std::printf("rolling: %d (series, origin) pairs, %d-day spans ending every %d day(s), up to %d per series\n",
                rolling.scored, c.days, c.origin_every_days, c.origins);
    line(rolling);
    for (const std::string& s : skipped) std::printf("skipped: %s\n", s.c_str());
    return 0;
}

}  // namespace cloudopt
