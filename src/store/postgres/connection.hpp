#pragma once
// PostgreSQL connections for the store: the connection string built from a URL and a password, a bounded pool that
// opens connections on demand and drops broken ones (so the store recovers by itself when the database comes
// back), and one way to run a transaction that turns libpqxx's exceptions into our errors.
//
// Thread-safety: the pool may be used from any thread; a connection is used by one thread at a time.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace cloudopt::pg {

// What a connection is opened with. `conninfo` holds the password; `display` never does (for messages and logs).
struct ConnSettings {
    std::string conninfo;
    std::string display;
};

// Parses a postgres:// or postgresql:// URL (libpq's own parser), adds `password` when given, and sets what every
// store connection needs: synchronous_commit on (an acknowledged write is committed and flushed), a connect timeout
// and TCP keepalives (an unreachable server is an error within seconds, not a hang), the application name.
Result<ConnSettings> MakeConnSettings(const std::string& url, const std::string& password);

// The URL without its password, for messages.
std::string RedactUrl(const std::string& url);

// Opens one connection; the error says what to check.
Result<std::unique_ptr<pqxx::connection>> Connect(const ConnSettings& settings);

// A pqxx or standard exception as our error: a lost connection is kUnavailable, a unique or check constraint
// kConflict, a foreign key kNotFound, anything else kInternal. `what` names the operation.
Error ErrorFromException(const std::exception& e, std::string_view what);

// The SQL text of a bigint array literal ("{1,2,3}") for `= ANY($1::bigint[])`.
std::string BigintArray(const std::vector<std::int64_t>& values);

class Pool {
  public:
    Pool(ConnSettings settings, int max_connections) : settings_(std::move(settings)), max_(max_connections) {}
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    const ConnSettings& settings() const { return settings_; }

    // Runs fn(pqxx::work&) in one transaction and commits when it returns ok; a failed fn or an exception rolls
    // everything back. A connection found broken before anything was committed is replaced and the transaction
    // tried once more; serialization failures and deadlocks are retried a few times. fn returns Status or Result<T>.
    template <typename F>
    auto Transact(std::string_view what, F&& fn) -> decltype(fn(std::declval<pqxx::work&>())) {
        using R = decltype(fn(std::declval<pqxx::work&>()));
        constexpr int kAttempts = 4;
        for (int attempt = 1;; ++attempt) {
            auto borrowed = Borrow();
            if (!borrowed) return R(borrowed.error());
            std::unique_ptr<pqxx::connection> conn = std::move(*borrowed);
            bool retry = false;
            bool broken = false;
            std::optional<Error> error;
            try {
                pqxx::work tx(*conn);
                R out = fn(tx);
                if (out.ok()) tx.commit();  // else the transaction rolls back as it goes out of scope
                Return(std::move(conn), false);
                return out;
            } catch (const pqxx::in_doubt_error& e) {
                broken = true;
                error = MakeError(ErrorCode::kUnavailable,
                                  std::string(what) +
                                      ": the connection to PostgreSQL was lost while committing, so whether it was "
                                      "stored is unknown: " +
                                      e.what());
            } catch (const pqxx::broken_connection& e) {
                broken = true;
                retry = attempt < 2;  // nothing was committed: a connection that broke while idle is replaced
                error = ErrorFromException(e, what);
            } catch (const pqxx::serialization_failure& e) {
                retry = attempt < kAttempts;
                error = ErrorFromException(e, what);
            } catch (const pqxx::deadlock_detected& e) {
                retry = attempt < kAttempts;
                error = ErrorFromException(e, what);
            } catch (const std::exception& e) {
                error = ErrorFromException(e, what);
            }
            Return(std::move(conn), broken);
            if (!retry) return R(std::move(*error));
        }
    }

    // Runs fn(pqxx::transaction_base&) for one read-only statement in autocommit (pqxx::nontransaction): one round
    // trip instead of BEGIN, the statement and COMMIT. Only for reads of one statement (each statement sees its own
    // snapshot). A connection found broken is replaced and the read tried once more.
    template <typename F>
    auto Read(std::string_view what, F&& fn) -> decltype(fn(std::declval<pqxx::transaction_base&>())) {
        using R = decltype(fn(std::declval<pqxx::transaction_base&>()));
        for (int attempt = 1;; ++attempt) {
            auto borrowed = Borrow();
            if (!borrowed) return R(borrowed.error());
            std::unique_ptr<pqxx::connection> conn = std::move(*borrowed);
            bool broken = false;
            std::optional<Error> error;
            try {
                pqxx::nontransaction tx(*conn);
                R out = fn(tx);
                tx.commit();  // ends the pqxx object; nothing is sent
                Return(std::move(conn), false);
                return out;
            } catch (const pqxx::broken_connection& e) {
                broken = true;
                error = ErrorFromException(e, what);
            } catch (const std::exception& e) {
                error = ErrorFromException(e, what);
            }
            Return(std::move(conn), broken);
            if (!broken || attempt >= 2) return R(std::move(*error));
        }
    }

    // A cheap round trip on a pooled connection (readiness).
    Status Ping();

  private:
    Result<std::unique_ptr<pqxx::connection>> Borrow();
    // Back to the pool, or closed when it is broken.
    void Return(std::unique_ptr<pqxx::connection> conn, bool broken);

    ConnSettings settings_;
    const int max_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<pqxx::connection>> idle_;  // guarded by mutex_
    int open_ = 0;                                         // idle, lent out or connecting; guarded by mutex_
};

}  // namespace cloudopt::pg
