#include "app/costs_command.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli_common.hpp"
#include "app/series_file.hpp"
#include "simulate/spend_forecast.hpp"

namespace cloudopt {

namespace {

constexpr UnixSeconds kSecondsPerDay = 86400;
constexpr int kMonthDays = 30;  // the naive projection's month: what is left of it before the span is "so far"

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

int RunCostsBacktest(const CostsBacktestCommand& c) {
    if (c.days < 1 || c.days > 31) {
        std::cerr << "cloudopt: --days must be between 1 and 31\n";
        return kUsageError;
    }
    auto all = LoadSeries(c.data, c.missing_value);
    if (!all) {
        std::cerr << "cloudopt: " << all.error().message << "\n";
        return kUsageError;
    }
    nlohmann::json per_series = nlohmann::json::object();
    double err_sum = 0, naive_err_sum = 0, bias_sum = 0;
    int covered = 0, scored = 0;
    std::vector<std::string> skipped;
    for (const auto& [id, series] : *all) {
        const UnixSeconds span = c.days * kSecondsPerDay;
        if (series.step <= 0 || span % series.step != 0) {
            skipped.push_back(id + " (step does not divide a day)");
            continue;
        }
        const auto span_steps = static_cast<std::size_t>(span / series.step);
        const auto day_steps = static_cast<std::size_t>(kSecondsPerDay / series.step);
        if (series.values.size() < span_steps + day_steps) {
            skipped.push_back(id + " (under " + std::to_string(c.days + 1) + " days)");
            continue;
        }
        const std::size_t cut = series.values.size() - span_steps;
        const RegularSeries history = Slice(series, 0, cut);
        const RegularSeries actual_load = Slice(series, cut, series.values.size());
        // Sized as the replay sizes (simulate/replay.hpp): the history's 99th percentile needs 20 instances.
        SpendSizing sizing;
        sizing.capacity_per_instance = Quantile(history.values, 0.99) / 20.0;
        if (!(sizing.capacity_per_instance > 0)) sizing.capacity_per_instance = 1.0;
        sizing.target = 0.75;
        SpendOptions options;
        options.from = history.end();
        options.to = actual_load.end();
        options.paths = c.paths;
        options.history_days = c.history_days;
        auto paths = ForecastSpend(history, sizing, options);
        if (!paths) {
            skipped.push_back(id + " (" + paths.error().message + ")");
            continue;
        }
        const SpendBand band = paths->Total();
        const double actual = SizedSpend(actual_load, sizing);
        // Naive: the month so far (up to 30 days less the span) at its rate, for the span.
        const std::size_t so_far_steps = std::min(cut, static_cast<std::size_t>(kMonthDays - c.days) * day_steps);
        const RegularSeries so_far = Slice(series, cut - so_far_steps, cut);
        const double naive =
            SizedSpend(so_far, sizing) * static_cast<double>(span_steps) / static_cast<double>(so_far_steps);
        if (!(actual > 0)) {
            skipped.push_back(id + " (no spend in the span)");
            continue;
        }
        const double err = std::abs(band.p50 - actual) / actual;
        const double naive_err = std::abs(naive - actual) / actual;
        const bool inside = band.p10 <= actual && actual <= band.p90;
        err_sum += err;
        naive_err_sum += naive_err;
        bias_sum += (band.p50 - actual) / actual;
        covered += inside;
        ++scored;
        per_series[id] = {
            {"actual", RoundTo(actual, 2)},
            {"p10", RoundTo(band.p10, 2)},
            {"p50", RoundTo(band.p50, 2)},
            {"p90", RoundTo(band.p90, 2)},
            {"naive", RoundTo(naive, 2)},
            {"p50_error", RoundTo(err)},
            {"naive_error", RoundTo(naive_err)},
            {"inside", inside},
            {"history_days",
             RoundTo(static_cast<double>(cut * static_cast<std::size_t>(series.step)) / kSecondsPerDay, 1)}};
    }
    if (scored == 0) {
        std::cerr << "cloudopt: no series of '" << c.data << "' could be backtested";
        for (const std::string& s : skipped) std::cerr << "; " << s;
        std::cerr << "\n";
        return kUsageError;
    }
    const double n = scored;
    nlohmann::json out = {{"data", c.data},
                          {"days", c.days},
                          {"paths", c.paths},
                          {"series", scored},
                          {"skipped", skipped},
                          {"p50_mape", RoundTo(err_sum / n)},
                          {"p50_bias", RoundTo(bias_sum / n)},
                          {"coverage_p10_p90", RoundTo(covered / n)},
                          {"naive_mape", RoundTo(naive_err_sum / n)},
                          {"per_series", per_series}};
    if (c.json) {
        std::cout << out.dump() << "\n";
        return 0;
    }
    std::printf("%s: %d series, spend of the last %d days forecast from the load before them (%d paths)\n",
                c.data.c_str(), scored, c.days, c.paths);
    std::printf("p50 error %.1f%% (bias %+.1f%%), actual inside p10-p90 %.0f%% (target 80%%), naive error %.1f%%\n",
                100 * err_sum / n, 100 * bias_sum / n, 100 * covered / n, 100 * naive_err_sum / n);
    for (const std::string& s : skipped) std::printf("skipped: %s\n", s.c_str());
    return 0;
}

}  // namespace cloudopt
