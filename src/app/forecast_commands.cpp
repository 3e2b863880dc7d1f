#include "app/forecast_commands.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "app/cli_common.hpp"
#include "app/files.hpp"
#include "app/series_file.hpp"
#include "core/text.hpp"
#include "core/trace_csv.hpp"
#include "forecast/backtest.hpp"
#include "forecast/model_file.hpp"

namespace cloudopt {

namespace {

// Tail factors f of p99 + f x (p99 - p95) whose p99.9 coverage the backtest reports beside the planner's own
// (ln 10 / ln 5 = 1.43, core/forecast.hpp): one run tells which factor a trace would have needed.
constexpr std::array<double, 7> kTailFactors = {0.0, 1.0, 1.43, 2.0, 3.0, 4.0, 6.0};

std::string TailFactorName(double factor) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%g", factor);
    return buf;
}

// The share of the scored actuals at or under p99 + factor x (p99 - p95).
double TailCoverage(const ModelScore& score, double factor) {
    if (score.forecasts == 0) return 0.0;
    const auto above = static_cast<std::size_t>(
        std::count_if(score.tail_ratios.begin(), score.tail_ratios.end(), [factor](double r) { return r > factor; }));
    return 1.0 - static_cast<double>(above) / static_cast<double>(score.forecasts);
}

}  // namespace

int RunBacktest(const BacktestCommand& c) {
    std::vector<std::string> models;
    for (std::string_view m : Split(c.models, ',')) {
        std::string name(Trim(m));
        if (!IsKnownModel(name)) {
            std::cerr << "cloudopt: unknown model '" << name << "'; known: " << kKnownModels << "\n";
            return kUsageError;
        }
        models.push_back(name);
    }
    auto series = LoadSeries(c.data, c.missing_value);
    if (!series) {
        std::cerr << "cloudopt: " << series.error().message << "\n";
        return kUsageError;
    }
    BacktestOptions common;
    common.horizon = c.horizon;
    common.test_fraction = c.test_fraction;
    common.models.lstm.train.epochs = c.epochs;
    c.lstm.ApplyTo(common.models.lstm);
    common.models.auto_includes_lstm = true;
    common.models.phase_bands = c.phase_bands;
    common.models.reweigh = c.reweigh;
    common.models.tune_fleet = c.tune_fleet;
    // One network across all the file's series, for "lstm_fleet" and "lstm_tuned" and, with two series or more, for
    // "auto".
    const bool wants_fleet = std::find(models.begin(), models.end(), "lstm_fleet") != models.end() ||
                             std::find(models.begin(), models.end(), "lstm_tuned") != models.end() ||
                             (std::find(models.begin(), models.end(), "auto") != models.end() && series->size() >= 2);
    if (wants_fleet) {
        if (!c.json) std::fprintf(stderr, "backtest: training one network across %zu series\n", series->size());
        auto fleet = TrainFleetForBacktest(AsFleet(*series), common);
        if (!fleet) {
            std::cerr << "cloudopt: lstm_fleet: " << fleet.error().message << "\n";
            return kUsageError;
        }
        common.models.fleet = std::move(*fleet);
    }
    nlohmann::json per_series = nlohmann::json::object();
    std::map<std::string, double> accuracy_sum, seconds_sum, width_sum;
    std::map<std::string, std::array<double, 4>> coverage_sum, split_sum;  // p90, p95, p99, p99.9
    // p99.9 is extrapolated from the band's tail (core/forecast.hpp): what other tail factors would have covered.
    std::map<std::string, std::array<double, kTailFactors.size()>> tail_sum;
    std::map<std::string, int> counted;
    std::size_t done = 0;
    for (const auto& [id, s] : *series) {
        BacktestOptions options = common;
        options.step_seconds = s.step;
        options.start = s.start;
        nlohmann::json row = nlohmann::json::object();
        for (const std::string& model : models) {
            auto score = Backtest(model, s.values, options, s.missing);
            if (!score) {
                std::cerr << "cloudopt: series '" << id << "': " << score.error().message << "\n";
                return kUsageError;
            }
            row[model] = RoundTo(score->accuracy);
            if (model == "auto") row["auto_model"] = score->chosen;
            if (!score->chosen_at_end.empty()) row["auto_model_at_end"] = score->chosen_at_end;
            if (score->phase_bands != "none") row[model + "_phase_bands"] = score->phase_bands;
            accuracy_sum[model] += score->accuracy;
            width_sum[model] += score->band_width_p95;
            seconds_sum[model] += score->seconds;
            const std::array<double, 4> coverage = {score->coverage_p90, score->coverage_p95, score->coverage_p99,
                                                    score->coverage_p999};
            const std::array<double, 4> split = {score->split_coverage_p90, score->split_coverage_p95,
                                                 score->split_coverage_p99, 0.0};
            for (std::size_t i = 0; i < kTailFactors.size(); ++i)
                tail_sum[model][i] += TailCoverage(*score, kTailFactors[i]);
            for (std::size_t i = 0; i < 4; ++i) {
                coverage_sum[model][i] += coverage[i];
                split_sum[model][i] += split[i];
            }
            ++counted[model];
        }
        per_series[id] = row;
        if (!c.json) std::fprintf(stderr, "\rbacktest: %zu/%zu series", ++done, series->size());
    }
    if (!c.json) std::fprintf(stderr, "\n");
    nlohmann::json accuracy, seconds, coverage_by_model, split_by_model, band_width, tail_by_model;
    for (const std::string& model : models) {
        const double n = counted[model];
        accuracy[model] = RoundTo(accuracy_sum[model] / n);
        band_width[model] = RoundTo(width_sum[model] / n);
        seconds[model] = RoundTo(seconds_sum[model], 2);
        auto levels = [&](const std::array<double, 4>& sums) {
            return nlohmann::json{
                {"p90", RoundTo(sums[0] / n)}, {"p95", RoundTo(sums[1] / n)}, {"p99", RoundTo(sums[2] / n)}};
        };
        coverage_by_model[model] = levels(coverage_sum[model]);
        coverage_by_model[model]["p99.9"] = RoundTo(coverage_sum[model][3] / n, 5);
        split_by_model[model] = levels(split_sum[model]);
        for (std::size_t i = 0; i < kTailFactors.size(); ++i)
            tail_by_model[model][TailFactorName(kTailFactors[i])] = RoundTo(tail_sum[model][i] / n, 5);
    }
    // The headline coverage is that of the model the service would use: auto if asked for, else the first.
    const std::string served = counted.count("auto") ? "auto" : models.front();
    nlohmann::json out = {{"horizon", c.horizon},
                          {"series", series->size()},
                          {"accuracy", accuracy},
                          {"coverage", coverage_by_model[served]},
                          {"coverage_by_model", coverage_by_model},
                          // The bands held at their calibrated offsets, without online tracking, for comparison.
                          {"split_coverage", split_by_model[served]},
                          // How far the p95 band sits above the forecast, relative to the load: what coverage costs.
                          {"band_width_p95", band_width},
                          // p99.9's coverage had it been p99 + f x (p99 - p95), per factor f (core/forecast.hpp).
                          {"p999_coverage_by_tail_factor", tail_by_model[served]},
                          {"per_series", per_series},
                          {"seconds", seconds}};
    if (common.models.fleet) out["fleet_seconds"] = RoundTo(common.models.fleet.seconds, 2);
    if (c.json) {
        std::cout << out.dump() << "\n";
    } else {
        std::printf("%-16s %9s %7s %7s %7s %7s %8s\n", "model", "accuracy", "p90", "p95", "p99", "p99.9", "seconds");
        for (const std::string& model : models) {
            const nlohmann::json& cov = coverage_by_model[model];
            std::printf("%-16s %9.4f %7.3f %7.3f %7.3f %7.4f %8.2f\n", model.c_str(), accuracy[model].get<double>(),
                        cov["p90"].get<double>(), cov["p95"].get<double>(), cov["p99"].get<double>(),
                        cov["p99.9"].get<double>(), seconds[model].get<double>());
        }
    }
    return 0;
}

int RunForecast(const ForecastCommand& c) {
    if (!IsKnownModel(c.model)) {
        std::cerr << "cloudopt: unknown model '" << c.model << "'; known: " << kKnownModels << "\n";
        return kUsageError;
    }
    auto series = LoadSeries(c.data, c.missing_value);
    if (!series) {
        std::cerr << "cloudopt: " << series.error().message << "\n";
        return kUsageError;
    }
    std::map<std::string, TrainedModel> saved;
    if (!c.model_file.empty()) {
        auto bytes = ReadWholeFile(c.model_file, "model file");
        auto models = bytes ? LoadModels(*bytes) : Result<std::vector<NamedModel>>(bytes.error());
        if (!models) {
            std::cerr << "cloudopt: " << c.model_file << ": " << models.error().message << "\n";
            return kUsageError;
        }
        for (NamedModel& m : *models) saved[m.series] = std::move(m.trained);
        // One model and one series: they belong together whatever their names (a model exported from the service
        // is named for its resource, and a CSV of that resource's load may name its series otherwise).
        if (saved.size() == 1 && series->size() == 1 && !saved.count(series->begin()->first)) {
            std::cerr << "cloudopt: forecasting series '" << series->begin()->first << "' with the file's only model ('"
                      << saved.begin()->first << "')\n";
            auto only = saved.extract(saved.begin());
            only.key() = series->begin()->first;
            saved.insert(std::move(only));
        }
    }
    ModelOptions options;
    options.phase_bands = c.phase_bands;
    c.lstm.ApplyTo(options.lstm);
    if ((c.model == "lstm_fleet" || c.model == "lstm_tuned") && c.model_file.empty()) {
        auto fleet = TrainFleetForModels(AsFleet(*series), c.horizon, options);
        if (!fleet) {
            std::cerr << "cloudopt: lstm_fleet: " << fleet.error().message << "\n";
            return kUsageError;
        }
        options.fleet = std::move(*fleet);
    }
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [id, s] : *series) {
        if (!c.model_file.empty() && !saved.count(id)) {
            std::cerr << "cloudopt: series '" << id << "' has no model in " << c.model_file
                      << " (train it with --series " << id << ")\n";
            return kUsageError;
        }
        auto f = c.model_file.empty() ? ForecastSeries(c.model, s, c.horizon, options)
                                      : ForecastWith(saved.at(id), s, c.horizon);
        if (!f) {
            std::cerr << "cloudopt: series '" << id << "': " << f.error().message << "\n";
            return kUsageError;
        }
        nlohmann::json points = nlohmann::json::array();
        for (const ForecastPoint& p : f->points)
            points.push_back({{"ts", p.ts},
                              {"p50", RoundTo(p.p50)},
                              {"p90", RoundTo(p.p90)},
                              {"p95", RoundTo(p.p95)},
                              {"p99", RoundTo(p.p99)}});
        out[id] = {{"model", f->model}, {"accuracy", RoundTo(f->accuracy)}, {"step", f->step}, {"points", points}};
        if (!c.json) {
            std::printf("%s (model %s, accuracy %.3f)\n%12s %12s %12s %12s %12s\n", id.c_str(), f->model.c_str(),
                        f->accuracy, "ts", "p50", "p90", "p95", "p99");
            for (const ForecastPoint& p : f->points)
                std::printf("%12lld %12.4f %12.4f %12.4f %12.4f\n", static_cast<long long>(p.ts), p.p50, p.p90, p.p95,
                            p.p99);
        }
    }
    if (c.json) std::cout << out.dump() << "\n";
    return 0;
}

}  // namespace cloudopt
