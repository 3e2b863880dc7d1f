// cloudopt on PostgreSQL, black-box: serve with --store and the password from CLOUDOPT_STORE_PASSWORD, readiness
// that follows the database (down: /readyz 503 and the API 503 with an error body, no crash; back: recovered),
// refusals at start that say what to check, `db migrate`, and `db copy` from SQLite losing nothing.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "store/postgres/postgres_store.hpp"
#include "store/store_copy.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/postgres_server.hpp"
#include "support/service.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

using nlohmann::json;

class PostgresApp : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!server_.available()) GTEST_SKIP() << "PostgreSQL unavailable: " << server_.why();
        setenv("CLOUDOPT_ADMIN_PASSWORD", testing::kTestAdminPassword, 1);
        setenv("CLOUDOPT_STORE_PASSWORD", server_.password().c_str(), 1);
        url_ = server_.FreshDatabase();
        ASSERT_FALSE(url_.empty());
    }
    void TearDown() override {
        server_.Start();  // whatever a test stopped
        unsetenv("CLOUDOPT_STORE_PASSWORD");
    }
    std::string Database() const { return url_.substr(url_.rfind('/') + 1); }

    testing::PostgresServer& server_ = testing::PostgresServer::Shared();
    testing::TempDir dir_;
    std::string url_;
};

TEST_F(PostgresApp, ServesFromPostgresAndItsReadinessFollowsTheDatabase) {
    const unsigned short port = testing::FreePort();
    testing::ChildProcess serve({CLOUDOPT_BINARY, "serve", "--demo", "--speed", "1", "--port", std::to_string(port),
                                 "--data-dir", dir_.File("data"), "--store", url_},
                                dir_.File("serve.log"));
    ASSERT_TRUE(serve.started());
    ASSERT_TRUE(testing::WaitHealthy(port)) << testing::ReadFile(dir_.File("serve.log"));
    ASSERT_EQ(testing::PollFor(port, "/readyz", 200, 60).status, 200) << testing::ReadFile(dir_.File("serve.log"));
    EXPECT_NE(testing::ReadFile(dir_.File("serve.log")).find("store: PostgreSQL at " + url_), std::string::npos);
    const std::string bearer = testing::LoginBearer(port);
    ASSERT_FALSE(bearer.empty());
    auto resources = testing::PollFor(port, "/api/resources", 200, 10, bearer);
    ASSERT_EQ(resources.status, 200) << resources.body;
    EXPECT_EQ(json::parse(resources.body)["resources"].size(), 4u) << "the demo's resources, in PostgreSQL";
    std::string stored;
    ASSERT_EQ(server_.Exec(Database(), "SELECT count(*) FROM samples", &stored), "");
    EXPECT_GT(std::stoll(stored), 1000) << "the demo's week of history went to the partitioned samples table";

    // The database goes away: the service stays up, says it is not ready, and the API answers 503 with a reason.
    ASSERT_TRUE(server_.Stop());
    auto down = testing::PollFor(port, "/readyz", 503, 30);
    ASSERT_EQ(down.status, 503) << down.body;
    const json why = json::parse(down.body);
    EXPECT_EQ(why["status"], "unavailable");
    const std::string store_problem = why["store"].get<std::string>();
    EXPECT_TRUE(store_problem.find("cannot connect to PostgreSQL") != std::string::npos ||
                store_problem.find("the database is unreachable") != std::string::npos)
        << down.body;
    auto api = testing::PollFor(port, "/api/resources", 503, 10, bearer);
    ASSERT_EQ(api.status, 503) << api.body;
    const json error = json::parse(api.body);
    EXPECT_EQ(error["error"]["code"], "unavailable") << api.body;
    EXPECT_FALSE(error["error"]["message"].get<std::string>().empty());
    {
        testing::HttpClient c(port);
        EXPECT_EQ(c.Get("/healthz").status, 200) << "alive, only not ready";
    }

    // It comes back: ready again, the API serves, nothing restarted.
    ASSERT_TRUE(server_.Start()) << server_.why();
    auto up = testing::PollFor(port, "/readyz", 200, 60);
    ASSERT_EQ(up.status, 200) << up.body;
    auto again = testing::PollFor(port, "/api/resources", 200, 30, bearer);
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(json::parse(again.body)["resources"].size(), 4u);
    serve.Signal(SIGTERM);
    EXPECT_EQ(serve.Wait(), 0) << testing::ReadFile(dir_.File("serve.log"));
}

TEST_F(PostgresApp, RefusesToStartOnWhatItCannotUseAndSaysWhatToCheck) {
    const std::string port = std::to_string(testing::FreePort());
    const std::string closed = "postgres://cloudopt@127.0.0.1:" + std::to_string(testing::FreePort()) + "/x";
    auto serve = [&](const std::string& store, const std::string& log) {
        return testing::RunToExit(
            {CLOUDOPT_BINARY, "serve", "--port", port, "--data-dir", dir_.File("data"), "--store", store},
            dir_.File(log));
    };
    EXPECT_EQ(serve(closed, "closed.log"), 1);
    const std::string closed_log = testing::ReadFile(dir_.File("closed.log"));
    EXPECT_NE(closed_log.find("cannot connect to PostgreSQL at " + closed), std::string::npos) << closed_log;
    EXPECT_NE(closed_log.find("Check store.url"), std::string::npos) << closed_log;

    EXPECT_EQ(serve("mysql://db/x", "scheme.log"), 2);
    EXPECT_NE(testing::ReadFile(dir_.File("scheme.log")).find("store.url: must start with postgres://"),
              std::string::npos)
        << testing::ReadFile(dir_.File("scheme.log"));

    setenv("CLOUDOPT_STORE_PASSWORD", "wrong", 1);
    EXPECT_EQ(serve(url_, "password.log"), 1);
    EXPECT_NE(testing::ReadFile(dir_.File("password.log")).find("password authentication failed"), std::string::npos)
        << testing::ReadFile(dir_.File("password.log"));
    setenv("CLOUDOPT_STORE_PASSWORD", server_.password().c_str(), 1);

    // A schema from a newer cloudopt: neither serve nor db migrate touch it.
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "db", "migrate", "--store", url_}, dir_.File("migrate.log")), 0)
        << testing::ReadFile(dir_.File("migrate.log"));
    EXPECT_NE(testing::ReadFile(dir_.File("migrate.log")).find("migrated from schema version 0 to"), std::string::npos);
    ASSERT_EQ(server_.Exec(Database(), "INSERT INTO schema_version (version) VALUES (99)"), "");
    EXPECT_EQ(serve(url_, "newer.log"), 1);
    EXPECT_NE(testing::ReadFile(dir_.File("newer.log")).find("newer than this cloudopt knows"), std::string::npos)
        << testing::ReadFile(dir_.File("newer.log"));
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "db", "migrate", "--store", url_}, dir_.File("migrate2.log")), 1);
    EXPECT_NE(testing::ReadFile(dir_.File("migrate2.log")).find("newer than this cloudopt knows"), std::string::npos);
}

// A SQLite installation with something in every table.
ResourceId FillSqliteStore(const std::string& path, std::string& model_bytes) {
    ManualClock clock(1'700'000'000);
    auto opened = OpenSqliteStore(path, clock);
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    Store& store = **opened;
    std::vector<Resource> made;
    for (const char* name : {"web", "api", "gone"}) {
        Resource r;
        r.name = name;
        r.provider = "aws";
        r.provider_ref = std::string("asg-") + name;
        r.instance_type = "m5.large";
        r.allowed_types = {"m5.large", "c5.xlarge"};
        r.target_low = 0.65;
        made.push_back(*store.CreateResource(r));
    }
    const ResourceId highest = made.back().id;
    EXPECT_TRUE(store.DeleteResource(highest).ok());  // its id is never given again, in SQLite or after the copy
    for (const Resource& r : {made[0], made[1]}) {
        for (const char* metric : {"cpu_cores", "utilization"}) {
            SeriesSamples s{{r.id, metric}, {}};
            for (int i = 0; i < 3 * 7 * 24 * 6; ++i)  // three weeks at 10 minutes
                s.samples.push_back({1'699'000'000 + i * 600, r.id * 100.0 + i / 7.0});
            EXPECT_TRUE(store.AppendSamples({&s, 1}).ok());
        }
        Forecast f;
        f.generated_at = 1'700'000'000;
        f.model = "auto";
        f.step = 300;
        f.accuracy = 0.87;
        f.points = {{1'700'000'300, 1, 2, 3, 4}};
        EXPECT_TRUE(store.SavePrediction(r.id, "cpu_cores", f).ok());
        AllocationAction a;
        a.resource_id = r.id;
        a.ts = 1'700'000'000;
        a.from_capacity = 2;
        a.to_capacity = 3;
        a.reason = "forecast";
        a.status = ActionStatus::kApplied;
        a.summary = "2 -> 3";
        a.explanation.rule = "forecast";
        a.explanation.to = 3;
        EXPECT_TRUE(store.RecordAction(a).ok());
        Recommendation rec;
        rec.resource_id = r.id;
        rec.from_capacity = 3;
        rec.to_capacity = 2;
        EXPECT_TRUE(store.SaveRecommendation(rec).ok());
        EXPECT_TRUE(store.SaveRecommendation(rec).ok());  // supersedes the first
    }
    model_bytes.assign(5000, '\0');
    for (std::size_t i = 0; i < model_bytes.size(); ++i) model_bytes[i] = static_cast<char>(i * 13);
    EXPECT_TRUE(store.SaveModel({made[0].id, "cpu_cores", 1'700'000'000, "lstm", 0.9, model_bytes}).ok());
    EXPECT_TRUE(store.SaveSharedNetwork({1'700'000'000, 2, model_bytes + "fleet"}).ok());
    Budget budget;
    budget.name = "payments";
    budget.scope = BudgetScope::kLabel;
    budget.target = "team:payments";
    budget.monthly_usd = 1234.5;
    budget.cap_mode = BudgetCapMode::kSoft;
    EXPECT_TRUE(store.SaveBudget(budget).ok());
    IdentityStore& id = store.Identity();
    User u;
    u.name = "alice";
    u.role = Role::kOperator;
    u.password_hash = "$argon2id$hash";
    auto alice = id.CreateUser(u);
    EXPECT_TRUE(alice.ok());
    EXPECT_TRUE(id.SaveRefreshToken({0, alice->id, "refresh-hash", "family", 1, 2, false}).ok());
    ApiToken t;
    t.name = "pusher";
    t.scope = "metrics:write";
    t.token_hash = "token-hash";
    t.created_by = "admin";
    auto token = id.CreateApiToken(t);
    EXPECT_TRUE(token.ok());
    t.name = "old";
    t.token_hash = "old-hash";
    auto old = id.CreateApiToken(t);
    EXPECT_TRUE(id.RevokeApiToken(old->id, 1'700'000'100).ok());
    StoredCredential c;
    c.name = "aws-prod";
    c.kind = "aws";
    c.sealed = std::string("\x01\x00\xff sealed", 10);
    c.key_id = "k1";
    c.hint = "AKIA...XYZ";
    EXPECT_TRUE(id.SaveCredential(c).ok());
    AuditEntry e;
    e.ts = 1'700'000'000;
    e.actor = "admin";
    e.action = "POST /api/resources";
    e.target = "web";
    e.status = 201;
    e.remote_address = "127.0.0.1";
    EXPECT_TRUE(id.AppendAudit(e).ok());
    return highest;
}

// Two replicas on one database: each caches rendered downsampled buckets, and a rewrite of a day through one of them
// reaches the other's cache through the database's notifications (before, the other served the old buckets until
// eviction).
TEST_F(PostgresApp, ARewriteThroughOneReplicaIsReadThroughTheOther) {
    std::ofstream(dir_.File("master.key")) << std::string(64, 'a') << "\n";
    std::ofstream(dir_.File("jwt.key")) << std::string(64, 'b') << "\n";
    const unsigned short ports[2] = {testing::FreePort(), testing::FreePort()};
    std::vector<std::unique_ptr<testing::ChildProcess>> replicas;
    for (int i = 0; i < 2; ++i) {
        const std::string config = dir_.File("replica" + std::to_string(i) + ".yaml");
        std::ofstream(config) << "server: {bind_address: 127.0.0.1, port: " << ports[i] << ", query_cache_mb: 16}\n"
                              << "store: {driver: postgres, url: \"" << url_ << "\"}\n"
                              << "storage: {data_dir: \"" << dir_.File("data" + std::to_string(i)) << "\"}\n"
                              << "security: {master_key_file: \"" << dir_.File("master.key") << "\", jwt_key_file: \""
                              << dir_.File("jwt.key") << "\"}\n"
                              << "loop: {train_epochs: 0, retrain_hours: 0}\n"
                              << "anomaly: {enabled: false}\n"
                              << "providers: {aws: {driver: simulated}}\n";
        replicas.push_back(std::make_unique<testing::ChildProcess>(
            std::vector<std::string>{CLOUDOPT_BINARY, "serve", "--config", config},
            dir_.File("replica" + std::to_string(i) + ".log")));
        ASSERT_TRUE(replicas.back()->started());
        ASSERT_EQ(testing::PollFor(ports[i], "/readyz", 200, 60).status, 200)
            << testing::ReadFile(dir_.File("replica" + std::to_string(i) + ".log"));
    }
    const std::string bearer = testing::LoginBearer(ports[0]);
    ASSERT_FALSE(bearer.empty());
    testing::HttpClient a(ports[0]);
    testing::HttpClient b(ports[1]);
    a.SetHeader("Authorization", bearer);
    b.SetHeader("Authorization", bearer);
    const json resource = {{"name", "web"},
                           {"provider", "aws"},
                           {"provider_ref", "fleet/checkout/0"},
                           {"instance_type", "m5.large"},
                           {"load_metric", "cpu"},
                           {"capacity_per_instance", 2.0},
                           {"mode", "off"},
                           {"min_capacity", 1},
                           {"max_capacity", 10}};
    auto created = a.Post("/api/resources", resource.dump());
    ASSERT_EQ(created.status, 201) << created.body;
    // A day of 1-minute points, ending two hours ago (every 5-minute bucket complete, so the cache keeps them all).
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const std::int64_t to = now / 300 * 300 - 7200;
    const std::int64_t from = to - 86400;
    const auto push_day = [&](double offset) {
        json samples = json::array();
        for (std::int64_t t = from; t < to; t += 60)
            samples.push_back({{"resource", "web"}, {"metric", "cpu"}, {"ts", t}, {"value", offset + 1.0}});
        auto pushed = a.Post("/api/metrics", json{{"samples", samples}}.dump());
        ASSERT_EQ(pushed.status, 200) << pushed.body;
    };
    const std::string query =
        "/api/metrics?resource=web&metric=cpu&from=" + std::to_string(from) + "&to=" + std::to_string(to) + "&step=300";
    const auto first_bucket = [&](testing::HttpClient& c) {
        auto r = c.Get(query);
        EXPECT_EQ(r.status, 200) << r.body;
        const json points = json::parse(r.body)["points"];
        return points.empty() ? -1.0 : points[0][1].get<double>();
    };
    push_day(0);
    ASSERT_EQ(first_bucket(b), 1.0);  // b renders the day, and caches its buckets
    ASSERT_EQ(first_bucket(b), 1.0);
    push_day(1000);  // the rewrite, through a
    EXPECT_EQ(first_bucket(a), 1001.0);
    // b hears of it through the database's notifications (sent within 100 ms): never the old day after that.
    double seen = first_bucket(b);
    for (int i = 0; i < 100 && seen != 1001.0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        seen = first_bucket(b);
    }
    EXPECT_EQ(seen, 1001.0) << "replica b still serves the buckets it cached before replica a's rewrite";
}

TEST_F(PostgresApp, DbCopyMovesAnInstallationLosingNothing) {
    std::filesystem::create_directories(dir_.File("data"));
    std::string model_bytes;
    const ResourceId deleted = FillSqliteStore(dir_.File("data/cloudopt.db"), model_bytes);
    const std::string from = "sqlite:" + dir_.File("data");
    ASSERT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "db", "copy", "--from", from, "--to", url_}, dir_.File("copy.log")),
              0)
        << testing::ReadFile(dir_.File("copy.log"));
    EXPECT_NE(testing::ReadFile(dir_.File("copy.log")).find("result: ok"), std::string::npos);

    // Every table: the same rows, the same checksum of every value (samples: one row per sample on both sides).
    auto source = DigestSqliteStore(dir_.File("data/cloudopt.db"));
    auto target = DigestPostgresStore({url_, server_.password()});
    ASSERT_TRUE(source.ok()) << source.error().message;
    ASSERT_TRUE(target.ok()) << target.error().message;
    ASSERT_EQ(source->size(), target->size());
    for (std::size_t i = 0; i < source->size(); ++i) {
        const TableDigest& s = (*source)[i];
        EXPECT_EQ(s, (*target)[i]) << s.table;
        EXPECT_GT(s.rows, 0) << s.table << " had nothing to copy: fill it in the test";
        if (s.table == "samples") {
            EXPECT_EQ(s.rows, 2 * 2 * 3 * 7 * 24 * 6);
        }
    }

    // And through the store, as the service reads it.
    ManualClock clock(1'700'000'000);
    auto pg = OpenPostgresStore({url_, server_.password()}, clock);
    ASSERT_TRUE(pg.ok()) << pg.error().message;
    EXPECT_EQ((*pg)->ListResources()->size(), 2u);
    auto web = (*pg)->FindResourceByName("web");
    ASSERT_TRUE(web.ok());
    EXPECT_EQ(web->allowed_types, (std::vector<std::string>{"m5.large", "c5.xlarge"}));
    EXPECT_EQ((*pg)->QuerySamples({web->id, "cpu_cores"}, 0, INT64_MAX)->size(), 3u * 7 * 24 * 6u);
    EXPECT_EQ((*(*pg)->LoadModel(web->id, "cpu_cores"))->bytes, model_bytes);
    EXPECT_EQ((*pg)->Identity().FindUser("alice")->role, Role::kOperator);
    EXPECT_EQ((*pg)->Identity().ListCredentials()->at(0).sealed, std::string("\x01\x00\xff sealed", 10));
    Resource next;
    next.name = "new";
    next.provider = "aws";
    next.provider_ref = "asg-new";
    next.instance_type = "m5.large";
    auto created = (*pg)->CreateResource(next);
    ASSERT_TRUE(created.ok()) << created.error().message;
    EXPECT_GT(created->id, deleted) << "a deleted resource's id is never given again";
    AuditEntry e;
    e.ts = 1;
    e.actor = "x";
    ASSERT_TRUE((*pg)->Identity().AppendAudit(e).ok()) << "the sequences continue after the copied ids";

    // The admin commands follow the config's store (here from the environment).
    setenv("CLOUDOPT_STORE_DRIVER", "postgres", 1);
    setenv("CLOUDOPT_STORE_URL", url_.c_str(), 1);
    const int listed =
        testing::RunToExit({CLOUDOPT_BINARY, "user", "list", "--data-dir", dir_.File("keys")}, dir_.File("users.log"));
    unsetenv("CLOUDOPT_STORE_DRIVER");
    unsetenv("CLOUDOPT_STORE_URL");
    EXPECT_EQ(listed, 0) << testing::ReadFile(dir_.File("users.log"));
    EXPECT_NE(testing::ReadFile(dir_.File("users.log")).find("alice"), std::string::npos)
        << testing::ReadFile(dir_.File("users.log"));

    // A second copy into a database that holds data is refused, and changes nothing.
    auto before = DigestPostgresStore({url_, server_.password()});
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "db", "copy", "--from", from, "--to", url_}, dir_.File("again.log")),
              1);
    EXPECT_NE(testing::ReadFile(dir_.File("again.log")).find("already holds data"), std::string::npos)
        << testing::ReadFile(dir_.File("again.log"));
    EXPECT_EQ(*DigestPostgresStore({url_, server_.password()}), *before);
    EXPECT_EQ(testing::RunToExit({CLOUDOPT_BINARY, "db", "copy", "--from", "sqlite:" + dir_.File("nothing"), "--to",
                                  server_.FreshDatabase()},
                                 dir_.File("missing.log")),
              1);
    EXPECT_NE(testing::ReadFile(dir_.File("missing.log")).find("there is no SQLite store at"), std::string::npos);
}

}  // namespace
}  // namespace cloudopt
