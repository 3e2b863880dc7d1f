#include "store/store_copy.hpp"

#include <sqlite3.h>

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <stdexcept>
#include <utility>

#include "store/postgres/connection.hpp"
#include "store/postgres/partitions.hpp"
#include "store/sample_chunk.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/schema.hpp"

namespace cloudopt {

namespace {

enum class ColumnType { kInt, kReal, kText, kBlob };

struct CopyColumn {
    const char* name;
    ColumnType type;
};

struct CopyTable {
    const char* name;
    std::vector<CopyColumn> columns;
    const char* order_by;
    bool serial_id;  // a BIGSERIAL id in PostgreSQL, whose sequence must follow the copied ids
};

constexpr ColumnType I = ColumnType::kInt;
constexpr ColumnType R = ColumnType::kReal;
constexpr ColumnType T = ColumnType::kText;
constexpr ColumnType B = ColumnType::kBlob;

// Every table of the SQLite schema v10 but sample_chunks (decoded into samples) and resource_id_high (the
// resources' id sequence in PostgreSQL). Parents before children.
const std::vector<CopyTable>& CopyTables() {
    static const std::vector<CopyTable> kTables = {
        {"resources",
         {{"id", I},
          {"name", T},
          {"provider", T},
          {"provider_ref", T},
          {"instance_type", T},
          {"min_capacity", I},
          {"max_capacity", I},
          {"target_low", R},
          {"target_high", R},
          {"mode", T},
          {"boot_delay_s", I},
          {"load_metric", T},
          {"capacity_per_instance", R},
          {"created_at", I},
          {"updated_at", I},
          {"load_query", T},
          {"risk_quantile", T},
          {"allowed_types", T},
          {"spot_share_max", R},
          {"max_step", I},
          {"labels", T}},
         "id",
         true},
        {"series", {{"id", I}, {"resource_id", I}, {"metric", T}}, "id", true},
        {"predictions",
         {{"id", I},
          {"resource_id", I},
          {"metric", T},
          {"generated_at", I},
          {"model", T},
          {"step_s", I},
          {"accuracy", R},
          {"points", T}},
         "id",
         true},
        {"actions",
         {{"id", I},
          {"resource_id", I},
          {"ts", I},
          {"from_capacity", I},
          {"to_capacity", I},
          {"reason", T},
          {"status", T},
          {"error", T},
          {"hourly_cost_before", R},
          {"hourly_cost_after", R},
          {"summary", T},
          {"explanation", T}},
         "id",
         true},
        {"recommendations",
         {{"id", I},
          {"resource_id", I},
          {"created_at", I},
          {"from_capacity", I},
          {"to_capacity", I},
          {"reason", T},
          {"hourly_cost_before", R},
          {"hourly_cost_after", R},
          {"status", T},
          {"status_reason", T},
          {"closed_at", I},
          {"snooze_until", I},
          {"summary", T},
          {"explanation", T}},
         "id",
         true},
        {"models",
         {{"resource_id", I}, {"metric", T}, {"trained_at", I}, {"model", T}, {"accuracy", R}, {"bytes", B}},
         "resource_id, metric",
         false},
        {"shared_network", {{"id", I}, {"trained_at", I}, {"members", I}, {"bytes", B}}, "id", false},
        {"users",
         {{"id", I}, {"name", T}, {"role", T}, {"password_hash", T}, {"created_at", I}, {"disabled", I}},
         "id",
         true},
        {"refresh_tokens",
         {{"id", I},
          {"user_id", I},
          {"token_hash", T},
          {"family", T},
          {"created_at", I},
          {"expires_at", I},
          {"revoked", I}},
         "id",
         true},
        {"api_tokens",
         {{"id", I},
          {"name", T},
          {"scope", T},
          {"token_hash", T},
          {"created_by", T},
          {"created_at", I},
          {"revoked_at", I}},
         "id",
         true},
        {"credentials",
         {{"id", I},
          {"name", T},
          {"kind", T},
          {"sealed", B},
          {"key_id", T},
          {"hint", T},
          {"created_at", I},
          {"updated_at", I}},
         "id",
         true},
        {"audit_log",
         {{"id", I},
          {"ts", I},
          {"actor", T},
          {"action", T},
          {"target", T},
          {"status", I},
          {"remote_address", T},
          {"count", I},
          {"detail", T}},
         "id",
         true},
        {"budgets",
         {{"id", I},
          {"name", T},
          {"scope", T},
          {"target", T},
          {"monthly_usd", R},
          {"cap_mode", T},
          {"created_at", I},
          {"updated_at", I},
          {"alerted", T}},
         "id",
         true},
    };
    return kTables;
}

std::string RenderDouble(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::string Hex(std::string_view bytes) {
    static const char* kDigits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += kDigits[c >> 4];
        out += kDigits[c & 15];
    }
    return out;
}

// One value as both sides render it for the digest (NULL is nullopt).
using Cell = std::optional<std::string>;

class Digester {
  public:
    void Row(const std::vector<Cell>& cells) {
        for (const Cell& cell : cells) {
            if (cell) {
                Add("v");
                Add(*cell);
            } else {
                Add("n");
            }
            Add("\x1f");
        }
        Add("\x1e");
        ++rows_;
    }
    TableDigest Finish(const std::string& table) const {
        char buf[20];
        std::snprintf(buf, sizeof buf, "%016" PRIx64, hash_);
        return TableDigest{table, rows_, buf};
    }

  private:
    void Add(std::string_view bytes) {
        for (unsigned char c : bytes) {
            hash_ ^= c;
            hash_ *= 0x100000001b3ULL;
        }
    }
    std::uint64_t hash_ = 0xcbf29ce484222325ULL;
    std::int64_t rows_ = 0;
};

// --- SQLite side -------------------------------------------------------------------------------------------------

struct SqliteStmt {
    std::unique_ptr<sqlite3_stmt, sqlite::StmtDeleter> stmt;
};

Result<SqliteStmt> SqlitePrepare(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
    SqliteStmt out{std::unique_ptr<sqlite3_stmt, sqlite::StmtDeleter>(raw)};
    if (rc != SQLITE_OK) return sqlite::SqliteError(db, rc, "reading the SQLite store");
    return out;
}

Cell SqliteCell(sqlite3_stmt* s, int col, ColumnType type) {
    if (sqlite3_column_type(s, col) == SQLITE_NULL) return std::nullopt;
    switch (type) {
        case ColumnType::kInt:
            return std::to_string(sqlite3_column_int64(s, col));
        case ColumnType::kReal:
            return RenderDouble(sqlite3_column_double(s, col));
        case ColumnType::kText: {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
            return std::string(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(s, col)));
        }
        case ColumnType::kBlob: {
            const void* p = sqlite3_column_blob(s, col);
            return Hex(p ? std::string_view(static_cast<const char*>(p),
                                            static_cast<std::size_t>(sqlite3_column_bytes(s, col)))
                         : std::string_view());
        }
    }
    return std::nullopt;
}

std::string SelectSql(const CopyTable& table) {
    std::string sql = "SELECT ";
    for (std::size_t i = 0; i < table.columns.size(); ++i) sql += (i ? ", " : "") + std::string(table.columns[i].name);
    return sql + " FROM " + table.name + " ORDER BY " + table.order_by;
}

// A read-only connection holding one read transaction, so every table is read from the same snapshot.
class SqliteSnapshot {
  public:
    static Result<std::unique_ptr<SqliteSnapshot>> Open(const std::string& path) {
        auto conn = sqlite::Connection::Open(path, true);
        if (!conn)
            return MakeError(conn.error().code, "cannot open the SQLite store " + path + ": " + conn.error().message);
        auto snapshot = std::unique_ptr<SqliteSnapshot>(new SqliteSnapshot(std::move(*conn)));
        if (Status s = snapshot->conn_->Exec("BEGIN"); !s) return s.error();
        auto version = snapshot->Version();
        if (!version)
            return MakeError(ErrorCode::kInvalidArgument,
                             path + " is not a cloudopt SQLite store: " + version.error().message);
        const auto known = static_cast<std::int64_t>(sqlite::kMigrations.size());
        if (*version != known)
            return MakeError(ErrorCode::kInvalidArgument,
                             "the SQLite store " + path + " has schema version " + std::to_string(*version) +
                                 "; this cloudopt copies version " + std::to_string(known) +
                                 (*version < known ? ": start this cloudopt on it once (cloudopt serve --data-dir ...; "
                                                     "it migrates at start), stop it, then copy"
                                                   : ": copy it with the cloudopt that wrote it"));
        // A table this copy does not know (added by a later SQLite migration) must be empty, or it would be lost.
        if (Status s = snapshot->UnknownTablesAreEmpty(path); !s) return s.error();
        return snapshot;
    }
    ~SqliteSnapshot() { (void)conn_->Exec("ROLLBACK"); }

    sqlite3* db() const { return conn_->raw(); }

    Status UnknownTablesAreEmpty(const std::string& path) {
        std::set<std::string> known = {"sample_chunks", "resource_id_high", "schema_version"};
        for (const CopyTable& t : CopyTables()) known.insert(t.name);
        auto s =
            SqlitePrepare(db(), "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
        if (!s) return s.error();
        std::vector<std::string> unknown;
        while (sqlite3_step(s->stmt.get()) == SQLITE_ROW) {
            const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(s->stmt.get(), 0));
            if (name && !known.count(name)) unknown.emplace_back(name);
        }
        for (const std::string& table : unknown) {
            auto count = SqlitePrepare(db(), "SELECT count(*) FROM \"" + table + "\"");
            if (!count) return count.error();
            if (sqlite3_step(count->stmt.get()) == SQLITE_ROW && sqlite3_column_int64(count->stmt.get(), 0) > 0)
                return MakeError(ErrorCode::kInvalidArgument,
                                 "the SQLite store " + path + " holds rows in table " + table +
                                     ", which this cloudopt's PostgreSQL store has no place for yet: nothing was "
                                     "copied (it would be lost)");
        }
        return Status::Ok();
    }

    Result<std::int64_t> Version() {
        auto s = SqlitePrepare(db(), "SELECT coalesce(max(version), 0) FROM schema_version");
        if (!s) return s.error();
        if (sqlite3_step(s->stmt.get()) != SQLITE_ROW)
            return sqlite::SqliteError(db(), sqlite3_errcode(db()), "reading schema_version");
        return sqlite3_column_int64(s->stmt.get(), 0);
    }

    // Calls fn(cells) for each row of the table in key order.
    template <typename F>
    Status ForEachRow(const CopyTable& table, F&& fn) {
        auto s = SqlitePrepare(db(), SelectSql(table));
        if (!s) return s.error();
        std::vector<Cell> cells(table.columns.size());
        int rc = 0;
        while ((rc = sqlite3_step(s->stmt.get())) == SQLITE_ROW) {
            for (std::size_t i = 0; i < cells.size(); ++i)
                cells[i] = SqliteCell(s->stmt.get(), static_cast<int>(i), table.columns[i].type);
            if (Status st = fn(cells); !st) return st;
        }
        if (rc != SQLITE_DONE) return sqlite::SqliteError(db(), rc, std::string("reading ") + table.name);
        return Status::Ok();
    }

    // Calls fn(series_id, sample) for every sample, ordered by series and time.
    template <typename F>
    Status ForEachSample(F&& fn) {
        auto s = SqlitePrepare(db(),
                               "SELECT series_id, chunk_start, data FROM sample_chunks ORDER BY series_id, "
                               "chunk_start");
        if (!s) return s.error();
        std::vector<Sample> samples;
        int rc = 0;
        while ((rc = sqlite3_step(s->stmt.get())) == SQLITE_ROW) {
            const std::int64_t series = sqlite3_column_int64(s->stmt.get(), 0);
            const std::int64_t start = sqlite3_column_int64(s->stmt.get(), 1);
            const void* p = sqlite3_column_blob(s->stmt.get(), 2);
            const std::string_view blob(static_cast<const char*>(p),
                                        p ? static_cast<std::size_t>(sqlite3_column_bytes(s->stmt.get(), 2)) : 0);
            samples.clear();
            if (Status st = DecodeChunk(start, blob, INT64_MIN, INT64_MAX, samples); !st)
                return MakeError(st.error().code, "series " + std::to_string(series) + ": " + st.error().message);
            for (const Sample& sample : samples) {
                if (Status st = fn(series, sample); !st) return st;
            }
        }
        if (rc != SQLITE_DONE) return sqlite::SqliteError(db(), rc, "reading sample_chunks");
        return Status::Ok();
    }

    // The id the next resource gets: above every id ever given (SQLite's resource_id_high, schema v8).
    Result<std::int64_t> NextResourceId() {
        auto s = SqlitePrepare(db(),
                               "SELECT max(coalesce((SELECT value FROM resource_id_high WHERE id = 1), 0), "
                               "coalesce((SELECT max(id) FROM resources), 0)) + 1");
        if (!s) return s.error();
        if (sqlite3_step(s->stmt.get()) != SQLITE_ROW)
            return sqlite::SqliteError(db(), sqlite3_errcode(db()), "reading resource_id_high");
        return sqlite3_column_int64(s->stmt.get(), 0);
    }

    std::set<std::int64_t> Weeks() {
        std::set<std::int64_t> weeks;
        auto s = SqlitePrepare(db(), "SELECT DISTINCT chunk_start FROM sample_chunks");
        if (!s) return weeks;
        while (sqlite3_step(s->stmt.get()) == SQLITE_ROW)
            weeks.insert(pg::PartitionOf(sqlite3_column_int64(s->stmt.get(), 0)));
        return weeks;
    }

  private:
    explicit SqliteSnapshot(std::unique_ptr<sqlite::Connection> conn) : conn_(std::move(conn)) {}
    std::unique_ptr<sqlite::Connection> conn_;
};

void SampleDigestRow(Digester& d, std::int64_t series, const Sample& s) {
    d.Row({std::to_string(series), std::to_string(s.ts), RenderDouble(s.value)});
}

Result<std::vector<TableDigest>> DigestSnapshot(SqliteSnapshot& snapshot) {
    std::vector<TableDigest> out;
    for (const CopyTable& table : CopyTables()) {
        Digester d;
        if (Status s = snapshot.ForEachRow(table,
                                           [&](const std::vector<Cell>& cells) {
                                               d.Row(cells);
                                               return Status::Ok();
                                           });
            !s)
            return s.error();
        out.push_back(d.Finish(table.name));
    }
    Digester samples;
    if (Status s = snapshot.ForEachSample([&](std::int64_t series, const Sample& sample) {
            SampleDigestRow(samples, series, sample);
            return Status::Ok();
        });
        !s)
        return s.error();
    out.push_back(samples.Finish("samples"));
    auto next = snapshot.NextResourceId();
    if (!next) return next.error();
    Digester ids;
    ids.Row({std::to_string(*next)});
    out.push_back(ids.Finish("next_resource_id"));
    return out;
}

// libpqxx 6 streams tuples only: a row of `cells` as a tuple of as many optional strings.
template <std::size_t N = 1>
void WriteCells(pqxx::stream_to& out, const std::vector<Cell>& cells) {
    if constexpr (N > 24) {
        throw std::logic_error("a table with more than 24 columns to copy");
    } else {
        if (cells.size() != N) return WriteCells<N + 1>(out, cells);
        [&]<std::size_t... I>(std::index_sequence<I...>) { out << std::make_tuple(cells[I]...); }
        (std::make_index_sequence<N>{});
    }
}

// --- PostgreSQL side ---------------------------------------------------------------------------------------------

Cell PgCell(const pqxx::field& f, ColumnType type) {
    if (f.is_null()) return std::nullopt;
    switch (type) {
        case ColumnType::kInt:
            return std::to_string(f.as<std::int64_t>());
        case ColumnType::kReal:
            return RenderDouble(f.as<double>());
        case ColumnType::kText:
            return f.as<std::string>();
        case ColumnType::kBlob:
            return Hex(pqxx::binarystring(f).str());
    }
    return std::nullopt;
}

std::vector<TableDigest> DigestPostgres(pqxx::work& tx) {
    std::vector<TableDigest> out;
    for (const CopyTable& table : CopyTables()) {
        Digester d;
        std::string sql = SelectSql(table);
        // Text keys in byte order, as SQLite's BINARY collation sorts them.
        if (std::string(table.name) == "models")
            sql = sql.substr(0, sql.rfind("ORDER BY")) + "ORDER BY resource_id, metric COLLATE \"C\"";
        std::vector<Cell> cells(table.columns.size());
        for (const auto& row : tx.exec(sql)) {
            for (std::size_t i = 0; i < cells.size(); ++i)
                cells[i] = PgCell(row[static_cast<int>(i)], table.columns[i].type);
            d.Row(cells);
        }
        out.push_back(d.Finish(table.name));
    }
    Digester samples;
    for (const auto& row : tx.exec("SELECT series_id, ts, value FROM samples ORDER BY series_id, ts"))
        SampleDigestRow(samples, row[0].as<std::int64_t>(), Sample{row[1].as<std::int64_t>(), row[2].as<double>()});
    out.push_back(samples.Finish("samples"));
    const pqxx::row seq = tx.exec1("SELECT last_value, is_called FROM resources_id_seq");
    Digester ids;
    ids.Row({std::to_string(seq[0].as<std::int64_t>() + (seq[1].as<bool>() ? 1 : 0))});
    out.push_back(ids.Finish("next_resource_id"));
    return out;
}

std::string DescribeMismatch(const std::vector<TableDigest>& from, const std::vector<TableDigest>& to) {
    std::string out;
    for (std::size_t i = 0; i < from.size() && i < to.size(); ++i) {
        if (from[i] == to[i]) continue;
        out += (out.empty() ? "" : "; ") + from[i].table + ": " + std::to_string(from[i].rows) + " rows (" +
               from[i].checksum + ") in SQLite, " + std::to_string(to[i].rows) + " rows (" + to[i].checksum +
               ") in PostgreSQL";
    }
    return out;
}

}  // namespace

Result<std::vector<TableDigest>> DigestSqliteStore(const std::string& db_path) {
    auto snapshot = SqliteSnapshot::Open(db_path);
    if (!snapshot) return snapshot.error();
    return DigestSnapshot(**snapshot);
}

Result<std::vector<TableDigest>> DigestPostgresStore(const PostgresOptions& options) {
    auto settings = pg::MakeConnSettings(options.url, options.password);
    if (!settings) return settings.error();
    auto conn = pg::Connect(*settings);
    if (!conn) return conn.error();
    try {
        pqxx::work tx(**conn, "digest");
        return DigestPostgres(tx);
    } catch (const std::exception& e) {
        return pg::ErrorFromException(e, "reading " + settings->display);
    }
}

Result<std::vector<TableDigest>> CopySqliteToPostgres(const std::string& db_path, const PostgresOptions& to) {
    auto snapshot = SqliteSnapshot::Open(db_path);
    if (!snapshot) return snapshot.error();
    auto source = DigestSnapshot(**snapshot);
    if (!source) return source.error();
    auto migrated = MigratePostgres(to);
    if (!migrated) return migrated.error();
    auto settings = pg::MakeConnSettings(to.url, to.password);
    if (!settings) return settings.error();
    auto conn = pg::Connect(*settings);
    if (!conn) return conn.error();
    try {
        pqxx::work tx(**conn, "copy");
        // Only into an empty store: merging two installations would clash on ids and names.
        std::string holding;
        for (const CopyTable& table : CopyTables()) {
            const auto rows = tx.exec(std::string("SELECT count(*) FROM ") + table.name)[0][0].as<std::int64_t>();
            if (rows > 0) holding += (holding.empty() ? "" : ", ") + std::to_string(rows) + " in " + table.name;
        }
        if (tx.exec("SELECT 1 FROM samples LIMIT 1").size() > 0)
            holding += (holding.empty() ? "" : ", ") + std::string("samples");
        if (!holding.empty())
            return MakeError(ErrorCode::kConflict, "the database at " + settings->display + " already holds data (" +
                                                       holding +
                                                       "); copy only into an empty database (create a new one)");
        for (const CopyTable& table : CopyTables()) {
            std::vector<std::string> columns;
            for (const CopyColumn& c : table.columns) columns.emplace_back(c.name);
            pqxx::stream_to out(tx, table.name, columns);
            std::vector<Cell> row(columns.size());
            Status st = (*snapshot)->ForEachRow(table, [&](const std::vector<Cell>& cells) {
                for (std::size_t i = 0; i < cells.size(); ++i) {
                    // COPY's text form of bytea is \x and hex digits; the digest renders blobs as bare hex.
                    row[i] = cells[i] && table.columns[i].type == ColumnType::kBlob ? "\\x" + *cells[i] : cells[i];
                }
                WriteCells(out, row);
                return Status::Ok();
            });
            out.complete();
            if (!st) return st.error();
        }
        pg::CreatePartitions(tx, (*snapshot)->Weeks());
        {
            pqxx::stream_to out(tx, "samples", std::vector<std::string>{"series_id", "ts", "value"});
            Status st = (*snapshot)->ForEachSample([&](std::int64_t series, const Sample& s) {
                out << std::make_tuple(series, s.ts, RenderDouble(s.value));
                return Status::Ok();
            });
            out.complete();
            if (!st) return st.error();
        }
        // The sequences continue after the copied ids; resources after every id SQLite ever gave.
        auto next = (*snapshot)->NextResourceId();
        if (!next) return next.error();
        for (const CopyTable& table : CopyTables()) {
            if (!table.serial_id) continue;
            const std::string name = table.name;
            tx.exec("SELECT setval(pg_get_serial_sequence('" + name + "', 'id'), greatest(coalesce(max(id), 0), " +
                    (name == "resources" ? std::to_string(*next - 1) : std::string("0")) + ", 1), greatest(coalesce(" +
                    "max(id), 0), " + (name == "resources" ? std::to_string(*next - 1) : std::string("0")) +
                    ") > 0) FROM " + name);
        }
        const std::vector<TableDigest> copied = DigestPostgres(tx);
        if (copied != *source)
            return MakeError(ErrorCode::kInternal, "the copy differs from the SQLite store (" +
                                                       DescribeMismatch(*source, copied) + "); nothing was committed");
        tx.commit();
        return copied;
    } catch (const std::exception& e) {
        return pg::ErrorFromException(e, "copying into " + settings->display + " (nothing was committed)");
    }
}

}  // namespace cloudopt
