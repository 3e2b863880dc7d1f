// Anomaly detection speed (Google Benchmark): points per second of the streaming detector
// (anomaly/streaming_detector.hpp), on the NAB dev half read from disk once and on a synthetic series, and the NAB
// scorer's threshold optimization over the half. docs/PERFORMANCE.md records the results.
//
//   anomaly_throughput [--nab DIR] [google benchmark flags, e.g. --benchmark_repetitions=5]
//
// --nab defaults to ../shared/data/nab next to the repository; without it the NAB benchmarks are skipped.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "anomaly/nab_corpus.hpp"
#include "anomaly/streaming_detector.hpp"

namespace {

using namespace cloudopt;

struct NabHalf {
    std::vector<NabSeries> series;
    NabLabels labels;
    std::size_t points = 0;
};

NabHalf& Half() {
    static NabHalf half;
    return half;
}

void BM_DetectNabHalf(benchmark::State& state) {
    const NabHalf& half = Half();
    if (half.series.empty()) {
        state.SkipWithError("NAB data not found (--nab DIR)");
        return;
    }
    for (auto _ : state) {
        for (const NabSeries& file : half.series) benchmark::DoNotOptimize(DetectAnomalies(file.values));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * half.points));
    state.counters["points"] = static_cast<double>(half.points);
}
BENCHMARK(BM_DetectNabHalf)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DetectAndScoreNabHalf(benchmark::State& state) {
    const NabHalf& half = Half();
    if (half.series.empty()) {
        state.SkipWithError("NAB data not found (--nab DIR)");
        return;
    }
    for (auto _ : state) {
        std::vector<std::vector<double>> scores;
        for (const NabSeries& file : half.series) scores.push_back(DetectAnomalies(file.values));
        benchmark::DoNotOptimize(ScoreNabCorpus(half.series, scores, half.labels));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * half.points));
}
BENCHMARK(BM_DetectAndScoreNabHalf)->Unit(benchmark::kMillisecond)->UseRealTime();

// One series of 5-minute points (daily cycle and noise), the detector's memory full for most of it.
void BM_DetectorUpdate(benchmark::State& state) {
    std::mt19937 rng(7);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<double> values(static_cast<std::size_t>(state.range(0)));
    for (std::size_t i = 0; i < values.size(); ++i) {
        values[i] = 50.0 + 20.0 * std::sin(2.0 * M_PI * static_cast<double>(i) / 288.0) + noise(rng);
    }
    for (auto _ : state) benchmark::DoNotOptimize(DetectAnomalies(values));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_DetectorUpdate)->Arg(20000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
    std::filesystem::path nab = std::filesystem::path(CLOUDOPT_REPO_DIR) / ".." / "shared" / "data" / "nab";
    std::vector<char*> rest;
    for (int i = 0; i < argc; ++i) {
        if (std::strcmp(argv[i], "--nab") == 0 && i + 1 < argc) {
            nab = argv[++i];
        } else {
            rest.push_back(argv[i]);
        }
    }
    Result<std::vector<NabSeries>> series = ReadNabData(nab / "data");
    Result<NabLabels> labels = ReadNabLabels(nab / "labels" / "combined_windows.json");
    if (series.ok() && labels.ok()) {
        Half().series = std::move(series).value();
        Half().labels = std::move(labels).value();
        for (const NabSeries& file : Half().series) Half().points += file.values.size();
    }
    int rest_argc = static_cast<int>(rest.size());
    benchmark::Initialize(&rest_argc, rest.data());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
