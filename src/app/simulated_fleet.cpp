#include "app/simulated_fleet.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>

#include "app/files.hpp"
#include "core/trace_csv.hpp"

namespace cloudopt {

namespace {

constexpr UnixSeconds kFleetStep = 300;
constexpr UnixSeconds kFleetHistory = 7 * 86400;
constexpr const char* kFleetPrefix = "fleet/";

}  // namespace

SimulatedCloud::GroupSource FleetGroupSource(Store& store, const Catalog& catalog, const std::string& demo_dir) {
    struct Traces {
        std::mutex mutex;
        std::map<std::string, std::optional<RegularSeries>> by_name;  // guarded by mutex; nullopt: unreadable
    };
    auto traces = std::make_shared<Traces>();
    return [&store, &catalog, demo_dir, traces](const Resource& r) -> std::optional<SimulatedGroupSpec> {
        if (r.provider_ref.rfind(kFleetPrefix, 0) != 0) return std::nullopt;
        const std::string rest = r.provider_ref.substr(std::string(kFleetPrefix).size());
        const std::string name = rest.substr(0, rest.find('/'));
        if (name.empty() || name.find("..") != std::string::npos) return std::nullopt;
        std::optional<RegularSeries> trace;
        {
            std::lock_guard lock(traces->mutex);
            auto it = traces->by_name.find(name);
            if (it == traces->by_name.end()) {
                std::optional<RegularSeries> loaded;
                if (auto text = ReadWholeFile(demo_dir + "/" + name + ".csv", "fleet trace"); text)
                    if (auto parsed = ParseTraceCsv(*text); parsed && parsed->size() == 1)
                        loaded = Regularize(parsed->begin()->second, kFleetStep);
                it = traces->by_name.emplace(name, std::move(loaded)).first;
            }
            trace = it->second;
        }
        if (!trace || trace->values.empty()) return std::nullopt;
        SimulatedGroupSpec spec;
        spec.ref = r.provider_ref;
        spec.instance_type = r.instance_type;
        for (const std::string& provider : {r.provider, std::string("aws"), std::string("gcp"), std::string("azure")})
            if (auto type = catalog.Find(provider, r.instance_type)) {
                spec.price_per_hour = type->price_per_hour;
                break;
            }
        spec.capacity_per_instance = r.capacity_per_instance;
        spec.boot_delay_s = r.boot_delay_s;
        spec.load_metric = r.load_metric;
        spec.demand = std::move(*trace);
        spec.anchor = FloorTo(r.created_at - kFleetHistory, kFleetStep);
        spec.initial_capacity = r.min_capacity;
        if (auto last = store.LatestSample({r.id, "desired_capacity"}); last && *last && std::isfinite((*last)->value))
            spec.initial_capacity = std::clamp(static_cast<int>(std::lround((*last)->value)), r.min_capacity,
                                               std::max(r.min_capacity, r.max_capacity));
        return spec;
    };
}

}  // namespace cloudopt
