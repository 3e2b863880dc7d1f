#include "app/train_command.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "app/cli_common.hpp"
#include "app/files.hpp"
#include "app/series_file.hpp"
#include "forecast/backtest.hpp"
#include "forecast/model_file.hpp"

namespace cloudopt {

namespace {

std::string ClockText(double seconds) {
    const long s = static_cast<long>(seconds + 0.5);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
    return buf;
}

// A progress bar on a terminal, a plain line per epoch otherwise (logs, pipes, CI).
class Progress {
public:
    Progress() : terminal_(isatty(fileno(stderr)) != 0) {}
    void Phase(std::string name) {
        Finish();
        phase_ = std::move(name);
    }
    void Epoch(const EpochReport& r) {
        if (terminal_) {
            constexpr int kWidth = 24;
            const int filled = r.epochs > 0 ? kWidth * r.epoch / r.epochs : kWidth;
            std::string bar(static_cast<std::size_t>(filled), '#');
            bar.resize(kWidth, '-');
            std::fprintf(stderr, "\r  %s epoch %d/%d [%s] loss %.4f  val WAPE %.4f%s  ETA %s ", phase_.c_str(), r.epoch,
                         r.epochs, bar.c_str(), r.train_loss, r.validation_error, r.improved ? "*" : " ",
                         ClockText(r.eta_seconds).c_str());
            open_line_ = true;
        } else {
            std::fprintf(stderr, "  %s epoch %d/%d loss %.5f val_wape %.5f%s elapsed %.1fs eta %.0fs\n", phase_.c_str(),
                         r.epoch, r.epochs, r.train_loss, r.validation_error, r.improved ? " best" : "", r.seconds,
                         r.eta_seconds);
        }
        std::fflush(stderr);
    }
    void Finish() {
        if (open_line_) std::fprintf(stderr, "\n");
        open_line_ = false;
    }

private:
    bool terminal_;
    bool open_line_ = false;
    std::string phase_;
};

}  // namespace

int RunTrain(const TrainCommand& c) {
    if (!IsKnownModel(c.model)) {
        std::cerr << "cloudopt: unknown model '" << c.model << "'; known: " << kKnownModels << "\n";
        return kUsageError;
    }
    auto all = LoadSeries(c.data, c.missing_value);
    if (!all) {
        std::cerr << "cloudopt: " << all.error().message << "\n";
        return kUsageError;
    }
    if (!c.series.empty() && !all->count(c.series)) {
        std::string known;
        for (const auto& [id, s] : *all) known += (known.empty() ? "" : ", ") + id;
        std::cerr << "cloudopt: series '" << c.series << "' is not in " << c.data << "; it has: " << known << "\n";
        return kUsageError;
    }
    Progress progress;
    ModelOptions options;
    options.lstm.train.epochs = c.epochs;
    c.lstm.ApplyTo(options.lstm);
    options.lstm.train.on_epoch = [&progress](const EpochReport& r) { progress.Epoch(r); };
    options.auto_includes_lstm = true;
    options.phase_bands = c.phase_bands;
    // One network across the chosen series, for "lstm_fleet", "lstm_tuned" and, with two series or more, "auto": one
    // pair of networks for the backtest (blind to each series' last 20%) and, with --out, one for the saved models.
    const std::vector<FleetSeries> members = AsFleet(*all, c.series);
    ModelOptions backtest_models = options;
    if (c.model == "lstm_fleet" || c.model == "lstm_tuned" || (c.model == "auto" && members.size() >= 2)) {
        progress.Phase("one network across " + std::to_string(members.size()) + " series (backtest)");
        BacktestOptions fleet_backtest;
        fleet_backtest.horizon = c.horizon;
        fleet_backtest.models = options;
        auto fleet = TrainFleetForBacktest(members, fleet_backtest);
        progress.Finish();
        if (!fleet) {
            std::cerr << "cloudopt: lstm_fleet: " << fleet.error().message << "\n";
            return kUsageError;
        }
        backtest_models.fleet = std::move(*fleet);
        if (!c.out.empty()) {
            progress.Phase("one network across " + std::to_string(members.size()) + " series (final)");
            auto final_fleet = TrainFleetForModels(members, c.horizon, options);
            progress.Finish();
            if (!final_fleet) {
                std::cerr << "cloudopt: lstm_fleet: " << final_fleet.error().message << "\n";
                return kUsageError;
            }
            options.fleet = std::move(*final_fleet);
        }
    }

    std::vector<NamedModel> saved;
    double accuracy_sum = 0;
    int counted = 0;
    std::printf("%-24s %8s %9s %7s %7s %7s  %s\n", "series", "points", "accuracy", "p90", "p95", "p99", "model");
    for (const auto& [id, series] : *all) {
        if (!c.series.empty() && id != c.series) continue;
        BacktestOptions backtest;
        backtest.horizon = c.horizon;
        backtest.start = series.start;
        backtest.step_seconds = series.step;
        backtest.models = backtest_models;
        progress.Phase(id + " (backtest: first 80%)");
        auto score = Backtest(c.model, series.values, backtest, series.missing);
        progress.Finish();
        if (!score) {
            std::cerr << "cloudopt: series '" << id << "': " << score.error().message << "\n";
            return kUsageError;
        }
        const std::string model = (score->chosen.empty() ? c.model : score->chosen) +
                                  (score->phase_bands == "none" ? "" : ", bands by the " + score->phase_bands);
        std::printf("%-24s %8zu %9.4f %7.3f %7.3f %7.3f  %s\n", id.c_str(), series.values.size(), score->accuracy,
                    score->coverage_p90, score->coverage_p95, score->coverage_p99, model.c_str());
        std::fflush(stdout);
        accuracy_sum += score->accuracy;
        ++counted;
        if (c.out.empty()) continue;
        progress.Phase(id + " (final: whole series)");
        auto trained = TrainModel(c.model, series, c.horizon, options);
        progress.Finish();
        if (!trained) {
            std::cerr << "cloudopt: series '" << id << "': " << trained.error().message << "\n";
            return kUsageError;
        }
        saved.push_back({id, std::move(*trained)});
    }
    std::printf("mean accuracy (1 - WAPE, horizon %d, last 20%% of each series): %.4f over %d series\n", c.horizon,
                accuracy_sum / counted, counted);
    if (!c.out.empty()) {
        const std::string bytes = SaveModels(saved);
        if (Status s = WriteWholeFile(c.out, bytes, "model file"); !s) {
            std::cerr << "cloudopt: " << s.error().message << "\n";
            return kUsageError;
        }
        std::printf("saved %zu model(s) to %s (%zu bytes)\n", saved.size(), c.out.c_str(), bytes.size());
    }
    return 0;
}

}  // namespace cloudopt
