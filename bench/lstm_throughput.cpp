// LSTM speed and memory, the cloudopt side of bench/lstm_vs_torch.sh. Prints one JSON object per measurement.
//
//   lstm_throughput train  [--windows N] [--epochs E] [--threads T]  training windows/s (window 48, hidden 64,
//                                                                    batch 64, Adam), pure training steps
//   lstm_throughput infer  [--windows N] [--threads T] [--fused 0|1] inference windows/s, batches of 128 per
//                                                                    thread; --fused 0 skips the AVX2 kernel
//   lstm_throughput memory [--points N]                              fit on N points (1 epoch); peak RSS in MB
//   lstm_throughput fleet  [--series N]                              forecast N series, one loaded model each
//
// The series is synthetic (daily sine plus noise, 5-minute steps): speed does not depend on the values.

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "forecast/lstm_model.hpp"
#include "forecast/lstm_trainer.hpp"

namespace {

using namespace cloudopt;
using Clock = std::chrono::steady_clock;

std::vector<double> Series(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0.0, 3.0);
    std::vector<double> y(n);
    for (std::size_t i = 0; i < n; ++i) y[i] = 50 + 20 * std::sin(2 * M_PI * static_cast<double>(i) / 288.0) + noise(rng);
    return y;
}

long Arg(int argc, char** argv, const char* name, long fallback) {
    for (int i = 2; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return std::atol(argv[i + 1]);
    return fallback;
}

double PeakRssMb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

struct Prepared {
    LstmShape shape{5, 64, 1, 48, 12};
    Eigen::MatrixXf features;
    std::vector<float> scaled;
    std::vector<std::size_t> origins;
};

Prepared Prepare(std::size_t windows) {
    Prepared p;
    const std::size_t n = windows + static_cast<std::size_t>(p.shape.window + p.shape.outputs);
    const std::vector<double> y = Series(n, 7);
    p.features.resize(5, static_cast<Eigen::Index>(n));
    for (std::size_t i = 0; i < n; ++i) {
        float cal[4];
        CalendarFeatures(static_cast<UnixSeconds>(i) * 300, cal);
        p.scaled.push_back(static_cast<float>((y[i] - 50) / 15));
        p.features(0, static_cast<Eigen::Index>(i)) = p.scaled.back();
        for (int k = 0; k < 4; ++k) p.features(k + 1, static_cast<Eigen::Index>(i)) = cal[k];
    }
    for (std::size_t t = static_cast<std::size_t>(p.shape.window); t < p.shape.window + windows; ++t) p.origins.push_back(t);
    return p;
}

int Train(int argc, char** argv) {
    Prepared p = Prepare(static_cast<std::size_t>(Arg(argc, argv, "--windows", 20000)));
    LstmTrainOptions o;
    o.epochs = static_cast<int>(Arg(argc, argv, "--epochs", 3));
    o.threads = static_cast<int>(Arg(argc, argv, "--threads", 0));
    o.patience = 1000;
    const WindowSource source{&p.features, p.scaled, {50.0, 15.0}};
    const TrainResult r = TrainLstm(LstmLayout(p.shape), source, p.origins, {}, o);
    std::printf("{\"side\":\"cloudopt\",\"measure\":\"train\",\"windows_per_second\":%.0f,\"windows\":%zu,\"epochs\":%d,"
                "\"threads\":%d}\n",
                r.windows_per_second, p.origins.size(), o.epochs, ResolveThreads(o.threads));
    return 0;
}

int Infer(int argc, char** argv) {
    Prepared p = Prepare(static_cast<std::size_t>(Arg(argc, argv, "--windows", 50000)));
    const int threads = static_cast<int>(Arg(argc, argv, "--threads", 0));
    const LstmLayout layout(p.shape);
    const std::vector<float> params = InitialParameters(layout, 1);
    LstmFusedWeights fused = FuseForInference(layout, params.data());
    const bool use_kernel = Arg(argc, argv, "--fused", 1) != 0 && !fused.packed.empty();
    if (!use_kernel) fused.packed.clear();  // LstmInfer then takes the Eigen path
    const WindowSource source{&p.features, p.scaled, {50.0, 15.0}};
    std::vector<float> out;
    PredictLstm(layout, params, source, p.origins, threads, out, &fused);  // warm-up
    std::vector<double> rates;
    for (int rep = 0; rep < 5; ++rep) {
        const auto t0 = Clock::now();
        PredictLstm(layout, params, source, p.origins, threads, out, &fused);
        rates.push_back(static_cast<double>(p.origins.size()) / std::chrono::duration<double>(Clock::now() - t0).count());
    }
    std::sort(rates.begin(), rates.end());
    std::printf("{\"side\":\"cloudopt\",\"measure\":\"infer\",\"windows_per_second\":%.0f,\"windows\":%zu,"
                "\"threads\":%d,\"kernel\":\"%s\"}\n",
                rates[rates.size() / 2], p.origins.size(), ResolveThreads(threads),
                use_kernel ? "fused_avx2" : "eigen");
    return 0;
}

int Memory(int argc, char** argv) {
    const auto n = static_cast<std::size_t>(Arg(argc, argv, "--points", 100000));
    const std::vector<double> y = Series(n, 3);
    LstmOptions options;
    options.train.epochs = 1;
    LstmModel model(options);
    const auto t0 = Clock::now();
    const Status s = model.Fit(y, SeriesContext{.season = 288, .start = 0, .step = 300, .horizon = 12});
    if (!s) {
        std::fprintf(stderr, "fit failed: %s\n", s.error().message.c_str());
        return 1;
    }
    std::printf("{\"side\":\"cloudopt\",\"measure\":\"memory\",\"points\":%zu,\"peak_rss_mb\":%.1f,\"seconds\":%.2f}\n", n,
                PeakRssMb(), std::chrono::duration<double>(Clock::now() - t0).count());
    return 0;
}

int Fleet(int argc, char** argv) {
    const auto count = static_cast<std::size_t>(Arg(argc, argv, "--series", 10000));
    // One trained model, loaded once per series as the service would load each resource's own model.
    const std::vector<double> y = Series(2000, 5);
    LstmOptions options;
    options.train.epochs = 1;
    LstmModel trained(options);
    if (!trained.Fit(y, SeriesContext{.season = 288, .start = 0, .step = 300, .horizon = 12})) return 1;
    const std::string bytes = trained.Serialize();
    std::vector<LstmModel> models;
    models.reserve(count);
    for (std::size_t i = 0; i < count; ++i) models.push_back(*LstmModel::Deserialize(bytes));
    std::vector<std::vector<double>> histories;
    for (std::size_t i = 0; i < count; ++i) histories.push_back(Series(576, i));  // two days each
    std::vector<double> out;
    double checksum = 0;
    const auto t0 = Clock::now();
    for (std::size_t i = 0; i < count; ++i) {
        models[i].ForecastFromOrigins(histories[i], histories[i].size(), 12, out);
        checksum += out[0];
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("{\"side\":\"cloudopt\",\"measure\":\"fleet\",\"series\":%zu,\"seconds\":%.3f,\"checksum\":%.1f}\n", count,
                seconds, checksum);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "train") return Train(argc, argv);
    if (mode == "infer") return Infer(argc, argv);
    if (mode == "memory") return Memory(argc, argv);
    if (mode == "fleet") return Fleet(argc, argv);
    std::fprintf(stderr, "usage: lstm_throughput train|infer|memory|fleet [options] (see the top of bench/lstm_throughput.cpp)\n");
    return 2;
}
