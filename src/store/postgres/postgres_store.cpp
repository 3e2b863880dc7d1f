// PostgreSQL backend: a pool of connections, one transaction per call, no cache of anything another process could
// change. Samples are rows in weekly partitions (store/postgres/partitions.hpp), written with COPY.

#include "store/postgres/postgres_store.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "store/explanation_json.hpp"
#include "store/postgres/anomaly_tables.hpp"
#include "store/postgres/budget_table.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/identity_tables.hpp"
#include "store/postgres/partitions.hpp"
#include "store/postgres/sample_writer.hpp"
#include "store/postgres/schema.hpp"
#include "store/type_list_column.hpp"

namespace cloudopt {

namespace pg {
namespace {

// Held for the whole migration (a session lock), so replicas starting together migrate one after another.
constexpr std::int64_t kMigrationLockKey = 0x636c6f75646f7001;  // "cloudop" + 1
// More partitions than this for one batch is a mistake (timestamps in milliseconds?), not history.
constexpr std::size_t kMaxNewPartitions = 1000;
constexpr int kKeepPredictions = 10;

const char* kPgResourceColumns =
    "id, name, provider, provider_ref, instance_type, min_capacity, max_capacity, target_low, target_high, mode, "
    "boot_delay_s, load_metric, capacity_per_instance, created_at, updated_at, load_query, risk_quantile, "
    "allowed_types, spot_share_max, max_step, labels";

const char* kPgRecommendationColumns =
    "id, resource_id, created_at, from_capacity, to_capacity, reason, hourly_cost_before, hourly_cost_after, status, "
    "status_reason, closed_at, snooze_until, summary, explanation";

const char* kPgActionColumns =
    "id, resource_id, ts, from_capacity, to_capacity, reason, status, error, hourly_cost_before, hourly_cost_after, "
    "summary, explanation";

Resource PgReadResource(const pqxx::row& row) {
    Resource r;
    r.id = row[0].as<std::int64_t>();
    r.name = row[1].as<std::string>();
    r.provider = row[2].as<std::string>();
    r.provider_ref = row[3].as<std::string>();
    r.instance_type = row[4].as<std::string>();
    r.min_capacity = static_cast<int>(row[5].as<std::int64_t>());
    r.max_capacity = static_cast<int>(row[6].as<std::int64_t>());
    r.target_low = row[7].as<double>();
    r.target_high = row[8].as<double>();
    r.mode = ParseMode(row[9].as<std::string>()).value_or(Mode::kOff);
    r.boot_delay_s = static_cast<int>(row[10].as<std::int64_t>());
    r.load_metric = row[11].as<std::string>();
    r.capacity_per_instance = row[12].as<double>();
    r.created_at = row[13].as<std::int64_t>();
    r.updated_at = row[14].as<std::int64_t>();
    r.load_query = row[15].as<std::string>();
    r.risk_quantile = row[16].as<std::string>();
    r.allowed_types = SplitTypes(row[17].as<std::string>());
    r.spot_share_max = row[18].as<double>();
    r.max_step = static_cast<int>(row[19].as<std::int64_t>());
    if (auto labels = ParseLabels(row[20].as<std::string>())) r.labels = std::move(*labels);  // validated when stored
    return r;
}

AllocationAction PgReadAction(const pqxx::row& row) {
    AllocationAction a;
    a.id = row[0].as<std::int64_t>();
    a.resource_id = row[1].as<std::int64_t>();
    a.ts = row[2].as<std::int64_t>();
    a.from_capacity = static_cast<int>(row[3].as<std::int64_t>());
    a.to_capacity = static_cast<int>(row[4].as<std::int64_t>());
    a.reason = row[5].as<std::string>();
    a.status = ParseActionStatus(row[6].as<std::string>()).value_or(ActionStatus::kPlanned);
    a.error = row[7].as<std::string>();
    a.hourly_cost_before = row[8].as<double>();
    a.hourly_cost_after = row[9].as<double>();
    a.summary = row[10].as<std::string>();
    a.explanation = ExplanationFromJson(row[11].as<std::string>());
    return a;
}

Recommendation PgReadRecommendation(const pqxx::row& row) {
    Recommendation r;
    r.id = row[0].as<std::int64_t>();
    r.resource_id = row[1].as<std::int64_t>();
    r.created_at = row[2].as<std::int64_t>();
    r.from_capacity = static_cast<int>(row[3].as<std::int64_t>());
    r.to_capacity = static_cast<int>(row[4].as<std::int64_t>());
    r.reason = row[5].as<std::string>();
    r.hourly_cost_before = row[6].as<double>();
    r.hourly_cost_after = row[7].as<double>();
    r.status = row[8].as<std::string>();
    r.status_reason = row[9].as<std::string>();
    r.closed_at = row[10].as<std::int64_t>();
    r.snooze_until = row[11].as<std::int64_t>();
    r.summary = row[12].as<std::string>();
    r.explanation = ExplanationFromJson(row[13].as<std::string>());
    return r;
}

StoredModel PgReadModel(const pqxx::row& row) {
    StoredModel m;
    m.resource_id = row[0].as<std::int64_t>();
    m.metric = row[1].as<std::string>();
    m.trained_at = row[2].as<std::int64_t>();
    m.model = row[3].as<std::string>();
    m.accuracy = row[4].is_null() ? 0.0 : row[4].as<double>();  // as SQLite reads a NULL REAL
    m.bytes = pqxx::binarystring(row[5]).str();
    return m;
}

// NaN is kept as NULL, as SQLite does.
std::optional<double> NullableDouble(double v) {
    if (std::isnan(v)) return std::nullopt;
    return v;
}

Error NoResource(ResourceId id) {
    return MakeError(ErrorCode::kNotFound, "resource " + std::to_string(id) + " does not exist");
}

// Which constraint a unique violation names, from its message (libpqxx 6 does not expose the field).
bool Violates(const Error& e, const char* constraint) {
    return e.message.find(std::string("\"") + constraint + "\"") != std::string::npos;
}

Result<MigrationReport> MigrateWith(const ConnSettings& settings, bool apply) {
    auto conn = Connect(settings);
    if (!conn) return conn.error();
    const int known = static_cast<int>(kMigrations.size());
    try {
        {
            pqxx::nontransaction session(**conn);
            session.exec("SET lock_timeout = '300s'");
            session.exec_params("SELECT pg_advisory_lock($1)", kMigrationLockKey);
        }
        MigrationReport report;
        {
            pqxx::work tx(**conn);
            tx.exec("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)");
            report.from = static_cast<int>(
                tx.exec1("SELECT coalesce(max(version), 0) FROM schema_version")[0].as<std::int64_t>());
            tx.commit();
        }
        report.to = report.from;
        if (report.from > known)
            return MakeError(ErrorCode::kUnavailable,
                             "the database at " + settings.display + " has schema version " +
                                 std::to_string(report.from) + ", newer than this cloudopt knows (" +
                                 std::to_string(known) +
                                 "): a newer cloudopt migrated it. Run that version (or newer), or restore a backup "
                                 "taken before the upgrade");
        if (!apply && report.from < known)
            return MakeError(ErrorCode::kUnavailable, "the database at " + settings.display + " has schema version " +
                                                          std::to_string(report.from) + "; this cloudopt needs " +
                                                          std::to_string(known) + ": run `cloudopt db migrate`");
        for (int v = report.from; v < known; ++v) {
            pqxx::work tx(**conn);
            tx.exec(kMigrations[static_cast<std::size_t>(v)]);
            tx.exec_params("INSERT INTO schema_version (version) VALUES ($1)", v + 1);
            tx.commit();
            report.to = v + 1;
        }
        pqxx::nontransaction session(**conn);
        session.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
        return report;
    } catch (const pqxx::sql_error& e) {
        if (e.sqlstate() == "55P03")
            return MakeError(ErrorCode::kUnavailable,
                             "another cloudopt has been migrating the database at " + settings.display +
                                 " for 5 minutes; check what it is doing (pg_stat_activity) and start again");
        return ErrorFromException(e, "migrating the schema of " + settings.display);
    } catch (const std::exception& e) {
        return ErrorFromException(e, "migrating the schema of " + settings.display);
    }
}

class PostgresStore final : public Store {
  public:
    PostgresStore(ConnSettings settings, int max_connections, const Clock& clock)
        : pool_(std::move(settings), max_connections), clock_(clock), identity_(MakeIdentityTables(pool_, clock)) {}

    Result<Resource> CreateResource(const Resource& resource) override {
        auto created = pool_.Transact("creating a resource", [&](pqxx::work& tx) -> Result<Resource> {
            if (Status free = GroupIsFree(tx, resource); !free) return free.error();
            const UnixSeconds now = clock_.Now();
            const pqxx::row row = tx.exec_params1(
                "INSERT INTO resources (name, provider, provider_ref, instance_type, min_capacity, max_capacity, "
                "target_low, target_high, mode, boot_delay_s, load_metric, capacity_per_instance, load_query, "
                "risk_quantile, allowed_types, spot_share_max, max_step, created_at, updated_at, labels) VALUES "
                "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$18,$19) RETURNING id",
                resource.name, resource.provider, resource.provider_ref, resource.instance_type, resource.min_capacity,
                resource.max_capacity, resource.target_low, resource.target_high, std::string(ModeName(resource.mode)),
                resource.boot_delay_s, resource.load_metric, resource.capacity_per_instance, resource.load_query,
                resource.risk_quantile, JoinTypes(resource.allowed_types), resource.spot_share_max, resource.max_step,
                now, FormatLabels(resource.labels));
            Resource out = resource;
            out.id = row[0].as<std::int64_t>();
            out.created_at = out.updated_at = now;
            return out;
        });
        if (!created) return ResourceConflict(created.error(), resource);
        return created;
    }

    Result<Resource> GetResource(ResourceId id) override {
        return pool_.Read("reading a resource", [&](pqxx::transaction_base& tx) -> Result<Resource> {
            const pqxx::result rows =
                tx.exec_params(std::string("SELECT ") + kPgResourceColumns + " FROM resources WHERE id = $1", id);
            if (rows.empty()) return NoResource(id);
            return PgReadResource(rows[0]);
        });
    }

    Result<Resource> FindResourceByName(const std::string& name) override {
        return pool_.Read("reading a resource", [&](pqxx::transaction_base& tx) -> Result<Resource> {
            const pqxx::result rows =
                tx.exec_params(std::string("SELECT ") + kPgResourceColumns + " FROM resources WHERE name = $1", name);
            if (rows.empty()) return MakeError(ErrorCode::kNotFound, "resource '" + name + "' does not exist");
            return PgReadResource(rows[0]);
        });
    }

    Result<std::vector<Resource>> ListResources() override {
        return pool_.Read("listing resources", [&](pqxx::transaction_base& tx) -> Result<std::vector<Resource>> {
            std::vector<Resource> out;
            for (const auto& row : tx.exec(std::string("SELECT ") + kPgResourceColumns + " FROM resources ORDER BY id"))
                out.push_back(PgReadResource(row));
            return out;
        });
    }

    Result<Resource> UpdateResource(const Resource& resource) override {
        auto updated = pool_.Transact("updating a resource", [&](pqxx::work& tx) -> Result<Resource> {
            // An unknown id is kNotFound, whatever its group.
            if (tx.exec_params("SELECT 1 FROM resources WHERE id = $1 FOR UPDATE", resource.id).empty())
                return NoResource(resource.id);
            if (Status free = GroupIsFree(tx, resource); !free) return free.error();
            const UnixSeconds now = clock_.Now();
            const pqxx::row row = tx.exec_params1(
                "UPDATE resources SET name=$1, provider=$2, provider_ref=$3, instance_type=$4, min_capacity=$5, "
                "max_capacity=$6, target_low=$7, target_high=$8, mode=$9, boot_delay_s=$10, load_metric=$11, "
                "capacity_per_instance=$12, load_query=$13, risk_quantile=$14, allowed_types=$15, "
                "spot_share_max=$16, max_step=$17, updated_at=$18, labels=$20 WHERE id=$19 RETURNING created_at",
                resource.name, resource.provider, resource.provider_ref, resource.instance_type, resource.min_capacity,
                resource.max_capacity, resource.target_low, resource.target_high, std::string(ModeName(resource.mode)),
                resource.boot_delay_s, resource.load_metric, resource.capacity_per_instance, resource.load_query,
                resource.risk_quantile, JoinTypes(resource.allowed_types), resource.spot_share_max, resource.max_step,
                now, resource.id, FormatLabels(resource.labels));
            Resource out = resource;
            out.created_at = row[0].as<std::int64_t>();
            out.updated_at = now;
            return out;
        });
        if (!updated) return ResourceConflict(updated.error(), resource);
        return updated;
    }

    Status DeleteResource(ResourceId id) override {
        Status st = pool_.Transact("deleting a resource", [&](pqxx::work& tx) -> Status {
            if (tx.exec_params("DELETE FROM resources WHERE id = $1 RETURNING id", id).empty()) return NoResource(id);
            return Status::Ok();
        });
        if (st) NotifySamplesChanged(SeriesKey{id, std::string()}, INT64_MIN);
        return st;
    }

    Status AppendSamples(std::span<const SeriesSamples> batch) override {
        std::set<std::int64_t> weeks;
        for (const SeriesSamples& series : batch) {
            for (const Sample& s : series.samples) weeks.insert(PartitionOf(s.ts));
        }
        std::vector<std::pair<SeriesKey, UnixSeconds>> changed;
        Status st;
        for (int attempt = 1; attempt <= 2; ++attempt) {
            if (Status ready = EnsurePartitions(weeks); !ready) return ready;
            changed.clear();
            st =
                pool_.Transact("storing samples", [&](pqxx::work& tx) { return WriteSampleBatch(tx, batch, changed); });
            // A partition dropped by retention since it was cached: look again once.
            if (st || st.error().message.find("no partition of relation") == std::string::npos) break;
            std::lock_guard lock(partitions_mutex_);
            known_partitions_.clear();
        }
        if (!st) return st;
        for (const auto& [key, since] : changed) NotifySamplesChanged(key, since);
        return Status::Ok();
    }

    Result<std::int64_t> DeleteSamples(const SeriesKey& key, UnixSeconds from, UnixSeconds to) override {
        bool known = false;
        auto removed = pool_.Transact("deleting samples", [&](pqxx::work& tx) -> Result<std::int64_t> {
            auto id = FindSeries(tx, key);
            if (!id || from >= to) return std::int64_t{0};
            known = true;
            tx.exec_params("SELECT pg_advisory_xact_lock($1, $2)", kSampleLockSpace, SampleLockKey(*id));
            const pqxx::result r =
                tx.exec_params("DELETE FROM samples WHERE series_id = $1 AND ts >= $2 AND ts < $3", *id, from, to);
            return static_cast<std::int64_t>(r.affected_rows());
        });
        if (removed && known) NotifySamplesChanged(key, from);
        return removed;
    }

    Result<std::vector<Sample>> QuerySamples(const SeriesKey& key, UnixSeconds from, UnixSeconds to) override {
        return pool_.Read("reading samples", [&](pqxx::transaction_base& tx) -> Result<std::vector<Sample>> {
            std::vector<Sample> out;
            if (from >= to) return out;
            const pqxx::result rows = tx.exec_params(
                "SELECT s.ts, s.value FROM samples s JOIN series r ON r.id = s.series_id WHERE r.resource_id = $1 "
                "AND r.metric = $2 AND s.ts >= $3 AND s.ts < $4 ORDER BY s.ts",
                key.resource_id, key.metric, from, to);
            out.reserve(rows.size());
            for (const auto& row : rows) out.push_back({row[0].as<std::int64_t>(), row[1].as<double>()});
            return out;
        });
    }

    Result<std::optional<Sample>> LatestSample(const SeriesKey& key) override {
        return pool_.Transact("reading the latest sample", [&](pqxx::work& tx) -> Result<std::optional<Sample>> {
            auto id = FindSeries(tx, key);
            if (!id) return std::optional<Sample>();
            const pqxx::result rows =
                tx.exec_params("SELECT ts, value FROM samples WHERE series_id = $1 ORDER BY ts DESC LIMIT 1", *id);
            if (rows.empty()) return std::optional<Sample>();
            return std::optional<Sample>(Sample{rows[0][0].as<std::int64_t>(), rows[0][1].as<double>()});
        });
    }

    Result<std::vector<std::string>> ListMetrics(ResourceId id) override {
        return pool_.Transact("listing metrics", [&](pqxx::work& tx) -> Result<std::vector<std::string>> {
            std::vector<std::string> out;
            for (const auto& row :
                 tx.exec_params("SELECT metric FROM series WHERE resource_id = $1 ORDER BY metric COLLATE \"C\"", id))
                out.push_back(row[0].as<std::string>());
            return out;
        });
    }

    Result<std::int64_t> PruneSamples(UnixSeconds before) override {
        std::vector<SeriesKey> series;
        auto dropped = pool_.Transact("dropping old sample partitions", [&](pqxx::work& tx) -> Result<std::int64_t> {
            const std::vector<std::int64_t> weeks = DropPartitionsBefore(tx, before);
            if (!weeks.empty()) {
                for (const auto& row : tx.exec("SELECT resource_id, metric FROM series"))
                    series.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>()});
            }
            return static_cast<std::int64_t>(weeks.size());
        });
        if (!dropped) return dropped;
        {
            std::lock_guard lock(partitions_mutex_);
            known_partitions_.clear();
        }
        for (const SeriesKey& key : series) NotifySamplesChanged(key, INT64_MIN);
        return dropped;
    }

    Status SavePrediction(ResourceId id, const std::string& metric, const Forecast& f) override {
        nlohmann::json points = nlohmann::json::array();
        for (const ForecastPoint& p : f.points) points.push_back({p.ts, p.p50, p.p90, p.p95, p.p99});
        const std::string text = points.dump();
        Status st = pool_.Transact("saving a forecast", [&](pqxx::work& tx) -> Status {
            tx.exec_params(
                "INSERT INTO predictions (resource_id, metric, generated_at, model, step_s, accuracy, points) "
                "VALUES ($1,$2,$3,$4,$5,$6,$7)",
                id, metric, f.generated_at, f.model, f.step, NullableDouble(f.accuracy), text);
            // Keep the newest few per series: older forecasts are history the API does not serve.
            tx.exec_params(
                "DELETE FROM predictions WHERE resource_id = $1 AND metric = $2 AND id NOT IN (SELECT id FROM "
                "predictions WHERE resource_id = $1 AND metric = $2 ORDER BY generated_at DESC, id DESC LIMIT $3)",
                id, metric, kKeepPredictions);
            return Status::Ok();
        });
        if (!st && st.error().code == ErrorCode::kNotFound) return NoResource(id);
        return st;
    }

    Result<std::optional<Forecast>> LatestPrediction(ResourceId id, const std::string& metric) override {
        return pool_.Transact("reading a forecast", [&](pqxx::work& tx) -> Result<std::optional<Forecast>> {
            const pqxx::result rows = tx.exec_params(
                "SELECT generated_at, model, step_s, accuracy, points FROM predictions WHERE resource_id = $1 AND "
                "metric = $2 ORDER BY generated_at DESC, id DESC LIMIT 1",
                id, metric);
            if (rows.empty()) return std::optional<Forecast>();
            const pqxx::row row = rows[0];
            Forecast f;
            f.generated_at = row[0].as<std::int64_t>();
            f.model = row[1].as<std::string>();
            f.step = row[2].as<std::int64_t>();
            f.accuracy = row[3].is_null() ? std::numeric_limits<double>::quiet_NaN() : row[3].as<double>();
            const nlohmann::json points = nlohmann::json::parse(row[4].as<std::string>(), nullptr, false);
            if (!points.is_array()) return MakeError(ErrorCode::kInternal, "stored prediction points are corrupt");
            for (const auto& p : points) {
                const bool numbers = p.is_array() && (p.size() == 4 || p.size() == 5) &&
                                     std::all_of(p.begin(), p.end(), [](const auto& v) { return v.is_number(); });
                if (!numbers) return MakeError(ErrorCode::kInternal, "stored prediction points are corrupt");
                f.points.push_back({p[0].get<UnixSeconds>(), p[1], p[2], p[3], p.size() > 4 ? p[4] : p[3]});
            }
            return std::optional<Forecast>(std::move(f));
        });
    }

    Status SaveModel(const StoredModel& m) override {
        Status st = pool_.Transact("saving a trained model", [&](pqxx::work& tx) -> Status {
            tx.exec_params(
                "INSERT INTO models (resource_id, metric, trained_at, model, accuracy, bytes) VALUES ($1,$2,$3,$4,$5,"
                "$6) ON CONFLICT (resource_id, metric) DO UPDATE SET trained_at = excluded.trained_at, model = "
                "excluded.model, accuracy = excluded.accuracy, bytes = excluded.bytes",
                m.resource_id, m.metric, m.trained_at, m.model, NullableDouble(m.accuracy),
                pqxx::binarystring(m.bytes.data(), m.bytes.size()));
            return Status::Ok();
        });
        if (!st && st.error().code == ErrorCode::kNotFound) return NoResource(m.resource_id);
        return st;
    }

    Result<std::vector<StoredModel>> ListModels() override {
        return pool_.Transact("listing trained models", [&](pqxx::work& tx) -> Result<std::vector<StoredModel>> {
            std::vector<StoredModel> out;
            for (const auto& row : tx.exec("SELECT resource_id, metric, trained_at, model, accuracy, bytes FROM models "
                                           "ORDER BY resource_id, metric COLLATE \"C\""))
                out.push_back(PgReadModel(row));
            return out;
        });
    }

    Result<std::optional<StoredModel>> LoadModel(ResourceId id, const std::string& metric) override {
        return pool_.Transact("reading a trained model", [&](pqxx::work& tx) -> Result<std::optional<StoredModel>> {
            const pqxx::result rows = tx.exec_params(
                "SELECT resource_id, metric, trained_at, model, accuracy, bytes FROM models WHERE resource_id = $1 "
                "AND metric = $2",
                id, metric);
            if (rows.empty()) return std::optional<StoredModel>();
            return std::optional<StoredModel>(PgReadModel(rows[0]));
        });
    }

    Status SaveSharedNetwork(const StoredNetwork& n) override {
        return pool_.Transact("saving the shared network", [&](pqxx::work& tx) -> Status {
            tx.exec_params(
                "INSERT INTO shared_network (id, trained_at, members, bytes) VALUES (1,$1,$2,$3) ON CONFLICT (id) DO "
                "UPDATE SET trained_at = excluded.trained_at, members = excluded.members, bytes = excluded.bytes",
                n.trained_at, n.members, pqxx::binarystring(n.bytes.data(), n.bytes.size()));
            return Status::Ok();
        });
    }

    Result<std::optional<StoredNetwork>> LoadSharedNetwork() override {
        return pool_.Transact(
            "reading the shared network", [&](pqxx::work& tx) -> Result<std::optional<StoredNetwork>> {
                const pqxx::result rows = tx.exec("SELECT trained_at, members, bytes FROM shared_network WHERE id = 1");
                if (rows.empty()) return std::optional<StoredNetwork>();
                return std::optional<StoredNetwork>(StoredNetwork{rows[0][0].as<std::int64_t>(),
                                                                  rows[0][1].as<std::int64_t>(),
                                                                  pqxx::binarystring(rows[0][2]).str()});
            });
    }

    Result<AllocationAction> RecordAction(const AllocationAction& action) override {
        const std::string explanation = ExplanationText(action.explanation);
        auto stored = pool_.Transact("recording an action", [&](pqxx::work& tx) -> Result<AllocationAction> {
            // Fencing (replicas sharing the database, store/coordination.hpp): an action made under a lease is
            // recorded only while that lease is still the same epoch's, checked in this transaction with the row
            // locked, so a replica whose lease moved on cannot record a change.
            if (action.lease_epoch > 0 &&
                tx.exec_params("SELECT 1 FROM resource_leases WHERE resource_id = $1 AND holder = $2 AND epoch = $3 "
                               "AND expires_at > now() FOR SHARE",
                               action.resource_id, action.lease_holder, action.lease_epoch)
                    .empty())
                return MakeError(ErrorCode::kConflict, "the lease of resource " + std::to_string(action.resource_id) +
                                                           " at epoch " + std::to_string(action.lease_epoch) +
                                                           " is no longer this replica's: the action is not recorded");
            const pqxx::row row = tx.exec_params1(
                "INSERT INTO actions (resource_id, ts, from_capacity, to_capacity, reason, status, error, "
                "hourly_cost_before, hourly_cost_after, summary, explanation, lease_holder, lease_epoch) VALUES "
                "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id",
                action.resource_id, action.ts, action.from_capacity, action.to_capacity, action.reason,
                std::string(ActionStatusName(action.status)), action.error, action.hourly_cost_before,
                action.hourly_cost_after, action.summary, explanation, action.lease_holder, action.lease_epoch);
            AllocationAction out = action;
            out.id = row[0].as<std::int64_t>();
            return out;
        });
        if (!stored && stored.error().code == ErrorCode::kNotFound) return NoResource(action.resource_id);
        return stored;
    }

    Result<std::vector<AllocationAction>> ListActions(const ActionQuery& q) override {
        return pool_.Transact("listing actions", [&](pqxx::work& tx) -> Result<std::vector<AllocationAction>> {
            std::vector<AllocationAction> out;
            const pqxx::result rows =
                tx.exec_params(std::string("SELECT ") + kPgActionColumns +
                                   " FROM actions WHERE ($1::bigint IS NULL OR resource_id = $1) AND ts >= $2 AND "
                                   "($5::text IS NULL OR "
                                   "status = $5) ORDER BY ts DESC, id DESC LIMIT $3 OFFSET $4",
                               q.resource_id, q.since, q.limit, q.offset,
                               q.status ? std::optional<std::string>(ActionStatusName(*q.status)) : std::nullopt);
            for (const auto& row : rows) out.push_back(PgReadAction(row));
            return out;
        });
    }

    Result<std::int64_t> CountActions(UnixSeconds since) override {
        return pool_.Transact("counting actions", [&](pqxx::work& tx) -> Result<std::int64_t> {
            return tx.exec_params1("SELECT count(*) FROM actions WHERE ts >= $1", since)[0].as<std::int64_t>();
        });
    }

    Result<Recommendation> SaveRecommendation(const Recommendation& rec) override {
        const std::string explanation = ExplanationText(rec.explanation);
        auto stored = pool_.Transact("saving a recommendation", [&](pqxx::work& tx) -> Result<Recommendation> {
            tx.exec_params(
                "UPDATE recommendations SET status = 'superseded', status_reason = 'a newer plan differs', closed_at = "
                "$1 WHERE resource_id = $2 AND status = 'open'",
                rec.created_at, rec.resource_id);
            const pqxx::row row = tx.exec_params1(
                "INSERT INTO recommendations (resource_id, created_at, from_capacity, to_capacity, reason, "
                "hourly_cost_before, hourly_cost_after, status, summary, explanation) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,"
                "$9,$10) RETURNING id",
                rec.resource_id, rec.created_at, rec.from_capacity, rec.to_capacity, rec.reason, rec.hourly_cost_before,
                rec.hourly_cost_after, rec.status, rec.summary, explanation);
            Recommendation out = rec;
            out.id = row[0].as<std::int64_t>();
            return out;
        });
        if (!stored && stored.error().code == ErrorCode::kNotFound) return NoResource(rec.resource_id);
        return stored;
    }

    Result<std::vector<Recommendation>> ListRecommendations(const std::optional<std::string>& status) override {
        return pool_.Transact("listing recommendations", [&](pqxx::work& tx) -> Result<std::vector<Recommendation>> {
            std::vector<Recommendation> out;
            const pqxx::result rows = tx.exec_params(std::string("SELECT ") + kPgRecommendationColumns +
                                                         " FROM recommendations WHERE ($1::text IS NULL OR status = "
                                                         "$1) ORDER BY created_at DESC, id DESC LIMIT 500",
                                                     status);
            for (const auto& row : rows) out.push_back(PgReadRecommendation(row));
            return out;
        });
    }

    Result<Recommendation> GetRecommendation(std::int64_t id) override {
        return pool_.Transact("reading a recommendation", [&](pqxx::work& tx) -> Result<Recommendation> {
            const pqxx::result rows = tx.exec_params(
                std::string("SELECT ") + kPgRecommendationColumns + " FROM recommendations WHERE id = $1", id);
            if (rows.empty())
                return MakeError(ErrorCode::kNotFound, "recommendation " + std::to_string(id) + " does not exist");
            return PgReadRecommendation(rows[0]);
        });
    }

    Status SetRecommendationStatus(std::int64_t id, const std::string& status, const std::string& reason,
                                   UnixSeconds at, UnixSeconds snooze_until) override {
        Status st = pool_.Transact("changing a recommendation", [&](pqxx::work& tx) -> Status {
            const pqxx::result r = tx.exec_params(
                "UPDATE recommendations SET status = $1, status_reason = $2, closed_at = $3, snooze_until = $4 WHERE "
                "id = $5",
                status, reason, at, snooze_until, id);
            if (r.affected_rows() == 0)
                return MakeError(ErrorCode::kNotFound, "recommendation " + std::to_string(id) + " does not exist");
            return Status::Ok();
        });
        if (!st && st.error().code == ErrorCode::kConflict)
            return MakeError(ErrorCode::kUnprocessable, "unknown recommendation status '" + status + "'");
        return st;
    }

    // Alerts, remediation steps and anomaly settings: store/postgres/anomaly_tables.cpp.
    Result<Alert> SaveAlert(const Alert& alert) override { return pg::WriteAlert(pool_, alert); }
    Result<std::vector<Alert>> ListAlerts(const AlertQuery& q) override { return pg::ReadAlerts(pool_, q); }
    Result<Remediation> SaveRemediation(const Remediation& step) override { return pg::WriteRemediation(pool_, step); }
    Result<std::vector<Remediation>> ListRemediations(const RemediationQuery& q) override {
        return pg::ReadRemediations(pool_, q);
    }
    Status SaveAnomalySettings(ResourceId id, const AnomalySettings& settings) override {
        return pg::WriteAnomalySettings(pool_, id, settings);
    }
    Result<std::optional<AnomalySettings>> LoadAnomalySettings(ResourceId id) override {
        return pg::ReadAnomalySettings(pool_, id);
    }

    Result<Budget> SaveBudget(const Budget& budget) override { return SaveBudgetRow(pool_, budget, clock_.Now()); }
    Result<std::vector<Budget>> ListBudgets() override { return ListBudgetRows(pool_); }
    Status DeleteBudget(std::int64_t id) override { return DeleteBudgetRow(pool_, id); }
    Status SetBudgetAlerted(std::int64_t id, BudgetState state) override {
        return SetBudgetAlertedRow(pool_, id, state);
    }

    IdentityStore& Identity() override { return *identity_; }

    Status CheckHealth() override {
        const int known = static_cast<int>(kMigrations.size());
        Status st = pool_.Transact("readiness check", [&](pqxx::work& tx) -> Status {
            const auto version = tx.exec1("SELECT coalesce(max(version), 0) FROM schema_version")[0].as<std::int64_t>();
            if (version > known)
                return MakeError(ErrorCode::kUnavailable,
                                 "the database schema is now version " + std::to_string(version) +
                                     ", newer than this cloudopt knows (" + std::to_string(known) +
                                     "): a newer cloudopt migrated it; upgrade this one");
            return Status::Ok();
        });
        if (!st) return MakeError(ErrorCode::kUnavailable, st.error().message);
        return st;
    }

  private:
    // The group rule (one resource per provider + provider_ref), checked with a message that names the other
    // resource; the constraint resources_one_per_group also holds it against concurrent writers.
    Status GroupIsFree(pqxx::work& tx, const Resource& resource) {
        const pqxx::result rows =
            tx.exec_params("SELECT id, name FROM resources WHERE provider = $1 AND provider_ref = $2 AND id <> $3",
                           resource.provider, resource.provider_ref, resource.id);
        if (rows.empty()) return Status::Ok();
        return GroupTaken(resource, rows[0][1].as<std::string>(), rows[0][0].as<std::int64_t>());
    }

    static Error GroupTaken(const Resource& resource, const std::string& other, std::int64_t other_id) {
        return MakeError(ErrorCode::kConflict, "provider_ref: " + resource.provider + " group '" +
                                                   resource.provider_ref + "' is already resource '" + other +
                                                   "' (id " + std::to_string(other_id) +
                                                   "); one resource per cloud group");
    }

    static Error ResourceConflict(const Error& e, const Resource& resource) {
        if (e.code != ErrorCode::kConflict) return e;
        if (Violates(e, "resources_name_key"))
            return MakeError(ErrorCode::kConflict, "a resource named '" + resource.name + "' already exists");
        if (Violates(e, "resources_one_per_group"))
            return MakeError(ErrorCode::kConflict, "provider_ref: " + resource.provider + " group '" +
                                                       resource.provider_ref +
                                                       "' is already another resource's; one resource per cloud group");
        return e;
    }

    static std::optional<std::int64_t> FindSeries(pqxx::work& tx, const SeriesKey& key) {
        const pqxx::result rows =
            tx.exec_params("SELECT id FROM series WHERE resource_id = $1 AND metric = $2", key.resource_id, key.metric);
        if (rows.empty()) return std::nullopt;
        return rows[0][0].as<std::int64_t>();
    }

    // Creates the partitions `weeks` need that this process has not seen yet, in a transaction of its own.
    Status EnsurePartitions(const std::set<std::int64_t>& weeks) {
        std::set<std::int64_t> missing;
        {
            std::lock_guard lock(partitions_mutex_);
            for (std::int64_t w : weeks) {
                if (!known_partitions_.count(w)) missing.insert(w);
            }
        }
        if (missing.empty()) return Status::Ok();
        Status st = pool_.Transact("creating sample partitions", [&](pqxx::work& tx) -> Status {
            const std::set<std::int64_t> existing = ExistingPartitions(tx);
            std::size_t to_create = 0;
            for (std::int64_t w : missing) to_create += existing.count(w) ? 0 : 1;
            if (to_create > kMaxNewPartitions)
                return MakeError(ErrorCode::kInvalidArgument,
                                 "the samples span " + std::to_string(to_create) +
                                     " weeks that hold no data yet; at most " + std::to_string(kMaxNewPartitions) +
                                     " new weekly partitions are made for one batch (are the timestamps in "
                                     "seconds?): send older history in smaller batches");
            CreatePartitions(tx, missing);
            return Status::Ok();
        });
        if (!st) return st;
        std::lock_guard lock(partitions_mutex_);
        known_partitions_.insert(missing.begin(), missing.end());
        return Status::Ok();
    }

    Pool pool_;
    const Clock& clock_;
    std::unique_ptr<IdentityStore> identity_;
    // Weeks known to have a partition: saves a catalog look-up per batch. A stale entry (retention elsewhere) costs
    // one failed write, after which it is cleared. Guarded by partitions_mutex_.
    std::mutex partitions_mutex_;
    std::set<std::int64_t> known_partitions_;
};

}  // namespace
}  // namespace pg

std::string RedactStoreUrl(const std::string& url) { return pg::RedactUrl(url); }

int PostgresSchemaVersion() { return static_cast<int>(pg::kMigrations.size()); }

Result<MigrationReport> MigratePostgres(const PostgresOptions& options) {
    auto settings = pg::MakeConnSettings(options.url, options.password);
    if (!settings) return settings.error();
    return pg::MigrateWith(*settings, true);
}

Result<std::unique_ptr<Store>> OpenPostgresStore(const PostgresOptions& options, const Clock& clock) {
    auto settings = pg::MakeConnSettings(options.url, options.password);
    if (!settings) return settings.error();
    auto migrated = pg::MigrateWith(*settings, options.migrate);
    if (!migrated) return migrated.error();
    auto store = std::make_unique<pg::PostgresStore>(std::move(*settings), std::max(1, options.max_connections), clock);
    if (Status s = store->CheckHealth(); !s) return s.error();
    return std::unique_ptr<Store>(std::move(store));
}

}  // namespace cloudopt
