#include "store/postgres/connection.hpp"

#include <libpq-fe.h>

#include <map>

#if defined(__SANITIZE_ADDRESS__)
// libpqxx 6.4 leaks the PGresult of a statement that fails on a lost connection (a few kB each time the database
// goes away, inside the library); LeakSanitizer in the debug build is told so, and nothing else.
extern "C" const char* __lsan_default_suppressions() { return "leak:libpqxx-6.4.so\n"; }
#endif

namespace cloudopt::pg {

namespace {

constexpr auto kBorrowTimeout = std::chrono::seconds(30);

// Quotes a value for a key=value connection string.
std::string ConninfoValue(const std::string& value) {
    std::string out = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

bool IsPostgresUrl(const std::string& url) {
    return url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0;
}

}  // namespace

std::string RedactUrl(const std::string& url) {
    // postgres://user:secret@host/db -> postgres://user:***@host/db
    const std::size_t scheme = url.find("://");
    if (scheme == std::string::npos) return url;
    const std::size_t at = url.find('@', scheme + 3);
    const std::size_t slash = url.find('/', scheme + 3);
    if (at == std::string::npos || (slash != std::string::npos && slash < at)) return url;
    const std::size_t colon = url.find(':', scheme + 3);
    if (colon == std::string::npos || colon > at) return url;
    return url.substr(0, colon + 1) + "***" + url.substr(at);
}

Result<ConnSettings> MakeConnSettings(const std::string& url, const std::string& password) {
    const std::string shown = RedactUrl(url);
    if (!IsPostgresUrl(url))
        return MakeError(ErrorCode::kInvalidArgument, "store URL '" + shown +
                                                          "' must start with postgres:// or postgresql:// (e.g. "
                                                          "postgres://cloudopt@db.example.com:5432/cloudopt)");
    char* parse_error = nullptr;
    PQconninfoOption* options = PQconninfoParse(url.c_str(), &parse_error);
    if (!options) {
        std::string why = parse_error ? parse_error : "out of memory";
        PQfreemem(parse_error);
        while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
        return MakeError(ErrorCode::kInvalidArgument,
                         "store URL '" + shown + "' is not a valid PostgreSQL URL: " + why);
    }
    std::map<std::string, std::string> values;
    for (PQconninfoOption* o = options; o->keyword; ++o) {
        if (o->val && *o->val) values[o->keyword] = o->val;
    }
    PQconninfoFree(options);
    if (!password.empty()) values["password"] = password;
    // Defaults a URL may override: an unreachable server is an error within seconds, a silent peer within ~15 s.
    values.try_emplace("connect_timeout", "5");
    values.try_emplace("keepalives", "1");
    values.try_emplace("keepalives_idle", "5");
    values.try_emplace("keepalives_interval", "2");
    values.try_emplace("keepalives_count", "3");
    values.try_emplace("tcp_user_timeout", "15000");
    values.try_emplace("application_name", "cloudopt");
    // Not overridable: a write is acknowledged only once it is committed and flushed (issue 31), and notices (a
    // NOTICE per IF NOT EXISTS) do not go to stderr.
    std::string options_value = values.count("options") ? values["options"] + " " : "";
    options_value += "-c synchronous_commit=on -c client_min_messages=warning";
    values["options"] = options_value;
    ConnSettings settings;
    for (const auto& [key, value] : values) settings.conninfo += key + "=" + ConninfoValue(value) + " ";
    settings.display = shown;
    return settings;
}

Result<std::unique_ptr<pqxx::connection>> Connect(const ConnSettings& settings) {
    try {
        return std::make_unique<pqxx::connection>(settings.conninfo);
    } catch (const std::exception& e) {
        std::string why = e.what();
        while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
        return MakeError(ErrorCode::kUnavailable,
                         "cannot connect to PostgreSQL at " + settings.display + ": " + why +
                             ". Check store.url (or --store): host, port and database name; that PostgreSQL runs "
                             "and accepts connections from this host; and the password (CLOUDOPT_STORE_PASSWORD)");
    }
}

Error ErrorFromException(const std::exception& e, std::string_view what) {
    std::string why = e.what();
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    const std::string message = std::string(what) + ": " + why;
    if (dynamic_cast<const pqxx::broken_connection*>(&e))
        return MakeError(ErrorCode::kUnavailable, std::string(what) + ": the database is unreachable (" + why +
                                                      "); cloudopt reconnects when it is back");
    if (dynamic_cast<const pqxx::unique_violation*>(&e) || dynamic_cast<const pqxx::check_violation*>(&e))
        return MakeError(ErrorCode::kConflict, message);
    if (dynamic_cast<const pqxx::foreign_key_violation*>(&e)) return MakeError(ErrorCode::kNotFound, message);
    if (dynamic_cast<const pqxx::serialization_failure*>(&e) || dynamic_cast<const pqxx::deadlock_detected*>(&e))
        return MakeError(ErrorCode::kUnavailable, message + " (database busy; retry)");
    if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
        // Class 08: connection exception; 57P01..57P03: the server is shutting down or starting.
        const std::string& state = sql->sqlstate();
        if (state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0)
            return MakeError(ErrorCode::kUnavailable, std::string(what) + ": the database cannot serve now (" + why +
                                                          "); cloudopt reconnects when it is back");
        if (state == "53100") return MakeError(ErrorCode::kUnavailable, message + " (database disk full)");
    }
    return MakeError(ErrorCode::kInternal, message);
}

std::string BigintArray(const std::vector<std::int64_t>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';  // appended apart: g++ 12 -O2 warns -Wrestrict on "," + std::string
        out += std::to_string(values[i]);
    }
    return out + "}";
}

Result<std::unique_ptr<pqxx::connection>> Pool::Borrow() {
    {
        std::unique_lock lock(mutex_);
        const bool ready = cv_.wait_for(lock, kBorrowTimeout, [&] { return !idle_.empty() || open_ < max_; });
        if (!ready)
            return MakeError(ErrorCode::kUnavailable, "all " + std::to_string(max_) +
                                                          " connections to PostgreSQL stayed busy for 30 s; the "
                                                          "database is slow or unreachable");
        if (!idle_.empty()) {
            std::unique_ptr<pqxx::connection> conn = std::move(idle_.back());
            idle_.pop_back();
            return conn;
        }
        ++open_;  // a place for the connection opened below, outside the lock
    }
    auto conn = Connect(settings_);
    if (!conn) {
        std::lock_guard lock(mutex_);
        --open_;
        cv_.notify_one();
    }
    return conn;
}

void Pool::Return(std::unique_ptr<pqxx::connection> conn, bool broken) {
    std::lock_guard lock(mutex_);
    if (conn && !broken && conn->is_open()) {
        idle_.push_back(std::move(conn));
    } else {
        --open_;
        conn.reset();
    }
    cv_.notify_one();
}

Status Pool::Ping() {
    return Transact("readiness check", [](pqxx::work& tx) -> Status {
        tx.exec("SELECT 1");
        return Status::Ok();
    });
}

}  // namespace cloudopt::pg
