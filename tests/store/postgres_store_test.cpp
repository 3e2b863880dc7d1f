// What only the PostgreSQL store has: migrations under an advisory lock, the schema-version refusal, weekly sample
// partitions, synchronous commit on every connection, and errors that say what to check. The Store behaviour itself
// is tests/store/store_test.cpp, run for every backend.

#include "store/postgres/postgres_store.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "store/postgres/connection.hpp"
#include "support/postgres_server.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

class PostgresStore : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!server_.available()) GTEST_SKIP() << "PostgreSQL unavailable: " << server_.why();
        url_ = server_.FreshDatabase();
        ASSERT_FALSE(url_.empty());
        database_ = url_.substr(url_.rfind('/') + 1);
    }
    PostgresOptions Options() const { return {url_, server_.password()}; }
    std::string Query(const std::string& sql) {
        std::string value;
        const std::string error = server_.Exec(database_, sql, &value);
        EXPECT_TRUE(error.empty()) << sql << ": " << error;
        return value;
    }
    Resource MakeResource(Store& store, const std::string& name) {
        Resource r;
        r.name = name;
        r.provider = "aws";
        r.provider_ref = "asg-" + name;
        r.instance_type = "m5.large";
        auto created = store.CreateResource(r);
        EXPECT_TRUE(created.ok()) << created.error().message;
        return created.ok() ? *created : r;
    }

    testing::PostgresServer& server_ = testing::PostgresServer::Shared();
    std::string url_;
    std::string database_;
    ManualClock clock_{1'700'000'000};
};

TEST_F(PostgresStore, ReplicasStartingTogetherMigrateOnce) {
    constexpr int kMigrators = 6;
    std::vector<Result<MigrationReport>> reports(kMigrators, MakeError(ErrorCode::kInternal, "not run"));
    std::vector<std::thread> threads;
    for (int i = 0; i < kMigrators; ++i) threads.emplace_back([&, i] { reports[i] = MigratePostgres(Options()); });
    for (auto& t : threads) t.join();
    int from_empty = 0;
    for (const auto& r : reports) {
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_EQ(r->to, PostgresSchemaVersion());
        from_empty += r->from == 0 ? 1 : 0;
    }
    EXPECT_EQ(from_empty, 1) << "one migrator did the work; the others waited for its lock and found nothing to do";
    EXPECT_EQ(Query("SELECT count(*) FROM schema_version"), std::to_string(PostgresSchemaVersion()));
    // Stores opening together on the migrated database, and a second migration, change nothing.
    std::vector<Result<std::unique_ptr<Store>>> stores;
    stores.reserve(3);
    for (int i = 0; i < 3; ++i) stores.push_back(OpenPostgresStore(Options(), clock_));
    for (const auto& s : stores) ASSERT_TRUE(s.ok()) << s.error().message;
    auto again = MigratePostgres(Options());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->from, again->to);
}

TEST_F(PostgresStore, RefusesASchemaNewerThanItKnows) {
    auto store = OpenPostgresStore(Options(), clock_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    ASSERT_TRUE((*store)->CheckHealth().ok());
    // A newer cloudopt migrated the database further while this one runs: readiness says so.
    Query("INSERT INTO schema_version (version) VALUES (99)");
    Status health = (*store)->CheckHealth();
    ASSERT_FALSE(health.ok());
    EXPECT_NE(health.error().message.find("newer than this cloudopt knows"), std::string::npos)
        << health.error().message;
    // And it refuses to start on it, or to migrate it.
    auto refused = OpenPostgresStore(Options(), clock_);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("schema version 99, newer than this cloudopt knows"), std::string::npos)
        << refused.error().message;
    auto migrate = MigratePostgres(Options());
    ASSERT_FALSE(migrate.ok());
    EXPECT_NE(migrate.error().message.find("newer"), std::string::npos);
}

TEST_F(PostgresStore, AnOlderSchemaIsMigratedOrRefusedWhenMigrationIsOff) {
    Query("CREATE TABLE schema_version (version BIGINT NOT NULL)");  // an empty database a migration started on
    PostgresOptions options = Options();
    options.migrate = false;
    auto refused = OpenPostgresStore(options, clock_);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("cloudopt db migrate"), std::string::npos) << refused.error().message;
    options.migrate = true;
    ASSERT_TRUE(OpenPostgresStore(options, clock_).ok());
}

TEST_F(PostgresStore, SamplesLiveInWeeklyPartitionsThatRetentionDrops) {
    auto store = OpenPostgresStore(Options(), clock_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    Resource r = MakeResource(**store, "web");
    constexpr UnixSeconds kWeek = 7 * 86400;
    const UnixSeconds base = 2810 * kWeek;
    SeriesSamples s{{r.id, "cpu"}, {}};
    for (int day = 0; day < 21; ++day) s.samples.push_back({base + day * 86400, static_cast<double>(day)});
    ASSERT_TRUE((*store)->AppendSamples({&s, 1}).ok());
    EXPECT_EQ(Query("SELECT count(*) FROM pg_inherits WHERE inhparent = 'samples'::regclass"), "3");
    EXPECT_EQ(Query("SELECT count(*) FROM samples_w2811"), "7");
    EXPECT_EQ(Query("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'samples_w2810'"),
              "FOR VALUES FROM ('" + std::to_string(base) + "') TO ('" + std::to_string(base + kWeek) + "')");
    auto dropped = (*store)->PruneSamples(base + 2 * kWeek + 86400);
    ASSERT_TRUE(dropped.ok()) << dropped.error().message;
    EXPECT_EQ(*dropped, 2);
    EXPECT_EQ(Query("SELECT string_agg(c.relname, ',') FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = 'samples'::regclass"),
              "samples_w2812");
    EXPECT_EQ((*store)->QuerySamples({r.id, "cpu"}, 0, INT64_MAX)->size(), 7u);
}

TEST_F(PostgresStore, EveryConnectionCommitsSynchronously) {
    // Whatever the database's or the URL's default, an acknowledged write is committed and flushed.
    Query("ALTER DATABASE " + database_ + " SET synchronous_commit = off");
    auto settings = pg::MakeConnSettings(url_ + "?options=-c%20synchronous_commit%3Doff", server_.password());
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    auto conn = pg::Connect(*settings);
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    pqxx::nontransaction tx(**conn);
    EXPECT_EQ(tx.exec1("SHOW synchronous_commit")[0].as<std::string>(), "on");
    EXPECT_EQ(settings->conninfo.find(server_.password()) == std::string::npos, false);
    EXPECT_EQ(settings->display.find(server_.password()), std::string::npos) << "messages never show the password";
}

TEST_F(PostgresStore, ErrorsSayWhatToCheck) {
    auto scheme = OpenPostgresStore({"mysql://db/x", ""}, clock_);
    ASSERT_FALSE(scheme.ok());
    EXPECT_NE(scheme.error().message.find("must start with postgres://"), std::string::npos);
    auto malformed = OpenPostgresStore({"postgres://h/db?nonsense=1", ""}, clock_);
    ASSERT_FALSE(malformed.ok());
    EXPECT_NE(malformed.error().message.find("not a valid PostgreSQL URL"), std::string::npos)
        << malformed.error().message;
    const std::string closed = "postgres://u@127.0.0.1:" + std::to_string(testing::FreePort()) + "/x";
    auto unreachable = OpenPostgresStore({closed, "pw"}, clock_);
    ASSERT_FALSE(unreachable.ok());
    EXPECT_EQ(unreachable.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(unreachable.error().message.find("cannot connect to PostgreSQL at " + closed), std::string::npos)
        << unreachable.error().message;
    EXPECT_NE(unreachable.error().message.find("Check store.url"), std::string::npos);
    auto wrong_password = OpenPostgresStore({url_, "not-the-password"}, clock_);
    ASSERT_FALSE(wrong_password.ok());
    EXPECT_NE(wrong_password.error().message.find("password authentication failed"), std::string::npos)
        << wrong_password.error().message;
    auto no_database = OpenPostgresStore({url_ + "_missing", server_.password()}, clock_);
    ASSERT_FALSE(no_database.ok());
    EXPECT_NE(no_database.error().message.find("does not exist"), std::string::npos) << no_database.error().message;
    EXPECT_EQ(pg::RedactUrl("postgres://me:secret@db:5432/x"), "postgres://me:***@db:5432/x");
}

}  // namespace
}  // namespace cloudopt
