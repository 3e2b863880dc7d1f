#include "api/training_work.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace cloudopt::api {

using nlohmann::json;

JobRunner::Work TrainingWork(ControlLoop& loop, Store& store, JobRunner& jobs, std::optional<Resource> only) {
    return [&loop, &store, &jobs, only](const JobRunner::Progress& progress) -> Result<std::string> {
        std::vector<Resource> targets;
        if (only) {
            targets.push_back(*only);
        } else {
            auto all = store.ListResources();
            if (!all) return all.error();
            targets = std::move(*all);
        }
        // Training them all first trains one network across them, which each resource's `auto` then weighs.
        auto report = loop.TrainFleetAndResources(targets, progress, [&jobs] { return jobs.stopping(); });
        if (!report) return report.error();
        json fleet = nullptr;
        if (report->fleet) {
            const Result<FleetReport>& f = *report->fleet;
            fleet = f ? json{{"resources", f->resources}, {"seconds", f->seconds}} : json{{"error", f.error().message}};
        }
        json results = json::array();
        for (const auto& [resource, trained] : report->trained) {
            json item = {{"resource_id", resource.id}, {"resource", resource.name}};
            if (trained) {
                item["model"] = trained->model;
                item["weighed"] = trained->weighed;
                item["bands_by"] = trained->bands_by;
                item["accuracy"] = std::isfinite(trained->accuracy) ? json(trained->accuracy) : json(nullptr);
                item["points"] = trained->points;
                item["seconds"] = trained->seconds;
            } else {
                item["error"] = trained.error().message;
            }
            results.push_back(item);
        }
        json out = {{"trained", results}};
        if (!fleet.is_null()) out["fleet"] = fleet;
        return out.dump();
    };
}

JobRunner::Factory TrainingFactory(ControlLoop& loop, Store& store, JobRunner& jobs) {
    return [&loop, &store, &jobs](const std::string& subject) -> Result<JobRunner::Work> {
        if (subject == "all") return TrainingWork(loop, store, jobs, std::nullopt);
        constexpr const char* kPrefix = "resource:";
        if (subject.rfind(kPrefix, 0) != 0)
            return MakeError(ErrorCode::kInvalidArgument,
                             "a training job's subject is 'all' or 'resource:<id>', not '" + subject + "'");
        ResourceId id = 0;
        try {
            id = std::stoll(subject.substr(std::string(kPrefix).size()));
        } catch (const std::exception&) {
            return MakeError(ErrorCode::kInvalidArgument, "a training job's subject names no resource id: " + subject);
        }
        auto resource = store.GetResource(id);
        if (!resource) return resource.error();
        return TrainingWork(loop, store, jobs, *resource);
    };
}

}  // namespace cloudopt::api
