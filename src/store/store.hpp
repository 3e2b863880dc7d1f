#pragma once
// The storage interface every backend implements: SQLite (store/sqlite, the embedded default) and PostgreSQL
// (store/postgres/postgres_store.hpp). Tests are written against this interface and run for every backend, so a
// backend is correct when it passes them.
//
// Thread-safety: every method may be called from any thread at once. Writes are atomic: a failed call
// stores nothing. A write that returned OK survives a crash of the process.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/action.hpp"
#include "core/alert.hpp"
#include "core/budget.hpp"
#include "core/error.hpp"
#include "core/forecast.hpp"
#include "core/remediation.hpp"
#include "core/resource.hpp"
#include "core/sample.hpp"
#include "store/identity_store.hpp"

namespace cloudopt {

struct SeriesSamples {
    SeriesKey key;
    std::vector<Sample> samples;
};

struct ActionQuery {
    std::optional<ResourceId> resource_id;
    UnixSeconds since = 0;
    int limit = 100;
    int offset = 0;                                     // rows skipped first (the dashboard's pages), newest first
    std::optional<ActionStatus> status = std::nullopt;  // only actions with this status
};

// A trained forecasting model as the store keeps it; the store does not look inside `bytes`.
struct StoredModel {
    ResourceId resource_id = 0;
    std::string metric;
    UnixSeconds trained_at = 0;
    std::string model;  // what it is, for people: e.g. "combination(naive=0.30,lstm=0.70)"
    double accuracy = 0.0;
    std::string bytes;
};

// The network shared across the resources (lstm_fleet; the bytes of forecast/fleet_file.hpp).
struct StoredNetwork {
    UnixSeconds trained_at = 0;
    std::int64_t members = 0;  // resources it was trained on
    std::string bytes;
};

// Told about every committed change to samples: the samples of `key` at or after `since` may differ from what
// was read before. An empty `key.metric` means every metric of the resource (it was deleted).
using SamplesChangedListener = std::function<void(const SeriesKey& key, UnixSeconds since)>;

class Store {
  public:
    virtual ~Store() = default;

    // Registers a listener, called after each commit that changed samples and before that write returns, so a
    // reader that starts after an acknowledged write never sees a view from before it (caches above the store
    // rely on it). Register while wiring the service, before the store is shared between threads.
    void OnSamplesChanged(SamplesChangedListener listener) { samples_changed_.push_back(std::move(listener)); }

    // Resources. Create assigns id and timestamps; names are unique (kConflict otherwise).
    virtual Result<Resource> CreateResource(const Resource& resource) = 0;
    virtual Result<Resource> GetResource(ResourceId id) = 0;                   // kNotFound
    virtual Result<Resource> FindResourceByName(const std::string& name) = 0;  // kNotFound
    virtual Result<std::vector<Resource>> ListResources() = 0;
    // Replaces every user field of the resource with that id; keeps created_at, sets updated_at.
    virtual Result<Resource> UpdateResource(const Resource& resource) = 0;
    // Deletes the resource with its series, samples, predictions, actions and recommendations.
    virtual Status DeleteResource(ResourceId id) = 0;

    // Samples. All series of the batch are written in one transaction, or none (kNotFound names an unknown
    // resource). A sample at an existing (series, ts) replaces the old value.
    virtual Status AppendSamples(std::span<const SeriesSamples> batch) = 0;
    // Deletes a series' samples with from <= ts < to in one transaction; returns how many went (0 for an unknown
    // series). For an operator removing bad data (a sample dated years ahead, a unit mistake).
    virtual Result<std::int64_t> DeleteSamples(const SeriesKey& key, UnixSeconds from, UnixSeconds to) = 0;
    // Raw samples with from <= ts < to, sorted by time.
    virtual Result<std::vector<Sample>> QuerySamples(const SeriesKey& key, UnixSeconds from, UnixSeconds to) = 0;
    virtual Result<std::optional<Sample>> LatestSample(const SeriesKey& key) = 0;
    virtual Result<std::vector<std::string>> ListMetrics(ResourceId id) = 0;
    // Retention: removes samples older than `before` in whole units of storage (an hour's chunk in SQLite, a week's
    // partition in PostgreSQL, dropped at once), so a sample at ts < before may stay until its unit is wholly older;
    // a sample at or after `before` never goes. Returns how many units went; listeners hear of every series.
    virtual Result<std::int64_t> PruneSamples(UnixSeconds before) = 0;

    // Downsampled query: buckets of `step` seconds aggregated by `agg`, computed in the store from the raw rows
    // (measured: SQLite's GROUP BY on a computed bucket was 3x slower than aggregating the ordered rows here).
    // `from` is aligned down to a whole bucket so no bucket is half counted.
    Result<std::vector<Sample>> QueryDownsampled(const SeriesKey& key, UnixSeconds from, UnixSeconds to,
                                                 UnixSeconds step, Aggregation agg);

    // Predictions: the newest one per (resource, metric) is what GET /api/predictions serves.
    virtual Status SavePrediction(ResourceId id, const std::string& metric, const Forecast& forecast) = 0;
    virtual Result<std::optional<Forecast>> LatestPrediction(ResourceId id, const std::string& metric) = 0;

    // Trained models (the bytes of forecast/model_file.hpp), one per (resource, metric): saving replaces.
    virtual Status SaveModel(const StoredModel& model) = 0;  // kNotFound for an unknown resource
    virtual Result<std::vector<StoredModel>> ListModels() = 0;
    virtual Result<std::optional<StoredModel>> LoadModel(ResourceId id, const std::string& metric) = 0;
    // The shared network: one, saving replaces; nothing before the first "train all".
    virtual Status SaveSharedNetwork(const StoredNetwork& network) = 0;
    virtual Result<std::optional<StoredNetwork>> LoadSharedNetwork() = 0;

    // Allocation actions, newest first.
    virtual Result<AllocationAction> RecordAction(const AllocationAction& action) = 0;
    virtual Result<std::vector<AllocationAction>> ListActions(const ActionQuery& query) = 0;
    virtual Result<std::int64_t> CountActions(UnixSeconds since) = 0;

    // Recommendations. Saving one supersedes the resource's older open ones.
    virtual Result<Recommendation> SaveRecommendation(const Recommendation& recommendation) = 0;
    virtual Result<std::vector<Recommendation>> ListRecommendations(const std::optional<std::string>& status) = 0;
    virtual Result<Recommendation> GetRecommendation(std::int64_t id) = 0;
    // Moves a recommendation out of "open" (or records what was applied): `reason` says why, `at` when;
    // `snooze_until` only with "dismissed". kNotFound for an unknown id, kUnprocessable for an unknown status.
    virtual Status SetRecommendationStatus(std::int64_t id, const std::string& status, const std::string& reason = {},
                                           UnixSeconds at = 0, UnixSeconds snooze_until = 0) = 0;

    // Anomaly alerts (core/alert.hpp), newest first. Saving one with id 0 inserts it and assigns the id; with an id,
    // replaces that alert's fields (kNotFound for an unknown id, or an unknown resource). Deleting a resource deletes
    // its alerts. Not every backend keeps alerts yet: the default answers kUnavailable. (Defined here, inline: a
    // virtual defined in store.cpp would become Store's key function and pin its type info to that file, which the
    // fuzz build does not compile.)
    virtual Result<Alert> SaveAlert(const Alert& /*alert*/) { return AlertsUnavailable(); }
    virtual Result<std::vector<Alert>> ListAlerts(const AlertQuery& /*query*/) { return AlertsUnavailable(); }
    // Remediation steps (core/remediation.hpp), newest first; saving as for alerts. A resource's anomaly settings
    // (the metrics it marks, its remediation): saving replaces; nothing when it never had any. Deleting a resource
    // deletes both. Default: kUnavailable, as for alerts.
    virtual Result<Remediation> SaveRemediation(const Remediation& /*step*/) { return AlertsUnavailable(); }
    virtual Result<std::vector<Remediation>> ListRemediations(const RemediationQuery& /*query*/) {
        return AlertsUnavailable();
    }
    virtual Status SaveAnomalySettings(ResourceId /*id*/, const AnomalySettings& /*settings*/) {
        return AlertsUnavailable();
    }
    virtual Result<std::optional<AnomalySettings>> LoadAnomalySettings(ResourceId /*id*/) {
        return AlertsUnavailable();
    }

    // Monthly budgets (core/budget.hpp), by name. Saving one with id 0 inserts it (kConflict on a taken name); with an
    // id, replaces its fields (kNotFound for an unknown id). Deleting an unknown id is kNotFound.
    virtual Result<Budget> SaveBudget(const Budget& budget) = 0;
    virtual Result<std::vector<Budget>> ListBudgets() = 0;
    virtual Status DeleteBudget(std::int64_t id) = 0;
    // Records the state last sent to the alert webhook for a budget (Budget::alerted); kNotFound for an unknown id.
    // Both backends keep it; the default (kUnavailable) is for stores that do not, whose restarts send again.
    virtual Status SetBudgetAlerted(std::int64_t /*id*/, BudgetState /*state*/) {
        return MakeError(ErrorCode::kUnavailable, "this store does not keep budget alert states");
    }

    // Users, tokens, credentials and the audit log (store/identity_store.hpp).
    virtual IdentityStore& Identity() = 0;

    // Whether the store can serve now, for readiness (/readyz): a cheap read that reaches the database file, that
    // file still being the one opened, and no storage fault (damage, I/O error, full disk) since the last
    // committed write. Many reads are served from memory, so a failing store can look healthy without this.
    virtual Status CheckHealth() = 0;

  protected:
    static Error AlertsUnavailable() {
        return Error{ErrorCode::kUnavailable, "this store backend does not keep alerts yet"};
    }
    // Backends call this after every commit that wrote or deleted samples.
    void NotifySamplesChanged(const SeriesKey& key, UnixSeconds since) const {
        for (const SamplesChangedListener& listener : samples_changed_) listener(key, since);
    }

  private:
    std::vector<SamplesChangedListener> samples_changed_;
};

// How far an acknowledged write survives. kProcessCrash (SQLite synchronous=NORMAL in WAL mode): a committed
// write survives a crash or kill -9 of cloudopt; an OS crash or power cut may lose the last moments.
// kPowerLoss (synchronous=FULL): every commit is fsynced before it is acknowledged.
enum class Durability { kProcessCrash, kPowerLoss };

// Opens (creating if needed) the SQLite database at `path` and migrates its schema to the newest version.
// Stamps created/updated times from `clock`.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, const Clock& clock,
                                               Durability durability = Durability::kProcessCrash);

}  // namespace cloudopt
