// Issue 31 item 2, end to end: three `cloudopt serve` replicas on one real PostgreSQL share 200 resources of the
// simulated cloud under leases while one replica after another is killed with SIGKILL (every 20 s for 2 minutes)
// and started again. A writer pushes samples through the surviving replicas' API all along. Afterwards, from the
// database: every resource was planned at every tick, with no gap longer than one lease period plus a tick (and the
// lease rounds that notice a death); no tick of a resource was planned by two replicas, and the epochs of the plan
// log and of the action log never go back (each epoch one holder); every acknowledged sample is stored; every request
// to a surviving replica succeeded. It prints what it measured. ctest label: cluster.
//
// Also: a replica started with another master key refuses to start, saying so; and a sweep's setting adopted on one
// replica reaches every replica's loop (ctest Cluster.AdoptionOnReplicas, about a minute).

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/postgres_server.hpp"
#include "support/service.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr int kReplicas = 3;
constexpr int kResources = 200;
// The debug (ASan) binary plans a resource in about 40 ms, so a replica carrying half the fleet while another is down
// needs about 4 s a pass: a shorter tick would overrun.
constexpr int kTickSeconds = 4;
constexpr int kLeaseSeconds = 8;
constexpr auto kKillEvery = 20s;
constexpr auto kKillPhase = 120s;
const char* const kTraces[] = {"web_frontend", "api_gateway", "batch_workers", "checkout"};

double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

class ReplicasFailover : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!server_.available()) GTEST_SKIP() << "PostgreSQL unavailable: " << server_.why();
        url_ = server_.FreshDatabase();
        ASSERT_FALSE(url_.empty());
        setenv("CLOUDOPT_ADMIN_PASSWORD", testing::kTestAdminPassword, 1);
        setenv("CLOUDOPT_STORE_PASSWORD", server_.password().c_str(), 1);
        // The keys every replica shares, as Compose and Kubernetes mount them.
        std::ofstream(dir_.File("master.key")) << std::string(64, 'a') << "\n";
        std::ofstream(dir_.File("jwt.key")) << std::string(64, 'b') << "\n";
        std::ofstream(dir_.File("other-master.key")) << std::string(64, 'c') << "\n";
        for (int i = 0; i < kReplicas; ++i) ports_.push_back(testing::FreePort());
    }
    void TearDown() override { unsetenv("CLOUDOPT_STORE_PASSWORD"); }

    std::string ConfigFor(int replica, const std::string& master_key_file) {
        const std::string path = dir_.File("replica" + std::to_string(replica) + ".yaml");
        std::ofstream out(path);
        out << "server: {bind_address: 127.0.0.1, port: " << ports_[static_cast<std::size_t>(replica)] << "}\n"
            << "store: {driver: postgres, url: \"" << url_ << "\", max_connections: 8}\n"
            << "storage: {data_dir: \"" << dir_.File("data" + std::to_string(replica)) << "\"}\n"
            << "security: {master_key_file: \"" << master_key_file << "\", jwt_key_file: \"" << dir_.File("jwt.key")
            << "\", rate_limit_per_address: 0, rate_limit_per_caller: 0}\n"
            << "cluster: {lease_seconds: " << kLeaseSeconds << "}\n"
            << "loop: {tick_seconds: " << kTickSeconds << ", train_epochs: 0, retrain_hours: 0}\n"
            << "anomaly: {enabled: false}\n"
            << "providers: {aws: {driver: simulated}}\n"
            << "log: {level: warn}\n";
        return path;
    }
    std::unique_ptr<testing::ChildProcess> StartReplica(int replica, const std::string& master_key_file = "") {
        const std::string config =
            ConfigFor(replica, master_key_file.empty() ? dir_.File("master.key") : master_key_file);
        return std::make_unique<testing::ChildProcess>(
            std::vector<std::string>{CLOUDOPT_BINARY, "serve", "--config", config},
            dir_.File("replica" + std::to_string(replica) + ".log"));
    }
    bool WaitReady(int replica, std::chrono::seconds limit = 60s) {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < until) {
            try {
                testing::HttpClient c(ports_[static_cast<std::size_t>(replica)]);
                if (c.Get("/readyz").status == 200) return true;
            } catch (const std::exception&) {
            }
            std::this_thread::sleep_for(100ms);
        }
        return false;
    }
    pqxx::connection Connect() { return pqxx::connection(url_ + "?password=" + server_.password()); }

    testing::PostgresServer& server_ = testing::PostgresServer::Shared();
    testing::TempDir dir_;
    std::string url_;
    std::vector<unsigned short> ports_;
};

TEST_F(ReplicasFailover, PostgresThreeReplicasShareTheWorkThroughKillsWithoutGapsOrDoublePlanning) {
    const auto test_started = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<testing::ChildProcess>> replicas(kReplicas);
    replicas[0] = StartReplica(0);
    ASSERT_TRUE(WaitReady(0)) << testing::ReadFile(dir_.File("replica0.log"));
    const std::string bearer = testing::LoginBearer(ports_[0]);
    ASSERT_FALSE(bearer.empty());
    {
        testing::HttpClient admin(ports_[0]);
        admin.SetHeader("Authorization", bearer);
        for (int i = 0; i < kResources; ++i) {
            const std::string trace = kTraces[i % 4];
            const bool requests = trace == "web_frontend";
            json r = {{"name", "fleet-" + std::to_string(i)},
                      {"provider", "aws"},
                      {"provider_ref", "fleet/" + trace + "/" + std::to_string(i)},
                      {"instance_type", "m5.large"},
                      {"load_metric", requests ? "requests_per_second" : "cpu_cores"},
                      {"capacity_per_instance", requests ? 8.0 : 2.0},
                      {"mode", "auto"},
                      {"min_capacity", 1},
                      {"max_capacity", 60},
                      {"boot_delay_s", 60}};
            auto created = admin.Post("/api/resources", r.dump());
            ASSERT_EQ(created.status, 201) << created.body;
        }
    }
    for (int i = 1; i < kReplicas; ++i) replicas[static_cast<std::size_t>(i)] = StartReplica(i);
    for (int i = 1; i < kReplicas; ++i)
        ASSERT_TRUE(WaitReady(i)) << testing::ReadFile(dir_.File("replica" + std::to_string(i) + ".log"));
    const auto setup_seconds = Seconds(std::chrono::steady_clock::now() - test_started);
    // Settle: the joiners take their shares within a lease period.
    std::this_thread::sleep_for(std::chrono::seconds(kLeaseSeconds + 2 * kTickSeconds));

    // The writer and the readers: through whichever replicas are up (a replica is marked down before it is killed,
    // under its lock, so no request to it is in flight then).
    std::vector<std::mutex> replica_mutex(kReplicas);
    std::vector<bool> up(kReplicas, true);  // guarded by replica_mutex[i]
    std::atomic<bool> writing{true};
    std::atomic<int> requests{0};
    std::atomic<int> failures{0};
    std::mutex failure_mutex;
    std::vector<std::string> failure_notes;
    std::vector<std::int64_t> acknowledged;  // timestamps of the pushed samples answered 200
    std::thread writer([&] {
        std::int64_t ts =
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count() -
            3600;
        int turn = 0;
        while (writing) {
            const int replica = turn++ % kReplicas;
            std::lock_guard lock(replica_mutex[static_cast<std::size_t>(replica)]);
            if (!up[static_cast<std::size_t>(replica)]) continue;
            const bool push = turn % 2 == 0;
            try {
                testing::HttpClient c(ports_[static_cast<std::size_t>(replica)]);
                c.SetHeader("Authorization", bearer);
                testing::HttpResult r;
                if (push) {
                    ++ts;
                    json body = {{"samples",
                                  {{{"resource", "fleet-0"}, {"metric", "pushed_probe"}, {"ts", ts}, {"value", 1.0}}}}};
                    r = c.Post("/api/metrics", body.dump());
                } else {
                    r = c.Get("/api/resources");
                }
                ++requests;
                if (r.status == 200) {
                    if (push) acknowledged.push_back(ts);
                } else {
                    ++failures;
                    std::lock_guard f(failure_mutex);
                    failure_notes.push_back("replica " + std::to_string(replica) + ": " + std::to_string(r.status) +
                                            " " + r.body.substr(0, 200));
                }
            } catch (const std::exception& e) {
                ++failures;
                std::lock_guard f(failure_mutex);
                failure_notes.push_back("replica " + std::to_string(replica) + ": " + e.what());
            }
            std::this_thread::sleep_for(50ms);
        }
    });

    // Kill one replica every 20 s for 2 minutes, starting it again each time.
    const auto kills_started = std::chrono::steady_clock::now();
    const std::int64_t kill_phase_from =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    int kills = 0;
    std::vector<double> restart_seconds;
    while (std::chrono::steady_clock::now() - kills_started < kKillPhase) {
        std::this_thread::sleep_until(kills_started + (kills + 1) * kKillEvery);
        if (std::chrono::steady_clock::now() - kills_started > kKillPhase) break;
        const int victim = kills % kReplicas;
        {
            std::lock_guard lock(replica_mutex[static_cast<std::size_t>(victim)]);
            up[static_cast<std::size_t>(victim)] = false;
        }
        replicas[static_cast<std::size_t>(victim)]->Signal(SIGKILL);
        replicas[static_cast<std::size_t>(victim)]->Wait();
        ++kills;
        const auto restarted = std::chrono::steady_clock::now();
        replicas[static_cast<std::size_t>(victim)] = StartReplica(victim);
        ASSERT_TRUE(WaitReady(victim)) << testing::ReadFile(dir_.File("replica" + std::to_string(victim) + ".log"));
        restart_seconds.push_back(Seconds(std::chrono::steady_clock::now() - restarted));
        std::lock_guard lock(replica_mutex[static_cast<std::size_t>(victim)]);
        up[static_cast<std::size_t>(victim)] = true;
    }
    // One more lease period and a few ticks with all three up, then the writer stops.
    std::this_thread::sleep_for(std::chrono::seconds(kLeaseSeconds + 2 * kTickSeconds));
    const std::int64_t kill_phase_to =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    writing = false;
    writer.join();
    for (auto& r : replicas) {
        r->Signal(SIGTERM);
        r->Wait();
    }

    // From the database.
    pqxx::connection conn = Connect();
    pqxx::work tx(conn);
    // Coverage: the largest gap between consecutive plans of a resource in the window (its edges count as plans).
    std::map<std::int64_t, std::vector<std::int64_t>> plans;
    for (const auto& row : tx.exec_params("SELECT resource_id, ts FROM plan_log WHERE ts >= $1 AND ts <= $2 ORDER BY "
                                          "resource_id, ts",
                                          kill_phase_from, kill_phase_to))
        plans[row[0].as<std::int64_t>()].push_back(row[1].as<std::int64_t>());
    EXPECT_EQ(plans.size(), static_cast<std::size_t>(kResources)) << "every resource was planned in the window";
    std::vector<std::int64_t> worst_gaps;
    for (auto& [id, times] : plans) {
        std::int64_t worst = std::max(times.front() - kill_phase_from, kill_phase_to - times.back());
        for (std::size_t i = 1; i < times.size(); ++i) worst = std::max(worst, times[i] - times[i - 1]);
        worst_gaps.push_back(worst);
    }
    std::sort(worst_gaps.begin(), worst_gaps.end());
    const std::int64_t max_gap = worst_gaps.empty() ? 0 : worst_gaps.back();
    const std::int64_t median_gap = worst_gaps.empty() ? 0 : worst_gaps[worst_gaps.size() / 2];
    std::size_t resources_over_two_ticks = 0;
    for (std::int64_t g : worst_gaps) resources_over_two_ticks += g > 2 * kTickSeconds ? 1 : 0;
    // Two plans of a resource are a tick apart when nothing is missed, so at most a lease period plus a tick unplanned
    // is two plans at most a lease period plus two ticks apart; plus the lease round that notices the death (a sixth
    // of the lease period, rounded up) and a second for whole-second timestamps.
    const std::int64_t allowed_gap = kLeaseSeconds + 2 * kTickSeconds + (kLeaseSeconds + 5) / 6 + 1;
    EXPECT_LE(max_gap, allowed_gap) << "a resource went unplanned longer than a lease period plus a tick";

    // No tick of a resource planned by two replicas; epochs never go back, each epoch has one holder.
    const auto doubled = tx.exec(
        "SELECT resource_id, tick, string_agg(DISTINCT holder, ', ') FROM plan_log GROUP BY resource_id, tick HAVING "
        "count(DISTINCT holder) > 1 LIMIT 5");
    EXPECT_EQ(doubled.size(), 0u) << (doubled.empty() ? std::string()
                                                      : "resource " + doubled[0][0].as<std::string>() + " tick " +
                                                            doubled[0][1].as<std::string>() + " planned by " +
                                                            doubled[0][2].as<std::string>());
    const auto plan_backwards = tx.exec1(
                                      "SELECT count(*) FROM (SELECT epoch, lag(epoch) OVER (PARTITION BY resource_id "
                                      "ORDER BY recorded_at, id) AS "
                                      "prev FROM plan_log) x WHERE epoch < prev")[0]
                                    .as<std::int64_t>();
    EXPECT_EQ(plan_backwards, 0) << "a plan under an older epoch after a newer one";
    const auto epoch_holders =
        tx.exec1(
              "SELECT count(*) FROM (SELECT resource_id, epoch FROM plan_log GROUP BY resource_id, epoch HAVING "
              "count(DISTINCT holder) > 1) x")[0]
            .as<std::int64_t>();
    EXPECT_EQ(epoch_holders, 0);
    const auto actions = tx.exec1("SELECT count(*), count(*) FILTER (WHERE lease_epoch = 0) FROM actions");
    const std::int64_t action_count = actions[0].as<std::int64_t>();
    EXPECT_GT(action_count, 0) << "the fleet scaled";
    EXPECT_EQ(actions[1].as<std::int64_t>(), 0) << "every action carries its lease epoch";
    const auto action_backwards = tx.exec1(
                                        "SELECT count(*) FROM (SELECT lease_epoch, lag(lease_epoch) OVER (PARTITION BY "
                                        "resource_id ORDER BY id) AS "
                                        "prev FROM actions) x WHERE lease_epoch < prev")[0]
                                      .as<std::int64_t>();
    EXPECT_EQ(action_backwards, 0) << "an action under an older epoch after a newer one";
    const auto action_vs_plan =
        tx.exec1(
              "SELECT count(*) FROM actions a WHERE NOT EXISTS (SELECT 1 FROM plan_log p WHERE p.resource_id = "
              "a.resource_id AND p.epoch = a.lease_epoch AND p.holder = a.lease_holder)")[0]
            .as<std::int64_t>();
    EXPECT_EQ(action_vs_plan, 0) << "every action was made in a pass recorded under the same lease";
    const auto takeovers = tx.exec1("SELECT coalesce(sum(epoch - 1), 0) FROM resource_leases")[0].as<std::int64_t>();
    const auto plan_rows = tx.exec1("SELECT count(*) FROM plan_log")[0].as<std::int64_t>();

    // No acknowledged sample missing.
    std::set<std::int64_t> stored;
    for (const auto& row : tx.exec("SELECT s.ts FROM samples s JOIN series x ON x.id = s.series_id JOIN resources r "
                                   "ON r.id = x.resource_id WHERE r.name = 'fleet-0' AND x.metric = 'pushed_probe'"))
        stored.insert(row[0].as<std::int64_t>());
    std::size_t missing = 0;
    for (std::int64_t ts : acknowledged) missing += stored.count(ts) ? 0 : 1;
    EXPECT_EQ(missing, 0u) << "acknowledged samples missing";
    EXPECT_GT(acknowledged.size(), 100u);
    EXPECT_EQ(failures.load(), 0) << (failure_notes.empty() ? std::string() : failure_notes.front());

    double restart_max = 0.0;
    for (double s : restart_seconds) restart_max = std::max(restart_max, s);
    std::printf(
        "[ measured ] %d replicas, %d resources, tick %d s, lease %d s: setup %.1f s; %d kills (SIGKILL) in "
        "%.0f s, restarts ready in at most %.1f s\n",
        kReplicas, kResources, kTickSeconds, kLeaseSeconds, setup_seconds, kills, Seconds(kKillPhase), restart_max);
    std::printf(
        "[ measured ] longest interval between two plans of a resource: %lld s (median over resources of their "
        "longest %lld s; %zu resources had a gap over two ticks); allowed %lld s\n",
        static_cast<long long>(max_gap), static_cast<long long>(median_gap), resources_over_two_ticks,
        static_cast<long long>(allowed_gap));
    std::printf(
        "[ measured ] %lld lease takeovers (epochs past the first), %lld plan records, %lld actions all "
        "fenced; ticks planned by two replicas: %zu; epochs going back: %lld plans, %lld actions\n",
        static_cast<long long>(takeovers), static_cast<long long>(plan_rows), static_cast<long long>(action_count),
        doubled.size(), static_cast<long long>(plan_backwards), static_cast<long long>(action_backwards));
    std::printf(
        "[ measured ] API during the kills: %d requests to surviving replicas, %d failed; %zu samples "
        "acknowledged, %zu missing; whole test %.0f s\n",
        requests.load(), failures.load(), acknowledged.size(), missing,
        Seconds(std::chrono::steady_clock::now() - test_started));
}

TEST_F(ReplicasFailover, PostgresAReplicaWithAnotherMasterKeyRefusesToStart) {
    auto first = StartReplica(0);
    ASSERT_TRUE(WaitReady(0)) << testing::ReadFile(dir_.File("replica0.log"));
    auto other = StartReplica(1, dir_.File("other-master.key"));
    EXPECT_EQ(other->Wait(), 1);
    const std::string log = testing::ReadFile(dir_.File("replica1.log"));
    EXPECT_NE(log.find("master key"), std::string::npos) << log;
    EXPECT_NE(log.find("is not the one the other replicas on this database use"), std::string::npos) << log;
    // The same keys: it joins, and a login made on one replica works on the other.
    auto second = StartReplica(2);
    ASSERT_TRUE(WaitReady(2)) << testing::ReadFile(dir_.File("replica2.log"));
    const std::string bearer = testing::LoginBearer(ports_[0]);
    ASSERT_FALSE(bearer.empty());
    testing::HttpClient c(ports_[2]);
    c.SetHeader("Authorization", bearer);
    EXPECT_EQ(c.Get("/api/resources").status, 200);
    first->Signal(SIGTERM);
    second->Signal(SIGTERM);
    EXPECT_EQ(first->Wait(), 0);
    EXPECT_EQ(second->Wait(), 0);
}

// POST /api/settings/adopt on one replica keeps the setting in the shared store (docs/COSTS.md "Adopting the
// setting"): the other replica's GET shows the adoption at once, and its loop plans at it from its next lease round
// (1.3 s here); a replica started afterwards plans at it from its first pass. No replica writes adopted.yaml; the
// sweep's JSON stays with the replica that adopted it.
TEST_F(ReplicasFailover, PostgresAnAdoptionOnOneReplicaReachesEveryReplicasLoop) {
    const auto started = std::chrono::steady_clock::now();
    auto a = StartReplica(0);
    ASSERT_TRUE(WaitReady(0)) << testing::ReadFile(dir_.File("replica0.log"));
    auto b = StartReplica(1);
    ASSERT_TRUE(WaitReady(1)) << testing::ReadFile(dir_.File("replica1.log"));
    const std::string bearer = testing::LoginBearer(ports_[0]);
    ASSERT_FALSE(bearer.empty());
    auto client = [&](int replica) {
        auto c = std::make_unique<testing::HttpClient>(ports_[static_cast<std::size_t>(replica)]);
        c->SetHeader("Authorization", bearer);
        return c;
    };
    auto on_a = client(0);
    auto on_b = client(1);
    auto setting = [](testing::HttpClient& c) { return json::parse(c.Get("/api/settings/adopt").body); };
    const json before = setting(*on_b);
    EXPECT_EQ(before["quantile"], "p95");
    EXPECT_EQ(before["source"], "config");
    EXPECT_TRUE(before["can_adopt"].get<bool>()) << before.dump();

    // A small sweep on replica a (its own job: simulations run where they are asked for), at an engine budget the
    // config does not have, so both keys change.
    std::string csv = "timestamp,value\n";
    const long long now = static_cast<long long>(std::time(nullptr));
    for (int i = 0; i < 3 * 288; ++i)
        csv += std::to_string(now - 3 * 86400 + 300LL * i) + "," +
               std::to_string(100.0 + 60.0 * std::sin(2 * 3.141592653589793 * i / 288.0)) + "\n";
    const json sweep = {{"csv", csv},
                        {"sweep",
                         {{"policies", {"predictive"}},
                          {"quantiles", {0.9, 0.99}},
                          {"unmet_budgets", {0.002}},
                          {"unmet_budget", 0.5}}}};
    auto posted = on_a->Post("/api/simulations", sweep.dump());
    ASSERT_EQ(posted.status, 202) << posted.body;
    const std::int64_t job = json::parse(posted.body)["job_id"].get<std::int64_t>();
    std::string status;
    for (auto until = std::chrono::steady_clock::now() + 120s;
         status != "succeeded" && status != "failed" && std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(200ms))
        status = json::parse(on_a->Get("/api/jobs/" + std::to_string(job)).body).value("status", "");
    ASSERT_EQ(status, "succeeded") << on_a->Get("/api/jobs/" + std::to_string(job)).body;

    auto adopted = on_a->Post("/api/settings/adopt", json{{"job_id", job}}.dump());
    ASSERT_EQ(adopted.status, 200) << adopted.body;
    const json to = json::parse(adopted.body)["to"];
    const std::string quantile = to["quantile"].get<std::string>();
    EXPECT_TRUE(quantile == "p90" || quantile == "p99") << adopted.body;
    EXPECT_DOUBLE_EQ(to["unmet_budget"].get<double>(), 0.002);
    const auto adopted_at = std::chrono::steady_clock::now();

    // Replica b: the adoption is in the shared store at once, its loop plans at it from its next lease round.
    const json shown = setting(*on_b);
    EXPECT_EQ(shown["source"], "adopted") << shown.dump();
    EXPECT_EQ(shown["adopted"]["kept_in"], "shared store") << shown.dump();
    EXPECT_EQ(shown["adopted"]["quantile"], quantile) << shown.dump();
    EXPECT_TRUE(shown["adopted"]["file"].is_null()) << shown.dump();
    EXPECT_EQ(shown["adopted"]["evidence_summary"]["source"], "uploaded CSV") << shown.dump();
    json in_loop;
    for (auto until = adopted_at + 20s; std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(100ms)) {
        in_loop = setting(*on_b);
        if (in_loop["quantile"] == quantile) break;
    }
    const double delay = Seconds(std::chrono::steady_clock::now() - adopted_at);
    EXPECT_EQ(in_loop["quantile"], quantile) << in_loop.dump();
    EXPECT_DOUBLE_EQ(in_loop["unmet_budget"].get<double>(), 0.002) << in_loop.dump();
    EXPECT_LT(delay, kLeaseSeconds) << "within a lease round or two, not a lease period";
    EXPECT_EQ(setting(*on_a)["quantile"], quantile) << "the adopting replica applies it at once";

    // The evidence stays with replica a; no replica keeps an adopted.yaml of its own.
    const std::string evidence = shown["adopted"]["evidence"].get<std::string>();
    EXPECT_TRUE(std::filesystem::exists(dir_.File("data0") + "/" + evidence)) << evidence;
    EXPECT_FALSE(std::filesystem::exists(dir_.File("data0") + "/adopted.yaml"));
    EXPECT_FALSE(std::filesystem::exists(dir_.File("data1") + "/adopted.yaml"));

    // A replica started afterwards plans at it from its first pass (its lease rounds at start read it).
    auto c = StartReplica(2);
    ASSERT_TRUE(WaitReady(2)) << testing::ReadFile(dir_.File("replica2.log"));
    const json third = setting(*client(2));
    EXPECT_EQ(third["quantile"], quantile) << third.dump();
    EXPECT_EQ(third["source"], "adopted") << third.dump();

    for (auto* replica : {a.get(), b.get(), c.get()}) replica->Signal(SIGTERM);
    for (auto* replica : {a.get(), b.get(), c.get()}) EXPECT_EQ(replica->Wait(), 0);
    std::printf(
        "[ measured ] %s adopted on replica a: replica b's loop planned at %s %.2f s later; whole test %.0f s\n",
        quantile.c_str(), in_loop.value("quantile", "?").c_str(), delay,
        Seconds(std::chrono::steady_clock::now() - started));
}

}  // namespace
}  // namespace cloudopt
