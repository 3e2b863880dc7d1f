#include "control/trained_models.hpp"

#include "forecast/model_file.hpp"

namespace cloudopt {

Result<int> TrainedModels::LoadFrom(Store& store, std::vector<std::string>& problems) {
    auto stored = store.ListModels();
    if (!stored) return stored.error();
    int loaded = 0;
    for (StoredModel& row : *stored) {
        auto models = LoadModels(row.bytes);
        if (!models || models->size() != 1) {
            problems.push_back("resource " + std::to_string(row.resource_id) + " metric '" + row.metric + "': " +
                               (models ? "expected one model" : models.error().message));
            continue;
        }
        auto model = std::make_shared<TrainedModel>(std::move(models->front().trained));
        Put(row.resource_id, row.metric, Entry{std::move(model), row.trained_at});
        ++loaded;
    }
    return loaded;
}

void TrainedModels::Put(ResourceId id, const std::string& metric, Entry entry) {
    std::lock_guard lock(mutex_);
    entries_[{id, metric}] = std::move(entry);
}

void TrainedModels::Forget(ResourceId id) {
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [id](const auto& entry) { return entry.first.first == id; });
}

std::optional<TrainedModels::Entry> TrainedModels::Get(ResourceId id, const std::string& metric) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find({id, metric});
    if (it == entries_.end()) return std::nullopt;
    return it->second;
}

}  // namespace cloudopt
