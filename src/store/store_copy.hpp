#pragma once
// Moving an installation from SQLite to PostgreSQL (`cloudopt db copy`, docs/DEPLOYMENT.md), and the table
// digests that prove nothing was lost: per table, the row count and a checksum of every row, rendered the same way
// from either backend (samples as one row per sample: SQLite keeps them in hourly chunks, PostgreSQL one a row).

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "store/postgres/postgres_store.hpp"

namespace cloudopt {

struct TableDigest {
    std::string table;
    std::int64_t rows = 0;
    std::string checksum;  // 64-bit FNV-1a of the rows in key order, hex

    bool operator==(const TableDigest&) const = default;
};

// Digests of the SQLite store at `db_path` (read-only, one consistent snapshot) and of a PostgreSQL store.
Result<std::vector<TableDigest>> DigestSqliteStore(const std::string& db_path);
Result<std::vector<TableDigest>> DigestPostgresStore(const PostgresOptions& options);

// Copies every table of the SQLite store at `db_path` into the PostgreSQL database (migrated first), keeping ids,
// in one transaction: the target must hold no data, and the copy commits only when the digests of both sides agree.
// Stop the service that writes the SQLite store first: what it writes after the snapshot is not copied.
Result<std::vector<TableDigest>> CopySqliteToPostgres(const std::string& db_path, const PostgresOptions& to);

}  // namespace cloudopt
