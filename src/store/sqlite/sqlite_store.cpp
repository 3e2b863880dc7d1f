// SQLite backend: one writer connection behind a mutex, a pool of reader connections (WAL lets readers run in
// parallel with the writer), prepared statements cached per connection.

#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <vector>

#include "store/explanation_json.hpp"
#include "store/recent_samples_cache.hpp"
#include "store/sample_chunk.hpp"
#include "store/sqlite/anomaly_tables.hpp"
#include "store/sqlite/budget_table.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/identity_tables.hpp"
#include "store/sqlite/schema.hpp"
#include "store/store.hpp"
#include "store/type_list_column.hpp"

namespace cloudopt {

namespace {

using sqlite::Connection;
using sqlite::Statement;

constexpr int kReaderConnections = 4;
constexpr std::size_t kRecentCacheBytes = 64 * 1024 * 1024;
constexpr UnixSeconds kRecentWindow = 2 * 86400;  // covers the dashboard's day view with room to spare

const char* kResourceColumns =
    "id, name, provider, provider_ref, instance_type, min_capacity, max_capacity, target_low, target_high, mode, "
    "boot_delay_s, load_metric, capacity_per_instance, created_at, updated_at, load_query, risk_quantile, "
    "allowed_types, spot_share_max, max_step, labels";

Resource ReadResource(const Statement& s) {
    Resource r;
    r.id = s.Int(0);
    r.name = s.Text(1);
    r.provider = s.Text(2);
    r.provider_ref = s.Text(3);
    r.instance_type = s.Text(4);
    r.min_capacity = static_cast<int>(s.Int(5));
    r.max_capacity = static_cast<int>(s.Int(6));
    r.target_low = s.Double(7);
    r.target_high = s.Double(8);
    r.mode = ParseMode(s.Text(9)).value_or(Mode::kOff);
    r.boot_delay_s = static_cast<int>(s.Int(10));
    r.load_metric = s.Text(11);
    r.capacity_per_instance = s.Double(12);
    r.created_at = s.Int(13);
    r.updated_at = s.Int(14);
    r.load_query = s.Text(15);
    r.risk_quantile = s.Text(16);
    r.allowed_types = SplitTypes(s.Text(17));
    r.spot_share_max = s.Double(18);
    r.max_step = static_cast<int>(s.Int(19));
    if (auto labels = ParseLabels(s.Text(20))) r.labels = std::move(*labels);  // validated before it was stored
    return r;
}

void BindResourceFields(Statement& s, const Resource& r) {
    s.Bind(1, r.name).Bind(2, r.provider).Bind(3, r.provider_ref).Bind(4, r.instance_type);
    s.Bind(5, r.min_capacity).Bind(6, r.max_capacity).Bind(7, r.target_low).Bind(8, r.target_high);
    s.Bind(9, std::string_view(ModeName(r.mode))).Bind(10, r.boot_delay_s).Bind(11, r.load_metric);
    s.Bind(12, r.capacity_per_instance).Bind(13, r.load_query).Bind(14, r.risk_quantile);
    s.Bind(15, JoinTypes(r.allowed_types)).Bind(16, r.spot_share_max).Bind(17, r.max_step);
    s.Bind(18, FormatLabels(r.labels));
}

AllocationAction ReadAction(const Statement& s) {
    AllocationAction a;
    a.id = s.Int(0);
    a.resource_id = s.Int(1);
    a.ts = s.Int(2);
    a.from_capacity = static_cast<int>(s.Int(3));
    a.to_capacity = static_cast<int>(s.Int(4));
    a.reason = s.Text(5);
    a.status = ParseActionStatus(s.Text(6)).value_or(ActionStatus::kPlanned);
    a.error = s.Text(7);
    a.hourly_cost_before = s.Double(8);
    a.hourly_cost_after = s.Double(9);
    a.summary = s.Text(10);
    a.explanation = ExplanationFromJson(s.Text(11));
    return a;
}

Recommendation ReadRecommendation(const Statement& s) {
    Recommendation r;
    r.id = s.Int(0);
    r.resource_id = s.Int(1);
    r.created_at = s.Int(2);
    r.from_capacity = static_cast<int>(s.Int(3));
    r.to_capacity = static_cast<int>(s.Int(4));
    r.reason = s.Text(5);
    r.hourly_cost_before = s.Double(6);
    r.hourly_cost_after = s.Double(7);
    r.status = s.Text(8);
    r.status_reason = s.Text(9);
    r.closed_at = s.Int(10);
    r.snooze_until = s.Int(11);
    r.summary = s.Text(12);
    r.explanation = ExplanationFromJson(s.Text(13));
    return r;
}

const char* kRecommendationColumns =
    "id, resource_id, created_at, from_capacity, to_capacity, reason, hourly_cost_before, hourly_cost_after, status, "
    "status_reason, closed_at, snooze_until, summary, explanation";

class SqliteStore final : public Store {
  public:
    SqliteStore(std::string path, const Clock& clock, Durability durability)
        : path_(std::move(path)), clock_(clock), durability_(durability) {}

    Status Init() {
        auto writer = Connection::Open(path_, false, &faults_);
        if (!writer) return writer.error();
        writer_ = std::move(*writer);
        if (durability_ == Durability::kPowerLoss) {
            if (Status s = writer_->Exec("PRAGMA synchronous=FULL"); !s) return s;
        }
        if (Status s = Migrate(); !s) return s;
        identity_ = sqlite::MakeIdentityTables(*writer_, write_mutex_, clock_);
        for (int i = 0; i < kReaderConnections; ++i) {
            auto reader = Connection::Open(path_, true, &faults_);
            if (!reader) return reader.error();
            readers_.push_back(std::move(*reader));
        }
        struct stat st {};
        if (::stat(path_.c_str(), &st) == 0) opened_ = {st.st_dev, st.st_ino};
        return LoadCaches();
    }

    Result<Resource> CreateResource(const Resource& resource) override {
        std::lock_guard lock(write_mutex_);
        if (Status free = GroupIsFree(resource); !free) return free.error();
        const UnixSeconds now = clock_.Now();
        Statement s = writer_->Prepare(
            "INSERT INTO resources (id, name, provider, provider_ref, instance_type, min_capacity, max_capacity, "
            "target_low, target_high, mode, boot_delay_s, load_metric, capacity_per_instance, load_query, "
            "risk_quantile, "
            "allowed_types, spot_share_max, max_step, labels, created_at, updated_at) VALUES ("
            // Above every id ever given (schema v8), so a deleted resource's id is never reused.
            "(SELECT MAX(value, COALESCE((SELECT MAX(id) FROM resources), 0)) + 1 FROM resource_id_high),"
            "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        BindResourceFields(s, resource);
        s.Bind(19, now).Bind(20, now);
        if (Status st = s.Run(); !st) {
            if (st.error().code == ErrorCode::kConflict)
                return MakeError(ErrorCode::kConflict, "a resource named '" + resource.name + "' already exists");
            return st.error();
        }
        Resource created = resource;
        created.id = writer_->LastInsertId();
        created.created_at = created.updated_at = now;
        std::unique_lock cache(cache_mutex_);
        resources_[created.id] = created;
        return created;
    }

    // One resource per cloud group (provider + provider_ref): two would undo each other's decisions. Checked under
    // the write lock, against the cache every resource write keeps current, so two writers cannot both pass.
    bool Known(ResourceId id) {
        std::shared_lock cache(cache_mutex_);
        return resources_.count(id) != 0;
    }

    Status GroupIsFree(const Resource& resource) {
        std::shared_lock cache(cache_mutex_);
        for (const auto& [id, other] : resources_) {
            if (id != resource.id && other.provider == resource.provider && other.provider_ref == resource.provider_ref)
                return MakeError(ErrorCode::kConflict, "provider_ref: " + resource.provider + " group '" +
                                                           resource.provider_ref + "' is already resource '" +
                                                           other.name + "' (id " + std::to_string(id) +
                                                           "); one resource per cloud group");
        }
        return Status::Ok();
    }

    // Resources are read from memory: they change rarely, every change goes through this store, and the
    // lookup sat on every API request (a SQLite read transaction per lookup cost more than the rest).
    Result<Resource> GetResource(ResourceId id) override {
        std::shared_lock lock(cache_mutex_);
        auto it = resources_.find(id);
        if (it == resources_.end())
            return MakeError(ErrorCode::kNotFound, "resource " + std::to_string(id) + " does not exist");
        return it->second;
    }

    Result<Resource> FindResourceByName(const std::string& name) override {
        std::shared_lock lock(cache_mutex_);
        for (const auto& [id, r] : resources_) {
            if (r.name == name) return r;
        }
        return MakeError(ErrorCode::kNotFound, "resource '" + name + "' does not exist");
    }

    Result<std::vector<Resource>> ListResources() override {
        std::shared_lock lock(cache_mutex_);
        std::vector<Resource> out;
        out.reserve(resources_.size());
        for (const auto& [id, r] : resources_) out.push_back(r);
        return out;
    }

    Result<Resource> UpdateResource(const Resource& resource) override {
        std::lock_guard lock(write_mutex_);
        if (Known(resource.id)) {  // an unknown id is kNotFound below, whatever its group
            if (Status free = GroupIsFree(resource); !free) return free.error();
        }
        const UnixSeconds now = clock_.Now();
        Statement s = writer_->Prepare(
            "UPDATE resources SET name=?, provider=?, provider_ref=?, instance_type=?, min_capacity=?, "
            "max_capacity=?, target_low=?, target_high=?, mode=?, boot_delay_s=?, load_metric=?, "
            "capacity_per_instance=?, load_query=?, risk_quantile=?, allowed_types=?, spot_share_max=?, max_step=?, "
            "labels=?, updated_at=? WHERE id=? RETURNING created_at");
        BindResourceFields(s, resource);
        s.Bind(19, now).Bind(20, resource.id);
        if (!s.Step()) {
            if (!s.status()) {
                if (s.status().error().code == ErrorCode::kConflict)
                    return MakeError(ErrorCode::kConflict, "a resource named '" + resource.name + "' already exists");
                return s.status().error();
            }
            return MakeError(ErrorCode::kNotFound, "resource " + std::to_string(resource.id) + " does not exist");
        }
        Resource updated = resource;
        updated.created_at = s.Int(0);
        updated.updated_at = now;
        s.Reset();
        std::unique_lock cache(cache_mutex_);
        resources_[updated.id] = updated;
        return updated;
    }

    Status DeleteResource(ResourceId id) override {
        std::lock_guard lock(write_mutex_);
        Statement s = writer_->Prepare("DELETE FROM resources WHERE id = ?");
        s.Bind(1, id);
        if (Status st = s.Run(); !st) return st;
        if (writer_->Changes() == 0)
            return MakeError(ErrorCode::kNotFound, "resource " + std::to_string(id) + " does not exist");
        std::unique_lock cache(cache_mutex_);
        resources_.erase(id);
        std::erase_if(series_ids_, [&](const auto& kv) {
            if (kv.first.first != id) return false;
            recent_.Erase(kv.second);
            return true;
        });
        cache.unlock();
        NotifySamplesChanged(SeriesKey{id, std::string()}, INT64_MIN);
        return Status::Ok();
    }

    Result<std::int64_t> DeleteSamples(const SeriesKey& key, UnixSeconds from, UnixSeconds to) override {
        const std::optional<std::int64_t> series = CachedSeriesId(key);
        if (!series || from >= to) return std::int64_t{0};
        std::lock_guard lock(write_mutex_);
        if (Status s = writer_->Exec("BEGIN IMMEDIATE"); !s) return s.error();
        auto fail = [&](const Status& st) -> Result<std::int64_t> {
            (void)writer_->Exec("ROLLBACK");
            return st.error();
        };
        std::vector<std::pair<UnixSeconds, std::string>> chunks;
        {
            Statement read = writer_->Prepare(
                "SELECT chunk_start, data FROM sample_chunks WHERE series_id = ? AND chunk_start >= ? AND chunk_start "
                "< ?");
            read.Bind(1, *series).Bind(2, ChunkStart(from)).Bind(3, to);
            while (read.Step()) chunks.emplace_back(read.Int(0), std::string(read.Blob(1)));
            if (!read.status()) return fail(read.status());
        }
        std::int64_t removed = 0;
        for (const auto& [start, blob] : chunks) {
            std::vector<Sample> all, kept;
            if (Status st = DecodeChunk(start, blob, INT64_MIN, INT64_MAX, all); !st) return fail(st);
            for (const Sample& sample : all) {
                if (sample.ts >= from && sample.ts < to)
                    ++removed;
                else
                    kept.push_back(sample);
            }
            if (kept.size() == all.size()) continue;
            Statement write =
                kept.empty() ? writer_->Prepare("DELETE FROM sample_chunks WHERE series_id = ? AND chunk_start = ?")
                             : writer_->Prepare(
                                   "INSERT OR REPLACE INTO sample_chunks (series_id, chunk_start, data) "
                                   "VALUES (?,?,?)");
            write.Bind(1, *series).Bind(2, start);
            if (!kept.empty()) write.BindBlob(3, EncodeChunk(start, kept));
            if (Status st = write.Run(); !st) return fail(st);
        }
        if (Status s = writer_->Exec("COMMIT"); !s) return fail(s);
        recent_.Erase(*series);  // reloaded from the chunks on the next recent read
        NotifySamplesChanged(key, from);
        return removed;
    }

    Status AppendSamples(std::span<const SeriesSamples> batch) override {
        std::lock_guard lock(write_mutex_);
        if (Status s = writer_->Exec("BEGIN IMMEDIATE"); !s) return s;
        std::vector<std::pair<ResourceId, std::string>> created;  // to forget if we roll back
        auto fail = [&](Status st) {
            (void)writer_->Exec("ROLLBACK");
            std::unique_lock cache(cache_mutex_);
            for (const auto& key : created) series_ids_.erase(key);
            return st;
        };
        std::vector<std::pair<std::int64_t, std::vector<Sample>>> committed;  // for the cache, after COMMIT
        std::vector<std::pair<const SeriesKey*, UnixSeconds>> changed;        // for the listeners, after COMMIT
        std::vector<Sample> existing;
        for (const SeriesSamples& series : batch) {
            std::vector<Sample> sorted;
            auto id = SeriesIdLocked(series.key, created);
            if (!id) return fail(id.error());
            // Sort by time, keeping the last of equal timestamps (a later sample corrects an earlier one).
            sorted.assign(series.samples.begin(), series.samples.end());
            std::stable_sort(sorted.begin(), sorted.end(),
                             [](const Sample& a, const Sample& b) { return a.ts < b.ts; });
            std::size_t unique = 0;
            for (std::size_t i = 0; i < sorted.size(); ++i) {
                if (unique > 0 && sorted[unique - 1].ts == sorted[i].ts)
                    sorted[unique - 1] = sorted[i];
                else
                    sorted[unique++] = sorted[i];
            }
            sorted.resize(unique);
            // Read-modify-write each touched chunk.
            std::size_t begin = 0;
            while (begin < sorted.size()) {
                const UnixSeconds chunk = ChunkStart(sorted[begin].ts);
                std::size_t end = begin;
                while (end < sorted.size() && sorted[end].ts < chunk + kChunkSeconds) ++end;
                const std::span<const Sample> updates(sorted.data() + begin, end - begin);
                existing.clear();
                {
                    Statement read =
                        writer_->Prepare("SELECT data FROM sample_chunks WHERE series_id = ? AND chunk_start = ?");
                    read.Bind(1, *id).Bind(2, chunk);
                    if (read.Step()) {
                        if (Status st = DecodeChunk(chunk, read.Blob(0), INT64_MIN, INT64_MAX, existing); !st)
                            return fail(st);
                    } else if (!read.status()) {
                        return fail(read.status());
                    }
                }
                const std::string blob = existing.empty() ? EncodeChunk(chunk, updates)
                                                          : EncodeChunk(chunk, MergeSamples(existing, updates));
                Statement write = writer_->Prepare(
                    "INSERT OR REPLACE INTO sample_chunks (series_id, chunk_start, data) VALUES (?,?,?)");
                write.Bind(1, *id).Bind(2, chunk).BindBlob(3, blob);
                if (Status st = write.Run(); !st) return fail(st);
                begin = end;
            }
            if (!sorted.empty()) changed.emplace_back(&series.key, sorted.front().ts);
            committed.emplace_back(*id, std::move(sorted));
        }
        if (Status s = writer_->Exec("COMMIT"); !s) return fail(s);
        for (const auto& [series_id, samples] : committed) recent_.Apply(series_id, samples);
        for (const auto& [key, since] : changed) NotifySamplesChanged(*key, since);
        return Status::Ok();
    }

    Result<std::vector<Sample>> QuerySamples(const SeriesKey& key, UnixSeconds from, UnixSeconds to) override {
        const std::optional<std::int64_t> series = CachedSeriesId(key);
        if (!series) return std::vector<Sample>();
        if (auto hit = recent_.Get(*series, from, to)) return std::move(*hit);
        if (from >= clock_.Now() - kRecentWindow) {
            // A recent window: load the series' recent chunks into the cache once, then serve from memory.
            if (Status st = LoadRecent(*series); !st) return st.error();
            if (auto hit = recent_.Get(*series, from, to)) return std::move(*hit);
        }
        return ReadChunks(*series, from, to);
    }

    Result<std::vector<Sample>> ReadChunks(std::int64_t series, UnixSeconds from, UnixSeconds to) {
        auto reader = Borrow();
        Statement s = reader->Prepare(
            "SELECT chunk_start, data FROM sample_chunks WHERE series_id = ? AND chunk_start >= ? AND chunk_start < ? "
            "ORDER BY chunk_start");
        s.Bind(1, series).Bind(2, ChunkStart(from)).Bind(3, to);
        std::vector<Sample> out;
        while (s.Step()) {
            if (Status st = DecodeChunk(s.Int(0), s.Blob(1), from, to, out); !st) return st.error();
        }
        if (!s.status()) return s.status().error();
        return out;
    }

    // Loads the chunks of the recent window into the cache. Holds the write lock so no write commits between
    // the read and the install (a write that did would be missing from the cache).
    Status LoadRecent(std::int64_t series) {
        std::lock_guard lock(write_mutex_);
        const UnixSeconds start = ChunkStart(clock_.Now() - kRecentWindow);
        auto samples = ReadChunks(series, start, INT64_MAX);
        if (!samples) return samples.error();
        recent_.Install(series, start, std::move(*samples));
        return Status::Ok();
    }

    Result<std::optional<Sample>> LatestSample(const SeriesKey& key) override {
        const std::optional<std::int64_t> series = CachedSeriesId(key);
        if (!series) return std::optional<Sample>();
        if (auto cached = recent_.Latest(*series)) {
            if (*cached) return *cached;  // an empty cached window says nothing about older chunks: ask the database
        }
        auto reader = Borrow();
        Statement s = reader->Prepare(
            "SELECT chunk_start, data FROM sample_chunks WHERE series_id = ? ORDER BY chunk_start DESC LIMIT 1");
        s.Bind(1, *series);
        if (!s.Step()) {
            if (!s.status()) return s.status().error();
            return std::optional<Sample>();
        }
        std::vector<Sample> chunk;
        if (Status st = DecodeChunk(s.Int(0), s.Blob(1), INT64_MIN, INT64_MAX, chunk); !st) return st.error();
        if (chunk.empty()) return std::optional<Sample>();
        return std::optional<Sample>(chunk.back());
    }

    Result<std::vector<std::string>> ListMetrics(ResourceId id) override {
        std::shared_lock lock(cache_mutex_);
        std::vector<std::string> out;
        for (auto it = series_ids_.lower_bound({id, std::string()}); it != series_ids_.end() && it->first.first == id;
             ++it)
            out.push_back(it->first.second);
        return out;
    }

    Result<std::int64_t> PruneSamples(UnixSeconds before) override {
        std::lock_guard lock(write_mutex_);
        Statement s = writer_->Prepare("DELETE FROM sample_chunks WHERE chunk_start <= ?");
        s.Bind(1, before - kChunkSeconds);  // whole chunks only: [start, start + 1 h) ends at or before `before`
        if (Status st = s.Run(); !st) return st.error();
        const std::int64_t removed = writer_->Changes();
        if (removed == 0) return removed;
        std::vector<SeriesKey> keys;
        {
            std::unique_lock cache(cache_mutex_);
            for (const auto& [key, id] : series_ids_) {
                recent_.Erase(id);  // reloaded from the chunks on the next recent read
                keys.push_back({key.first, key.second});
            }
        }
        for (const SeriesKey& key : keys) NotifySamplesChanged(key, INT64_MIN);
        return removed;
    }

    Status SavePrediction(ResourceId id, const std::string& metric, const Forecast& f) override {
        nlohmann::json points = nlohmann::json::array();
        for (const ForecastPoint& p : f.points) points.push_back({p.ts, p.p50, p.p90, p.p95, p.p99});
        std::lock_guard lock(write_mutex_);
        Statement s = writer_->Prepare(
            "INSERT INTO predictions (resource_id, metric, generated_at, model, step_s, accuracy, points) "
            "VALUES (?,?,?,?,?,?,?)");
        s.Bind(1, id).Bind(2, metric).Bind(3, f.generated_at).Bind(4, f.model).Bind(5, f.step);
        if (std::isnan(f.accuracy))
            s.BindNull(6);
        else
            s.Bind(6, f.accuracy);
        s.Bind(7, points.dump());
        if (Status st = s.Run(); !st) {
            if (st.error().code == ErrorCode::kConflict)
                return MakeError(ErrorCode::kNotFound, "resource " + std::to_string(id) + " does not exist");
            return st;
        }
        // Keep the newest few per series: older forecasts are history the API does not serve.
        Statement prune = writer_->Prepare(
            "DELETE FROM predictions WHERE resource_id = ? AND metric = ? AND id NOT IN "
            "(SELECT id FROM predictions WHERE resource_id = ? AND metric = ? ORDER BY generated_at DESC, id DESC "
            "LIMIT 10)");
        prune.Bind(1, id).Bind(2, metric).Bind(3, id).Bind(4, metric);
        return prune.Run();
    }

    Result<std::optional<Forecast>> LatestPrediction(ResourceId id, const std::string& metric) override {
        auto reader = Borrow();
        Statement s = reader->Prepare(
            "SELECT generated_at, model, step_s, accuracy, points FROM predictions WHERE resource_id = ? AND "
            "metric = ? ORDER BY generated_at DESC, id DESC LIMIT 1");
        s.Bind(1, id).Bind(2, metric);
        if (!s.Step()) {
            if (!s.status()) return s.status().error();
            return std::optional<Forecast>();
        }
        Forecast f;
        f.generated_at = s.Int(0);
        f.model = s.Text(1);
        f.step = s.Int(2);
        f.accuracy = s.IsNull(3) ? std::numeric_limits<double>::quiet_NaN() : s.Double(3);
        const nlohmann::json points = nlohmann::json::parse(s.Text(4), nullptr, false);
        if (!points.is_array()) return MakeError(ErrorCode::kInternal, "stored prediction points are corrupt");
        for (const auto& p : points) {
            // Forecasts stored before p99 bands have four values; their p99 is unknown, so the p95 stands in.
            const bool numbers = p.is_array() && (p.size() == 4 || p.size() == 5) &&
                                 std::all_of(p.begin(), p.end(), [](const auto& v) { return v.is_number(); });
            if (!numbers) return MakeError(ErrorCode::kInternal, "stored prediction points are corrupt");
            f.points.push_back({p[0].get<UnixSeconds>(), p[1], p[2], p[3], p.size() > 4 ? p[4] : p[3]});
        }
        return std::optional<Forecast>(std::move(f));
    }

    Status SaveModel(const StoredModel& m) override {
        std::lock_guard lock(write_mutex_);
        Statement s = writer_->Prepare(
            "INSERT INTO models (resource_id, metric, trained_at, model, accuracy, bytes) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT (resource_id, metric) DO UPDATE SET trained_at = excluded.trained_at, model = excluded.model, "
            "accuracy = excluded.accuracy, bytes = excluded.bytes");
        s.Bind(1, m.resource_id).Bind(2, m.metric).Bind(3, m.trained_at).Bind(4, m.model).Bind(5, m.accuracy);
        s.BindBlob(6, m.bytes);
        if (Status st = s.Run(); !st) {
            if (st.error().code == ErrorCode::kConflict)
                return MakeError(ErrorCode::kNotFound, "resource " + std::to_string(m.resource_id) + " does not exist");
            return st;
        }
        return Status::Ok();
    }

    Result<std::vector<StoredModel>> ListModels() override {
        auto reader = Borrow();
        Statement s = reader->Prepare(
            "SELECT resource_id, metric, trained_at, model, accuracy, bytes FROM models ORDER BY resource_id, metric");
        std::vector<StoredModel> out;
        while (s.Step()) out.push_back(ReadModel(s));
        if (!s.status()) return s.status().error();
        return out;
    }

    Result<std::optional<StoredModel>> LoadModel(ResourceId id, const std::string& metric) override {
        auto reader = Borrow();
        Statement s = reader->Prepare(
            "SELECT resource_id, metric, trained_at, model, accuracy, bytes FROM models WHERE resource_id = ? AND "
            "metric = ?");
        s.Bind(1, id).Bind(2, metric);
        if (s.Step()) return std::optional<StoredModel>(ReadModel(s));
        if (!s.status()) return s.status().error();
        return std::optional<StoredModel>();
    }

    static StoredModel ReadModel(Statement& s) {
        StoredModel m;
        m.resource_id = s.Int(0);
        m.metric = s.Text(1);
        m.trained_at = s.Int(2);
        m.model = s.Text(3);
        m.accuracy = s.Double(4);
        m.bytes = std::string(s.Blob(5));
        return m;
    }

    Status SaveSharedNetwork(const StoredNetwork& n) override {
        std::lock_guard lock(write_mutex_);
        Statement s = writer_->Prepare(
            "INSERT INTO shared_network (id, trained_at, members, bytes) VALUES (1,?,?,?) ON CONFLICT (id) DO UPDATE "
            "SET trained_at = excluded.trained_at, members = excluded.members, bytes = excluded.bytes");
        s.Bind(1, n.trained_at).Bind(2, n.members);
        s.BindBlob(3, n.bytes);
        return s.Run();
    }

    Result<std::optional<StoredNetwork>> LoadSharedNetwork() override {
        auto reader = Borrow();
        Statement s = reader->Prepare("SELECT trained_at, members, bytes FROM shared_network WHERE id = 1");
        std::optional<StoredNetwork> out;
        if (s.Step()) out = StoredNetwork{s.Int(0), s.Int(1), std::string(s.Blob(2))};
        if (!s.status()) return s.status().error();
        return out;
    }

    Result<AllocationAction> RecordAction(const AllocationAction& action) override {
        std::lock_guard lock(write_mutex_);
        Statement s = writer_->Prepare(
            "INSERT INTO actions (resource_id, ts, from_capacity, to_capacity, reason, status, error, "
            "hourly_cost_before, hourly_cost_after, summary, explanation) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
        s.Bind(1, action.resource_id).Bind(2, action.ts).Bind(3, action.from_capacity).Bind(4, action.to_capacity);
        s.Bind(5, action.reason).Bind(6, std::string_view(ActionStatusName(action.status))).Bind(7, action.error);
        s.Bind(8, action.hourly_cost_before).Bind(9, action.hourly_cost_after).Bind(10, action.summary);
        s.Bind(11, ExplanationText(action.explanation));
        if (Status st = s.Run(); !st) return st.error();
        AllocationAction stored = action;
        stored.id = writer_->LastInsertId();
        return stored;
    }

    Result<std::vector<AllocationAction>> ListActions(const ActionQuery& q) override {
        auto reader = Borrow();
        Statement s = reader->Prepare(
            "SELECT id, resource_id, ts, from_capacity, to_capacity, reason, status, error, hourly_cost_before, "
            "hourly_cost_after, summary, explanation FROM actions WHERE (? IS NULL OR resource_id = ?) AND ts >= ? "
            "AND (? IS NULL OR status = ?) ORDER BY ts DESC, id DESC LIMIT ? OFFSET ?");
        if (q.resource_id)
            s.Bind(1, *q.resource_id).Bind(2, *q.resource_id);
        else
            s.BindNull(1).BindNull(2);
        s.Bind(3, q.since);
        if (q.status)
            s.Bind(4, std::string_view(ActionStatusName(*q.status)))
                .Bind(5, std::string_view(ActionStatusName(*q.status)));
        else
            s.BindNull(4).BindNull(5);
        s.Bind(6, q.limit).Bind(7, q.offset);
        std::vector<AllocationAction> out;
        while (s.Step()) out.push_back(ReadAction(s));
        if (!s.status()) return s.status().error();
        return out;
    }

    Result<std::int64_t> CountActions(UnixSeconds since) override {
        auto reader = Borrow();
        Statement s = reader->Prepare("SELECT count(*) FROM actions WHERE ts >= ?");
        s.Bind(1, since);
        if (s.Step()) return s.Int(0);
        return s.status().error();
    }

    Result<Recommendation> SaveRecommendation(const Recommendation& rec) override {
        const std::string explanation = ExplanationText(rec.explanation);  // before the transaction: it allocates
        std::lock_guard lock(write_mutex_);
        if (Status s = writer_->Exec("BEGIN IMMEDIATE"); !s) return s.error();
        Statement supersede = writer_->Prepare(
            "UPDATE recommendations SET status = 'superseded', status_reason = 'a newer plan differs', closed_at = ? "
            "WHERE resource_id = ? AND status = 'open'");
        supersede.Bind(1, rec.created_at).Bind(2, rec.resource_id);
        Status st = supersede.Run();
        Statement insert = writer_->Prepare(
            "INSERT INTO recommendations (resource_id, created_at, from_capacity, to_capacity, reason, "
            "hourly_cost_before, hourly_cost_after, status, summary, explanation) VALUES (?,?,?,?,?,?,?,?,?,?)");
        if (st) {
            insert.Bind(1, rec.resource_id).Bind(2, rec.created_at).Bind(3, rec.from_capacity);
            insert.Bind(4, rec.to_capacity).Bind(5, rec.reason).Bind(6, rec.hourly_cost_before);
            insert.Bind(7, rec.hourly_cost_after).Bind(8, rec.status).Bind(9, rec.summary);
            insert.Bind(10, explanation);
            st = insert.Run();
        }
        if (st) st = writer_->Exec("COMMIT");
        if (!st) {
            (void)writer_->Exec("ROLLBACK");
            return st.error();
        }
        Recommendation stored = rec;
        stored.id = writer_->LastInsertId();
        return stored;
    }

    Result<std::vector<Recommendation>> ListRecommendations(const std::optional<std::string>& status) override {
        auto reader = Borrow();
        Statement s = reader->Prepare(std::string("SELECT ") + kRecommendationColumns +
                                      " FROM recommendations WHERE (? IS NULL OR status = ?) "
                                      "ORDER BY created_at DESC, id DESC LIMIT 500");
        if (status)
            s.Bind(1, *status).Bind(2, *status);
        else
            s.BindNull(1).BindNull(2);
        std::vector<Recommendation> out;
        while (s.Step()) out.push_back(ReadRecommendation(s));
        if (!s.status()) return s.status().error();
        return out;
    }

    Result<Recommendation> GetRecommendation(std::int64_t id) override {
        auto reader = Borrow();
        Statement s =
            reader->Prepare(std::string("SELECT ") + kRecommendationColumns + " FROM recommendations WHERE id = ?");
        s.Bind(1, id);
        if (s.Step()) return ReadRecommendation(s);
        if (!s.status()) return s.status().error();
        return MakeError(ErrorCode::kNotFound, "recommendation " + std::to_string(id) + " does not exist");
    }

    Status SetRecommendationStatus(std::int64_t id, const std::string& status, const std::string& reason,
                                   UnixSeconds at, UnixSeconds snooze_until) override {
        std::lock_guard lock(write_mutex_);
        Statement s = writer_->Prepare(
            "UPDATE recommendations SET status = ?, status_reason = ?, closed_at = ?, snooze_until = ? WHERE id = ?");
        s.Bind(1, status).Bind(2, reason).Bind(3, at).Bind(4, snooze_until).Bind(5, id);
        if (Status st = s.Run(); !st) {
            if (st.error().code == ErrorCode::kConflict)
                return MakeError(ErrorCode::kUnprocessable, "unknown recommendation status '" + status + "'");
            return st;
        }
        if (writer_->Changes() == 0)
            return MakeError(ErrorCode::kNotFound, "recommendation " + std::to_string(id) + " does not exist");
        return Status::Ok();
    }

    Result<Alert> SaveAlert(const Alert& a) override {
        std::lock_guard lock(write_mutex_);
        Statement s = writer_->Prepare(
            a.id == 0 ? "INSERT INTO alerts (resource_id, metric, state, severity, opened_at, closed_at, value, score, "
                        "peak_score, range_low, range_high, forecast_p50, forecast_p99, window_from, window_to, "
                        "message) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                      : "UPDATE alerts SET resource_id = ?, metric = ?, state = ?, severity = ?, opened_at = ?, "
                        "closed_at = ?, value = ?, score = ?, peak_score = ?, range_low = ?, range_high = ?, "
                        "forecast_p50 = ?, forecast_p99 = ?, window_from = ?, window_to = ?, message = ? WHERE id = ?");
        s.Bind(1, a.resource_id).Bind(2, a.metric).Bind(3, a.state).Bind(4, a.severity).Bind(5, a.opened_at);
        s.Bind(6, a.closed_at).Bind(7, a.value).Bind(8, a.score).Bind(9, a.peak_score).Bind(10, a.range_low);
        s.Bind(11, a.range_high);
        if (a.forecast_p50)
            s.Bind(12, *a.forecast_p50);
        else
            s.BindNull(12);
        if (a.forecast_p99)
            s.Bind(13, *a.forecast_p99);
        else
            s.BindNull(13);
        s.Bind(14, a.window_from).Bind(15, a.window_to).Bind(16, a.message);
        if (a.id != 0) s.Bind(17, a.id);
        if (Status st = s.Run(); !st) {
            if (st.error().code == ErrorCode::kConflict)  // the foreign key: no such resource
                return MakeError(ErrorCode::kNotFound, "resource " + std::to_string(a.resource_id) + " does not exist");
            return st.error();
        }
        Alert stored = a;
        if (a.id == 0) {
            stored.id = writer_->LastInsertId();
        } else if (writer_->Changes() == 0) {
            return MakeError(ErrorCode::kNotFound, "alert " + std::to_string(a.id) + " does not exist");
        }
        return stored;
    }

    Result<std::vector<Alert>> ListAlerts(const AlertQuery& q) override {
        auto reader = Borrow();
        Statement s = reader->Prepare(
            "SELECT id, resource_id, metric, state, severity, opened_at, closed_at, value, score, peak_score, "
            "range_low, range_high, forecast_p50, forecast_p99, window_from, window_to, message FROM alerts "
            "WHERE (? IS NULL OR resource_id = ?) AND (? IS NULL OR state = ?) ORDER BY opened_at DESC, id DESC "
            "LIMIT ?");
        if (q.resource_id)
            s.Bind(1, *q.resource_id).Bind(2, *q.resource_id);
        else
            s.BindNull(1).BindNull(2);
        if (q.state)
            s.Bind(3, *q.state).Bind(4, *q.state);
        else
            s.BindNull(3).BindNull(4);
        s.Bind(5, q.limit);
        std::vector<Alert> out;
        while (s.Step()) {
            Alert a;
            a.id = s.Int(0);
            a.resource_id = s.Int(1);
            a.metric = s.Text(2);
            a.state = s.Text(3);
            a.severity = s.Text(4);
            a.opened_at = s.Int(5);
            a.closed_at = s.Int(6);
            a.value = s.Double(7);
            a.score = s.Double(8);
            a.peak_score = s.Double(9);
            a.range_low = s.Double(10);
            a.range_high = s.Double(11);
            if (!s.IsNull(12)) a.forecast_p50 = s.Double(12);
            if (!s.IsNull(13)) a.forecast_p99 = s.Double(13);
            a.window_from = s.Int(14);
            a.window_to = s.Int(15);
            a.message = s.Text(16);
            out.push_back(std::move(a));
        }
        if (!s.status()) return s.status().error();
        return out;
    }

    // Remediation steps and anomaly settings: store/sqlite/anomaly_tables.cpp.
    Result<Remediation> SaveRemediation(const Remediation& step) override {
        std::lock_guard lock(write_mutex_);
        return sqlite::WriteRemediation(*writer_, step);
    }
    Result<std::vector<Remediation>> ListRemediations(const RemediationQuery& q) override {
        auto reader = Borrow();
        return sqlite::ReadRemediations(*reader.operator->(), q);
    }
    Status SaveAnomalySettings(ResourceId id, const AnomalySettings& settings) override {
        std::lock_guard lock(write_mutex_);
        return sqlite::WriteAnomalySettings(*writer_, id, settings);
    }
    Result<std::optional<AnomalySettings>> LoadAnomalySettings(ResourceId id) override {
        auto reader = Borrow();
        return sqlite::ReadAnomalySettings(*reader.operator->(), id);
    }

    Result<Budget> SaveBudget(const Budget& budget) override {
        return sqlite::SaveBudgetRow(*writer_, write_mutex_, budget, clock_.Now());
    }
    Result<std::vector<Budget>> ListBudgets() override { return sqlite::ListBudgetRows(*writer_, write_mutex_); }
    Status DeleteBudget(std::int64_t id) override { return sqlite::DeleteBudgetRow(*writer_, write_mutex_, id); }
    Status SetBudgetAlerted(std::int64_t id, BudgetState state) override {
        return sqlite::SetBudgetAlertedRow(*writer_, write_mutex_, id, state);
    }

    IdentityStore& Identity() override { return *identity_; }

    Status CheckHealth() override {
        // A database deleted or replaced under a running service: its writes go to a file nobody will open again.
        struct stat st {};
        if (::stat(path_.c_str(), &st) != 0 || std::make_pair(st.st_dev, st.st_ino) != opened_)
            return MakeError(ErrorCode::kUnavailable,
                             "the database file " + path_ +
                                 " was deleted or replaced while the service runs; its writes are going nowhere: "
                                 "restart the service (docs/OPERATIONS.md, Restoring)");
        if (auto fault = faults_.Current()) return MakeError(ErrorCode::kUnavailable, *fault);
        auto reader = Borrow();
        Statement s = reader->Prepare("SELECT count(*) FROM schema_version");
        s.Step();
        if (!s.status()) return MakeError(ErrorCode::kUnavailable, s.status().error().message);
        return Status::Ok();
    }

  private:
    // A reader connection on loan; returned to the pool when the lease ends.
    class Lease {
      public:
        Lease(SqliteStore& store, std::unique_ptr<Connection> conn) : store_(store), conn_(std::move(conn)) {}
        ~Lease() { store_.Return(std::move(conn_)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Connection* operator->() { return conn_.get(); }

      private:
        SqliteStore& store_;
        std::unique_ptr<Connection> conn_;
    };

    Lease Borrow() {
        std::unique_lock lock(pool_mutex_);
        pool_cv_.wait(lock, [&] { return !readers_.empty(); });
        std::unique_ptr<Connection> conn = std::move(readers_.back());
        readers_.pop_back();
        return Lease(*this, std::move(conn));
    }

    void Return(std::unique_ptr<Connection> conn) {
        {
            std::lock_guard lock(pool_mutex_);
            readers_.push_back(std::move(conn));
        }
        pool_cv_.notify_one();
    }

    // Series id for the key, creating the series row inside the caller's transaction. Requires write_mutex_.
    Result<std::int64_t> SeriesIdLocked(const SeriesKey& key,
                                        std::vector<std::pair<ResourceId, std::string>>& created) {
        auto cache_key = std::make_pair(key.resource_id, key.metric);
        if (auto id = CachedSeriesId(key)) return *id;
        Statement find = writer_->Prepare("SELECT id FROM series WHERE resource_id = ? AND metric = ?");
        find.Bind(1, key.resource_id).Bind(2, key.metric);
        std::int64_t id = 0;
        if (find.Step()) {
            id = find.Int(0);
        } else {
            if (!find.status()) return find.status().error();
            Statement insert = writer_->Prepare("INSERT INTO series (resource_id, metric) VALUES (?, ?)");
            insert.Bind(1, key.resource_id).Bind(2, key.metric);
            if (Status st = insert.Run(); !st) {
                if (st.error().code == ErrorCode::kConflict)
                    return MakeError(ErrorCode::kNotFound,
                                     "resource " + std::to_string(key.resource_id) + " does not exist");
                return st.error();
            }
            id = writer_->LastInsertId();
            created.push_back(cache_key);
        }
        std::unique_lock cache(cache_mutex_);
        series_ids_[cache_key] = id;
        return id;
    }

    std::optional<std::int64_t> CachedSeriesId(const SeriesKey& key) {
        std::shared_lock lock(cache_mutex_);
        auto it = series_ids_.find(std::make_pair(key.resource_id, key.metric));
        if (it == series_ids_.end()) return std::nullopt;
        return it->second;
    }

    Status LoadCaches() {
        std::unique_lock lock(cache_mutex_);
        Statement resources = writer_->Prepare(std::string("SELECT ") + kResourceColumns + " FROM resources");
        while (resources.Step()) {
            Resource r = ReadResource(resources);
            resources_[r.id] = std::move(r);
        }
        if (!resources.status()) return resources.status();
        Statement series = writer_->Prepare("SELECT id, resource_id, metric FROM series");
        while (series.Step()) series_ids_[{series.Int(1), series.Text(2)}] = series.Int(0);
        return series.status();
    }

    Status Migrate() {
        if (Status s = writer_->Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"); !s)
            return s;
        std::int64_t version = 0;
        {
            Statement s = writer_->Prepare("SELECT coalesce(max(version), 0) FROM schema_version");
            if (s.Step()) version = s.Int(0);
        }
        if (version > static_cast<std::int64_t>(sqlite::kMigrations.size()))
            return MakeError(ErrorCode::kUnavailable, "database schema version " + std::to_string(version) +
                                                          " is newer than this cloudopt understands (" +
                                                          std::to_string(sqlite::kMigrations.size()) +
                                                          "); upgrade cloudopt");
        for (auto v = static_cast<std::size_t>(version); v < sqlite::kMigrations.size(); ++v) {
            Status st = writer_->Exec("BEGIN IMMEDIATE");
            if (st) st = writer_->Exec(sqlite::kMigrations[v]);
            if (st) st = writer_->Exec("INSERT INTO schema_version (version) VALUES (" + std::to_string(v + 1) + ")");
            if (st) st = writer_->Exec("COMMIT");
            if (!st) {
                (void)writer_->Exec("ROLLBACK");
                return MakeError(ErrorCode::kInternal,
                                 "migration to schema v" + std::to_string(v + 1) + " failed: " + st.error().message);
            }
        }
        return Status::Ok();
    }

    std::string path_;
    std::pair<dev_t, ino_t> opened_{};
    sqlite::FaultLog faults_;  // before the connections, which point at it
    const Clock& clock_;
    Durability durability_;
    std::mutex write_mutex_;
    std::unique_ptr<Connection> writer_;
    // Caches of the resources and series tables. Only this store writes the database (one cloudopt per database
    // file), so they are exact; they change under write_mutex_ and cache_mutex_ together.
    std::shared_mutex cache_mutex_;
    std::map<ResourceId, Resource> resources_;
    std::map<std::pair<ResourceId, std::string>, std::int64_t> series_ids_;
    RecentSamplesCache recent_{kRecentCacheBytes, kRecentWindow};
    std::mutex pool_mutex_;
    std::condition_variable pool_cv_;
    std::vector<std::unique_ptr<Connection>> readers_;
    std::unique_ptr<IdentityStore> identity_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, const Clock& clock, Durability durability) {
    auto store = std::make_unique<SqliteStore>(path, clock, durability);
    if (Status s = store->Init(); !s) return s.error();
    return std::unique_ptr<Store>(std::move(store));
}

}  // namespace cloudopt
