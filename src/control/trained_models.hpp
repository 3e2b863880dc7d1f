#pragma once
// The trained forecasting models of the service's resources (one per resource and load metric): loaded from the
// store at start-up so that a restart does not retrain, replaced by training jobs, read by every forecast.
// Thread-safe; a reader keeps the model it got alive while a training job installs a newer one.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "forecast/trained_model.hpp"
#include "store/store.hpp"

namespace cloudopt {

class TrainedModels {
  public:
    struct Entry {
        std::shared_ptr<const TrainedModel> model;
        UnixSeconds trained_at = 0;
    };

    // Loads every model the store keeps. A model that cannot be read (a damaged row, a format from a newer
    // version) is skipped with a line in `problems`: the resource falls back to the untrained forecaster.
    Result<int> LoadFrom(Store& store, std::vector<std::string>& problems);
    void Put(ResourceId id, const std::string& metric, Entry entry);
    std::optional<Entry> Get(ResourceId id, const std::string& metric) const;
    // Forgets every model of a deleted resource.
    void Forget(ResourceId id);

  private:
    mutable std::mutex mutex_;
    std::map<std::pair<ResourceId, std::string>, Entry> entries_;
};

}  // namespace cloudopt
