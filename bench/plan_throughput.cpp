// Planning speed: the optimizer alone (forecasts given) over a fleet of resources, the issue's "10,000 resources
// in under 1 second on 2 cores". Prints one JSON object per configuration with the median of --repeat runs.
//
//   plan_throughput [--resources N] [--repeat R] [--threads T]
//
// Configurations, measured side by side in one run:
//   own_type     each resource may use its own type only (the default), with prices and reasons;
//   mixed        each may use 4 types of its cloud (general, compute, memory, Graviton) with up to 30% spot;
//   no_catalog   counts only, no prices: the floor the timing rules cost by themselves.
// Fleet: resources of 2 to ~400 instances, 12-step forecasts (5-minute steps, daily shape plus noise), a measured
// load, and a window history with recent changes, so every rule runs.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "allocate/capacity_planner.hpp"
#include "allocate/plan_history.hpp"
#include "core/catalog.hpp"

namespace {

using namespace cloudopt;
using Clock = std::chrono::steady_clock;

long Arg(int argc, char** argv, const char* name, long fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return std::atol(argv[i + 1]);
    return fallback;
}

Catalog BenchCatalog() {
    return Catalog({{"aws", "m5.large", 2, 8, 0.096, 0.0336, "us-east-1"},
                    {"aws", "m5.2xlarge", 8, 32, 0.384, 0.1344, "us-east-1"},
                    {"aws", "m6g.large", 2, 8, 0.077, 0.02695, "us-east-1"},
                    {"aws", "c5.xlarge", 4, 8, 0.170, 0.0595, "us-east-1"},
                    {"aws", "r5.large", 2, 16, 0.126, 0.0441, "us-east-1"}});
}

std::vector<PlanInput> Fleet(std::size_t n, const Catalog* catalog, bool mixed) {
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> size(1.0, 300.0), phase(0.0, 6.28), noise(0.9, 1.1);
    std::vector<PlanInput> fleet(n);
    const UnixSeconds now = 1'700'000'000;
    for (std::size_t i = 0; i < n; ++i) {
        PlanInput& in = fleet[i];
        Resource& r = in.resource;
        r.id = static_cast<ResourceId>(i + 1);
        r.name = std::to_string(i);  // ("r" + to_string trips a GCC 12 -Wrestrict false positive)
        r.provider = "aws";
        r.instance_type = "m5.large";
        r.capacity_per_instance = 2.0;
        r.min_capacity = 1;
        r.max_capacity = 1000;
        r.max_step = i % 3 == 0 ? 50 : 0;
        if (mixed) {
            r.allowed_types = {"m5.2xlarge", "m6g.large", "c5.xlarge", "r5.large"};
            r.spot_share_max = 0.3;
        }
        const double base = size(rng), ph = phase(rng);
        Forecast f;
        f.step = 300;
        f.generated_at = now;
        for (int h = 0; h < 12; ++h) {
            const double v = base * (1.0 + 0.3 * std::sin(ph + h * 0.05)) * noise(rng);
            f.points.push_back({now + h * 300, v, v * 1.1, v * 1.15});
        }
        in.forecast = std::move(f);
        in.current_load = base * noise(rng);
        in.current_capacity = std::max(1, static_cast<int>(base / 1.5 * noise(rng)));
        in.now = now;
        in.tick_seconds = 60;
        in.catalog = catalog;
        PlanHistory history(300);
        history.RecordRecommendation(now - 120, in.current_capacity + 1);
        history.RecordChange(now - 120, in.current_capacity - 2, in.current_capacity);
        history.Fill(now, in);
    }
    return fleet;
}

// Plans the whole fleet on `threads` threads; returns seconds.
double PlanAll(const std::vector<PlanInput>& fleet, int threads, long& checksum) {
    const CapacityPlanner planner;
    std::vector<long> sums(static_cast<std::size_t>(threads), 0);
    const auto start = Clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            long sum = 0;
            for (std::size_t i = static_cast<std::size_t>(t); i < fleet.size();
                 i += static_cast<std::size_t>(threads)) {
                const PlanDecision d = planner.Plan(fleet[i]);
                sum += d.desired + static_cast<long>(d.mix.size()) + static_cast<long>(d.reason.size() % 7);
            }
            sums[static_cast<std::size_t>(t)] = sum;
        });
    }
    for (std::thread& th : pool) th.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    for (long s : sums) checksum += s;
    return seconds;
}

}  // namespace

int main(int argc, char** argv) {
    const auto n = static_cast<std::size_t>(Arg(argc, argv, "--resources", 10000));
    const int repeat = static_cast<int>(Arg(argc, argv, "--repeat", 7));
    const int threads = static_cast<int>(Arg(argc, argv, "--threads", 2));
    const Catalog catalog = BenchCatalog();
    struct Config {
        const char* name;
        const Catalog* catalog;
        bool mixed;
    };
    long checksum = 0;
    for (const Config& c :
         {Config{"own_type", &catalog, false}, Config{"mixed", &catalog, true}, Config{"no_catalog", nullptr, false}}) {
        const std::vector<PlanInput> fleet = Fleet(n, c.catalog, c.mixed);
        for (int t : {1, threads}) {
            std::vector<double> runs;
            for (int i = 0; i < repeat; ++i) runs.push_back(PlanAll(fleet, t, checksum));
            std::sort(runs.begin(), runs.end());
            const double median = runs[runs.size() / 2];
            std::printf(
                "{\"config\":\"%s\",\"resources\":%zu,\"threads\":%d,\"median_s\":%.4f,\"min_s\":%.4f,"
                "\"plans_per_s\":%.0f}\n",
                c.name, n, t, median, runs.front(), static_cast<double>(n) / median);
        }
    }
    std::fprintf(stderr, "checksum %ld\n", checksum);
    return 0;
}
