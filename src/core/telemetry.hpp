#pragma once
// In-process metrics in the Prometheus data model (counters, gauges, histograms with labels), rendered in the
// text exposition format for GET /metrics. Thread-safe: lookups take a mutex, updates are lock-free atomics.
// References returned by the registry stay valid for the registry's lifetime, so hot paths look up once.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace cloudopt {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
  public:
    void Inc(double v = 1.0) { value_.fetch_add(v, std::memory_order_relaxed); }
    double Value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> value_{0.0};
};

class Gauge {
  public:
    void Set(double v) { value_.store(v, std::memory_order_relaxed); }
    void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
    double Value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> value_{0.0};
};

class Histogram {
  public:
    explicit Histogram(std::vector<double> upper_bounds);
    void Observe(double v);
    // Cumulative counts per bound (Prometheus "le" semantics), then +Inf.
    std::vector<std::uint64_t> CumulativeCounts() const;
    const std::vector<double>& bounds() const { return bounds_; }
    double Sum() const { return sum_.load(std::memory_order_relaxed); }
    std::uint64_t Count() const { return count_.load(std::memory_order_relaxed); }

  private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // one per bound, plus +Inf
    std::atomic<double> sum_{0.0};
    std::atomic<std::uint64_t> count_{0};
};

class MetricsRegistry {
  public:
    Counter& GetCounter(const std::string& name, const std::string& help, const Labels& labels = {});
    Gauge& GetGauge(const std::string& name, const std::string& help, const Labels& labels = {});
    Histogram& GetHistogram(const std::string& name, const std::string& help, const Labels& labels,
                            const std::vector<double>& bounds);
    std::string RenderPrometheus() const;
    // Stops rendering one gauge series (a budget that was deleted or renamed, say): the next GetGauge with the same
    // labels starts a new series at 0. A reference obtained before stays valid (the object is retired, not freed)
    // but no longer shows. False when there was no such series.
    bool RemoveGauge(const std::string& name, const Labels& labels);

    // Latency buckets in seconds, from 100 µs to 10 s.
    static std::vector<double> LatencyBuckets();

  private:
    struct Family {
        std::string type;
        std::string help;
        std::map<std::string, std::unique_ptr<Counter>> counters;  // keyed by rendered label set
        std::map<std::string, std::unique_ptr<Gauge>> gauges;
        std::map<std::string, std::unique_ptr<Histogram>> histograms;
    };
    Family& FamilyFor(const std::string& name, const std::string& type, const std::string& help);

    mutable std::mutex mutex_;
    std::map<std::string, Family> families_;
    std::vector<std::unique_ptr<Gauge>> retired_gauges_;  // removed series, kept so old references stay valid
};

}  // namespace cloudopt
