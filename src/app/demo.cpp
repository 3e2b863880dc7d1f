#include "app/demo.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "allocate/capacity_planner.hpp"
#include "app/files.hpp"
#include "core/trace_csv.hpp"

namespace cloudopt {

namespace {

constexpr UnixSeconds kStep = 300;
constexpr UnixSeconds kHistory = 7 * 86400;

struct DemoResource {
    const char* name;
    const char* provider;
    const char* instance_type;
    const char* file;
    const char* load_metric;
    double capacity_per_instance;
    int min_capacity;
    int max_capacity;
    Mode mode;
    int boot_delay_s;
    std::vector<std::string> allowed_types;  // what the cheapest-mix search may use besides the own type
    double spot_share_max;
};

// One resource per cloud; checkout stays in recommend mode so the demo shows recommendations too. Two of them may
// mix instance types (and batch work may run partly on spot), so their reasons show what a mix would save.
const DemoResource kDemoResources[] = {
    {"web-frontend", "aws", "m5.large", "web_frontend.csv", "requests_per_second", 8.0, 1, 40, Mode::kAuto, 120,
     {"m6g.large", "m6i.large", "m5.xlarge"}, 0.0},
    {"api-gateway", "gcp", "n2-standard-4", "api_gateway.csv", "cpu_cores", 4.0, 2, 40, Mode::kAuto, 180, {}, 0.0},
    {"batch-workers", "azure", "Standard_D2s_v5", "batch_workers.csv", "cpu_cores", 2.0, 1, 30, Mode::kAuto, 240,
     {"Standard_D2as_v5", "Standard_D4as_v5"}, 0.5},
    {"checkout", "kubernetes", "pod-1vcpu-4gib", "checkout.csv", "cpu_cores", 1.0, 2, 40, Mode::kRecommend, 60, {}, 0.0},
};

Result<RegularSeries> ReadTrace(const std::string& path) {
    auto text = ReadWholeFile(path, "demo trace");
    if (!text) return text.error();
    auto traces = ParseTraceCsv(*text);
    if (!traces) return MakeError(ErrorCode::kInvalidArgument, path + ": " + traces.error().message);
    if (traces->size() != 1 || traces->begin()->second.size() < 2 * 86400 / kStep)
        return MakeError(ErrorCode::kInvalidArgument, path + ": expected one series of at least two days");
    return Regularize(traces->begin()->second, kStep);
}

std::optional<Resource> FindByName(Store& store, const std::string& name) {
    auto r = store.FindResourceByName(name);
    if (!r) return std::nullopt;
    return *r;
}

}  // namespace

UnixSeconds LatestDemoTime(Store& store, UnixSeconds real_now, double speed) {
    UnixSeconds latest = 0;
    for (const DemoResource& d : kDemoResources) {
        auto r = FindByName(store, d.name);
        if (!r) continue;
        // Demo time runs `speed` times faster than real time from the resource's creation (60 times at least, the
        // default, in case an earlier run was faster), and no faster: a sample dated beyond that (pushed with a
        // wrong timestamp) is not where the demo stopped, and following it would move the clock into the future.
        const double elapsed = std::max<double>(0.0, static_cast<double>(real_now - r->created_at));
        const UnixSeconds reachable = r->created_at + static_cast<UnixSeconds>(std::min(elapsed * std::max(speed, 60.0), 1e11));
        auto s = store.QuerySamples({r->id, r->load_metric}, r->created_at - kHistory, reachable + 1);
        if (s && !s->empty()) latest = std::max(latest, s->back().ts);
    }
    return latest;
}

Status SetupDemo(Store& store, SimulatedCloud& cloud, const Catalog& catalog, const std::string& demo_dir,
                 UnixSeconds now) {
    for (const DemoResource& d : kDemoResources) {
        auto trace = ReadTrace(demo_dir + "/" + d.file);
        if (!trace) return trace.error();
        auto type = catalog.Find(d.provider, d.instance_type);
        if (!type) return MakeError(ErrorCode::kNotFound, std::string("instance type ") + d.instance_type +
                                                              " is missing from the catalog");
        std::optional<Resource> resource = FindByName(store, d.name);
        const bool fresh = !resource;
        if (fresh) {
            Resource r;
            r.name = d.name;
            r.provider = d.provider;
            r.provider_ref = std::string("sim/") + d.name;
            r.instance_type = d.instance_type;
            r.min_capacity = d.min_capacity;
            r.max_capacity = d.max_capacity;
            r.mode = d.mode;
            r.boot_delay_s = d.boot_delay_s;
            r.load_metric = d.load_metric;
            r.capacity_per_instance = d.capacity_per_instance;
            r.allowed_types = d.allowed_types;
            r.spot_share_max = d.spot_share_max;
            auto created = store.CreateResource(r);
            if (!created) return created.error();
            resource = *created;
        }
        const Resource& r = *resource;

        // Before cloudopt the group ran a static allocation sized for the first week's peak.
        const std::size_t week_points = std::min<std::size_t>(trace->values.size(), kHistory / kStep);
        const double peak = *std::max_element(trace->values.begin(), trace->values.begin() + static_cast<std::ptrdiff_t>(week_points));
        const int static_instances =
            std::clamp(InstancesFor(peak, r.capacity_per_instance, r.target_high), r.min_capacity, r.max_capacity);
        int initial = static_instances;
        UnixSeconds backfill_from = r.created_at - kHistory;
        if (!fresh) {
            // Where the demo stopped, never past `now` (a sample dated later was not recorded by the demo).
            if (auto last = store.QuerySamples({r.id, "desired_capacity"}, now - kHistory, now + 1); last && !last->empty())
                initial = std::clamp(static_cast<int>(std::clamp(last->back().value, 0.0, 1e6)), r.min_capacity,
                                     std::max(r.min_capacity, r.max_capacity));
            if (auto last = store.QuerySamples({r.id, r.load_metric}, now - kHistory, now + 1); last && !last->empty())
                backfill_from = FloorTo(last->back().ts, kStep) + kStep;
        }

        SimulatedGroupSpec spec;
        spec.ref = r.provider_ref;
        spec.instance_type = r.instance_type;
        spec.price_per_hour = type->price_per_hour;
        spec.capacity_per_instance = r.capacity_per_instance;
        spec.boot_delay_s = r.boot_delay_s;
        spec.load_metric = r.load_metric;
        spec.demand = *trace;
        // The trace's first point plays a week before the resource appeared, on the 5-minute grid: the history below
        // then holds the trace's own points, so its peak (what the dashboard sizes static allocation from) is the peak
        // the static allocation above was sized for, and the recorded "before cloudopt" cost equals static cost.
        spec.anchor = FloorTo(r.created_at - kHistory, kStep);
        spec.initial_capacity = initial;
        cloud.AddGroup(spec);

        // History (or the gap since the last run) at 5-minute steps.
        std::vector<SeriesSamples> batch = {{{r.id, r.load_metric}, {}},      {{r.id, "cpu_utilization"}, {}},
                                            {{r.id, "capacity"}, {}},         {{r.id, "desired_capacity"}, {}},
                                            {{r.id, "cost_per_hour"}, {}}};
        for (UnixSeconds t = FloorTo(backfill_from, kStep); t < now; t += kStep) {
            auto demand = cloud.DemandAt(spec.ref, t);
            if (!demand) return demand.error();
            const double capacity = initial * r.capacity_per_instance;
            batch[0].samples.push_back({t, *demand});
            batch[1].samples.push_back({t, capacity > 0 ? std::min(1.0, *demand / capacity) : 1.0});
            batch[2].samples.push_back({t, static_cast<double>(initial)});
            batch[3].samples.push_back({t, static_cast<double>(initial)});
            batch[4].samples.push_back({t, initial * type->price_per_hour});
        }
        if (Status s = store.AppendSamples(batch); !s) return s;
    }
    return Status::Ok();
}

}  // namespace cloudopt
