// Does retraining a model when its error drifts (control/model_health.hpp) forecast better than keeping it, or
// than retraining it on a schedule? Replays each series of a file as the service sees it: a model trained on the
// last `history` of load forecasts steps 1..H from every origin; at each step a policy may retrain it on the last
// `history` before that step. Scores every forecast (1 - WAPE, mean over series) and counts the trainings.
//
//   drift_retrain --data F.csv [--horizon 12] [--epochs 0] [--history-days 8] [--ratio 1.5] [--min-hours 6]
//                 [--series N] [--policies keep,daily,drift,daily+drift] [--verbose]
//
// Policies: keep (train once), daily (retrain every 24 h, the service's loop.retrain_hours), drift (retrain when
// DriftReason says so, at most once an hour), daily+drift (the service's default). The live score a policy sees
// is TrackTrainedModel's: the forecasts since training of the last min(since training, 24 h), as the service.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "control/model_health.hpp"
#include "core/trace_csv.hpp"
#include "forecast/trained_model.hpp"

namespace cloudopt {
namespace {

struct Args {
    std::string data;
    int horizon = 12;
    int epochs = 0;
    double history_days = 8;
    double ratio = 1.5;
    double min_hours = 6;
    bool must_lose_to_naive = true;
    std::size_t max_series = 0;  // 0: all
    bool verbose = false;        // print why each retraining happened
    std::vector<std::string> policies = {"keep", "daily", "drift", "daily+drift"};
};

struct Outcome {
    double accuracy = 0.0;
    int trainings = 0;
};

class Replay {
  public:
    Replay(const RegularSeries& series, const Args& args) : s_(series), args_(args) {
        const auto steps_for = [&](double seconds) { return static_cast<std::size_t>(seconds / series.step); };
        history_ = std::min(steps_for(args.history_days * 86400), series.values.size() / 2);
        day_ = steps_for(86400);
        hour_ = std::max<std::size_t>(1, steps_for(3600));
        rule_.error_ratio = args.ratio;
        rule_.min_actuals = steps_for(args.min_hours * 3600);
        rule_.must_lose_to_naive = args.must_lose_to_naive;
    }

    Result<Outcome> Run(const std::string& policy) {
        const bool daily = policy == "daily" || policy == "daily+drift";
        const bool drift = policy == "drift" || policy == "daily+drift";
        const std::size_t n = s_.values.size();
        const std::size_t h = static_cast<std::size_t>(args_.horizon);
        Outcome out;
        double abs_error = 0.0, abs_actual = 0.0;
        std::size_t trained_at = 0, last_request = 0;
        std::vector<double> forecasts;  // of the model in use, origin t, step k at (t - trained_at) * h + k
        std::unique_ptr<TrainedModel> model;
        for (std::size_t t = history_; t < n; ++t) {
            bool retrain = !model;
            if (model && daily && t - trained_at >= day_) retrain = true;
            if (model && !retrain && drift && t - last_request >= hour_) {
                const ModelHealth health{model->bands.accuracy, LiveScoreAt(forecasts, trained_at, t), 0};
                const auto why = DriftReason(health, rule_);
                retrain = why.has_value();
                if (why && args_.verbose) std::fprintf(stderr, "  step %zu: %s\n", t, why->c_str());
            }
            if (retrain) {
                auto trained = Train(t);
                if (!trained) return trained.error();
                model = std::make_unique<TrainedModel>(std::move(*trained));
                trained_at = last_request = t;
                ++out.trainings;
                // Forecasts from every later origin, each from the true history up to it, as the data arrives.
                const std::size_t w0 = t - history_;
                model->point->ForecastFromOriginsAt(s_.start + static_cast<UnixSeconds>(w0) * s_.step,
                                                    std::span(s_.values).subspan(w0), t - w0, args_.horizon, forecasts);
            }
            for (std::size_t k = 0; k < h && t + k < n; ++k) {
                if (s_.IsMissing(t + k)) continue;
                abs_error += std::abs(s_.values[t + k] - forecasts[(t - trained_at) * h + k]);
                abs_actual += std::abs(s_.values[t + k]);
            }
        }
        out.accuracy = abs_actual > 0 ? 1.0 - abs_error / abs_actual : 0.0;
        return out;
    }

  private:
    Result<TrainedModel> Train(std::size_t t) const {
        const std::size_t w0 = t - history_;
        RegularSeries window{
            s_.start + static_cast<UnixSeconds>(w0) * s_.step,
            s_.step,
            {s_.values.begin() + static_cast<std::ptrdiff_t>(w0), s_.values.begin() + static_cast<std::ptrdiff_t>(t)},
            {}};
        if (!s_.missing.empty())
            window.missing.assign(s_.missing.begin() + static_cast<std::ptrdiff_t>(w0),
                                  s_.missing.begin() + static_cast<std::ptrdiff_t>(t));
        ModelOptions options;
        options.auto_includes_lstm = args_.epochs > 0;
        options.lstm.train.epochs = std::max(1, args_.epochs);
        return TrainModel("auto", window, args_.horizon, options);
    }

    // What the service's TrackTrainedModel scores at time t (values [0, t) known): the forecasts from the last
    // min(t - trained_at, 24 h) origins of the values known so far.
    LiveScore LiveScoreAt(const std::vector<double>& forecasts, std::size_t trained_at, std::size_t t) const {
        const std::size_t first = t - std::min(t - trained_at, day_);
        return ScoreForecasts(s_.values, s_.missing, forecasts, trained_at, first, t,
                              static_cast<std::size_t>(args_.horizon));
    }

    const RegularSeries& s_;
    const Args& args_;
    std::size_t history_ = 0, day_ = 0, hour_ = 0;
    DriftRule rule_;
};

std::vector<std::string> Split(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, ',');)
        if (!part.empty()) out.push_back(part);
    return out;
}

int Main(int argc, char** argv) {
    Args args;
    for (int i = 1; i < argc; i += 2) {
        const std::string key = argv[i];
        if (key == "--verbose") {
            args.verbose = true;
            --i;
            continue;
        }
        if (i + 1 == argc) {
            std::cerr << key << " needs a value\n";
            return 2;
        }
        const std::string value = argv[i + 1];
        if (key == "--data")
            args.data = value;
        else if (key == "--horizon")
            args.horizon = std::atoi(value.c_str());
        else if (key == "--epochs")
            args.epochs = std::atoi(value.c_str());
        else if (key == "--history-days")
            args.history_days = std::atof(value.c_str());
        else if (key == "--ratio")
            args.ratio = std::atof(value.c_str());
        else if (key == "--min-hours")
            args.min_hours = std::atof(value.c_str());
        else if (key == "--must-lose-to-naive")
            args.must_lose_to_naive = value == "true";
        else if (key == "--series")
            args.max_series = static_cast<std::size_t>(std::atoll(value.c_str()));
        else if (key == "--policies")
            args.policies = Split(value);
        else {
            std::cerr << "unknown option " << key << "\n";
            return 2;
        }
    }
    if (args.data.empty() || args.horizon < 1) {
        std::cerr << "usage: drift_retrain --data F.csv [--horizon 12] [--epochs 0] [--history-days 8] [--ratio 1.5]"
                     " [--min-hours 6] [--series N] [--policies keep,daily,drift,daily+drift] [--verbose]\n";
        return 2;
    }
    std::ifstream in(args.data);
    std::stringstream text;
    text << in.rdbuf();
    auto all = SeriesFromCsv(text.str());
    if (!all) {
        std::cerr << all.error().message << "\n";
        return 2;
    }
    std::map<std::string, std::vector<Outcome>> by_policy;
    std::size_t done = 0;
    const auto started = std::chrono::steady_clock::now();
    for (const auto& [id, series] : *all) {
        if (args.max_series && done == args.max_series) break;
        Replay replay(series, args);
        std::printf("%-24s", id.c_str());
        for (const std::string& policy : args.policies) {
            auto outcome = replay.Run(policy);
            if (!outcome) {
                std::cerr << id << " " << policy << ": " << outcome.error().message << "\n";
                return 1;
            }
            by_policy[policy].push_back(*outcome);
            std::printf("  %s %.4f (%d)", policy.c_str(), outcome->accuracy, outcome->trainings);
        }
        std::printf("\n");
        std::fflush(stdout);
        ++done;
    }
    std::printf("mean over %zu series (%.0f s):\n", done,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    for (const std::string& policy : args.policies) {
        double accuracy = 0.0, trainings = 0.0;
        for (const Outcome& o : by_policy[policy]) {
            accuracy += o.accuracy;
            trainings += o.trainings;
        }
        const double count = static_cast<double>(by_policy[policy].size());
        std::printf("  %-12s accuracy %.4f  trainings per series %.1f\n", policy.c_str(), accuracy / count,
                    trainings / count);
    }
    return 0;
}

}  // namespace
}  // namespace cloudopt

int main(int argc, char** argv) { return cloudopt::Main(argc, argv); }
