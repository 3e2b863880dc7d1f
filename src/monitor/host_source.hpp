#pragma once
// The machine cloudopt runs on, from /proc: CPU cores in use (busy jiffies over elapsed jiffies, times the core
// count, between two readings) and memory in use (MemTotal - MemAvailable). A provider name with driver `host`
// reads it for its resources; the host itself cannot be scaled, so such resources run in recommend mode (the
// recommendation says what size of machine the load needs).

#include <mutex>
#include <optional>
#include <string>

#include "core/provider.hpp"

namespace cloudopt::monitor {

struct CpuTimes {
    unsigned long long busy = 0;
    unsigned long long total = 0;
    int cores = 0;
};
// The "cpu" line of /proc/stat (user nice system idle iowait irq softirq steal ...) and the count of "cpuN"
// lines. nullopt when the text has no cpu line.
std::optional<CpuTimes> ParseProcStat(const std::string& text);
// Bytes in use from /proc/meminfo: MemTotal - MemAvailable (kB in the file). nullopt when either is missing.
std::optional<double> ParseMemInfoUsedBytes(const std::string& text);

class HostSource final : public MetricSource, public Provider {
public:
    explicit HostSource(std::string proc_dir = "/proc") : proc_(std::move(proc_dir)) {}
    // cpu_cores (the resource's load_metric) and cpu_utilization from the second call on; memory_used_bytes always.
    Result<std::vector<MetricReading>> Collect(const Resource& resource, UnixSeconds now) override;
    // One machine, always serving.
    Result<CapacityState> Describe(const Resource& resource) override;
    // kUnprocessable: a host is resized by its owner; use mode recommend.
    Status SetDesiredCapacity(const Resource& resource, int desired) override;

private:
    std::string proc_;
    std::mutex mutex_;
    std::optional<CpuTimes> last_;
};

}  // namespace cloudopt::monitor
