#include "monitor/host_source.hpp"

#include <fstream>
#include <iterator>
#include <sstream>

namespace cloudopt::monitor {

namespace {

std::optional<std::string> Slurp(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

std::optional<CpuTimes> ParseProcStat(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    std::optional<CpuTimes> t;
    int cores = 0;
    while (std::getline(in, line)) {
        if (line.rfind("cpu ", 0) == 0) {
            std::istringstream fields(line.substr(4));
            unsigned long long v[8] = {};
            int n = 0;
            while (n < 8 && fields >> v[n]) ++n;
            if (n < 4) return std::nullopt;
            CpuTimes c;
            for (int i = 0; i < n; ++i) c.total += v[i];
            c.busy = c.total - v[3] - (n > 4 ? v[4] : 0);  // idle and iowait are not work
            t = c;
        } else if (line.rfind("cpu", 0) == 0 && line.size() > 3 && std::isdigit(static_cast<unsigned char>(line[3]))) {
            ++cores;
        }
    }
    if (t) t->cores = cores;
    return t;
}

std::optional<double> ParseMemInfoUsedBytes(const std::string& text) {
    std::istringstream in(text);
    std::string key;
    double value = 0, total = -1, available = -1;
    std::string unit;
    while (in >> key >> value) {
        std::getline(in, unit);
        if (key == "MemTotal:") total = value;
        if (key == "MemAvailable:") available = value;
    }
    if (total < 0 || available < 0) return std::nullopt;
    return (total - available) * 1024.0;
}

Result<std::vector<MetricReading>> HostSource::Collect(const Resource& resource, UnixSeconds now) {
    auto stat = Slurp(proc_ + "/stat");
    auto meminfo = Slurp(proc_ + "/meminfo");
    if (!stat || !meminfo) return MakeError(ErrorCode::kUnavailable, "cannot read " + proc_ + "/stat and /meminfo");
    auto cpu = ParseProcStat(*stat);
    auto used = ParseMemInfoUsedBytes(*meminfo);
    if (!cpu || !used) return MakeError(ErrorCode::kUnavailable, proc_ + ": unexpected /proc/stat or /proc/meminfo format");
    std::vector<MetricReading> readings = {{"memory_used_bytes", {now, *used}}};
    std::lock_guard lock(mutex_);
    if (last_ && cpu->total > last_->total && cpu->busy >= last_->busy) {
        const double share = static_cast<double>(cpu->busy - last_->busy) / static_cast<double>(cpu->total - last_->total);
        readings.push_back({resource.load_metric, {now, share * cpu->cores}});
        readings.push_back({"cpu_utilization", {now, share}});
    }
    last_ = cpu;
    return readings;
}

Result<CapacityState> HostSource::Describe(const Resource& resource) {
    CapacityState state;
    state.desired = state.ready = 1;
    state.instance_type = resource.instance_type;
    return state;
}

Status HostSource::SetDesiredCapacity(const Resource&, int) {
    return MakeError(ErrorCode::kUnprocessable,
                     "the host cloudopt runs on cannot be scaled by cloudopt; use mode recommend to see the size its load needs");
}

}  // namespace cloudopt::monitor
