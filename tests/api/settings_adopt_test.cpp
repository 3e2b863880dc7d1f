// POST/GET /api/settings/adopt (issue 32 item 1, docs/COSTS.md "Adopting the setting"): a real sweep job run through
// the API, its setting adopted by the running loop, kept in the data directory as `--adopt` keeps it, and applied
// again at the next start.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>
#include <vector>

#include "api/api_fixture.hpp"
#include "app/adopted_settings.hpp"
#include "app/loop_settings.hpp"
#include "store/coordination.hpp"

namespace cloudopt {
namespace {

class SettingsAdoptTest : public ApiTest {
  protected:
    void SetUp() override {
        ApiTest::SetUp();
        config_.data_dir = dir_.File("data");
        context_->adoption = SettingsAdoptionFor(config_);  // as serve wires it
    }
    // A small sweep of the predictive policy (two quantiles) on a two-day daily wave, run as the page runs it; its
    // user budget (50%) lets it name a cheapest setting whatever the replay gives. The job's id once it succeeded.
    std::int64_t RunSweep() {
        std::string csv = "timestamp,value\n";
        for (int i = 0; i < 3 * 288; ++i)
            csv += std::to_string(kNow - 3 * 86400 + 300LL * i) + "," +
                   std::to_string(100.0 + 60.0 * std::sin(2 * 3.141592653589793 * i / 288.0)) + "\n";
        const json body = {{"csv", csv},
                           {"sweep",
                            {{"policies", {"predictive"}},
                             {"quantiles", {0.9, 0.99}},
                             {"unmet_budgets", {0.005}},
                             {"unmet_budget", 0.5}}}};
        auto posted = client_->Post("/api/simulations", body.dump());
        EXPECT_EQ(posted.status, 202) << posted.body;
        const std::int64_t id = Body(posted).value("job_id", 0LL);
        for (int i = 0; i < 1200; ++i) {
            const json job = Body(client_->Get("/api/jobs/" + std::to_string(id)));
            if (job.value("status", "") == "succeeded") return id;
            if (job.value("status", "") == "failed") {
                ADD_FAILURE() << job.dump();
                return 0;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ADD_FAILURE() << "the sweep job did not finish in 2 minutes";
        return 0;
    }
    // A sweep job whose result is `result` (its points made up), run through the service's job runner as a sweep is:
    // the adoption reads it as it reads a real one. The job's id once it succeeded.
    std::int64_t CannedSweep(const json& result) {
        const std::string text = result.dump();
        const auto submitted = jobs_.Submit("simulate", "canned sweep " + std::to_string(++canned_),
                                            [text](const JobRunner::Progress&) -> Result<std::string> { return text; });
        for (int i = 0; i < 300; ++i) {
            const auto job = jobs_.Get(submitted.job.id);
            if (job && job->state == JobState::kSucceeded) return job->id;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ADD_FAILURE() << "the canned sweep job did not finish";
        return 0;
    }
    // Predictive p50, p90 and p99 (engine budget 0.005) leaving 3%, 1.2% and 0.4% unmet, and a cheaper reactive
    // point that is not cloudopt's; the sweep was run with the default budget of 0.5%, within which p99 is cheapest.
    static json ThreePredictivePoints() {
        auto point = [](const char* policy, json setting, double cost, double unmet) {
            return json{{"policy", policy}, {"setting", setting}, {"cost_rel", cost}, {"unmet", unmet}};
        };
        const json p99 = point("predictive", {{"quantile", 0.99}, {"unmet_budget", 0.005}}, 0.8, 0.004);
        return {{"sweep", true},
                {"source", "canned"},
                {"unmet_budget", 0.005},
                {"points",
                 {point("predictive", {{"quantile", 0.5}, {"unmet_budget", 0.005}}, 0.5, 0.03),
                  point("predictive", {{"quantile", 0.9}, {"unmet_budget", 0.005}}, 0.6, 0.012), p99,
                  point("reactive", {{"target", 0.5}}, 0.4, 0.001)}},
                {"cheapest_predictive", p99}};
    }
    std::unique_ptr<HttpClient> As(const std::string& name, Role role) {
        auto c = std::make_unique<HttpClient>(port_);
        c->SetHeader("Authorization", auth_->BearerFor(name, role));
        return c;
    }
    Config config_;
    int canned_ = 0;
};

TEST_F(SettingsAdoptTest, AnAdminAdoptsASweepsSettingWhichTheLoopUsesAndARestartKeeps) {
    auto before = client_->Get("/api/settings/adopt");
    ASSERT_EQ(before.status, 200) << before.body;
    EXPECT_EQ(Body(before)["quantile"], "p95");
    EXPECT_EQ(Body(before)["source"], "config");
    EXPECT_TRUE(Body(before)["adopted"].is_null());
    EXPECT_TRUE(Body(before)["can_adopt"].get<bool>());

    const std::int64_t job = RunSweep();
    ASSERT_GT(job, 0);
    const json sweep = Body(client_->Get("/api/jobs/" + std::to_string(job)))["result"];
    const json& cheapest = sweep["cheapest_predictive"]["setting"];
    const double q = cheapest["quantile"].get<double>();
    const std::string named = q == 0.9 ? "p90" : "p99";

    // Only an admin adopts; everyone may look.
    for (Role role : {Role::kViewer, Role::kOperator}) {
        auto other = As("someone", role);
        EXPECT_EQ(other->Post("/api/settings/adopt", json{{"job_id", job}}.dump()).status, 403);
        EXPECT_EQ(other->Get("/api/settings/adopt").status, 200);
    }
    // Bad input names the field and changes nothing.
    const std::vector<std::pair<json, std::string>> bad = {
        {json::object(), "job_id"},
        {{{"job_id", 99999}}, "job_id"},
        {{{"job_id", job}, {"quantile", 0.97}, {"unmet_budget", 0.005}}, "quantile"},
        {{{"job_id", job}, {"quantile", 0.5}, {"unmet_budget", 0.005}}, "quantile"},  // not swept: no evidence
        {{{"job_id", job}, {"quantile", 0.99}}, "unmet_budget"},
        {{{"job_id", job}, {"quantile", 0.99}, {"unmet_budget", 0.7}}, "unmet_budget"},
        {{{"job_id", job}, {"risk", 1}}, "risk"},
    };
    for (const auto& [body, field] : bad) {
        auto r = client_->Post("/api/settings/adopt", body.dump());
        EXPECT_EQ(r.status, 422) << body.dump() << " -> " << r.body;
        EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find(field), std::string::npos) << r.body;
    }
    EXPECT_EQ(loop_->engine_options().quantile, QuantileLevel::kP95);
    EXPECT_FALSE(std::filesystem::exists(config_.data_dir + "/adopted.yaml"));

    // The sweep's cheapest predictive setting: applied to the live loop, kept with the sweep as evidence.
    auto adopted = client_->Post("/api/settings/adopt", json{{"job_id", job}}.dump());
    ASSERT_EQ(adopted.status, 200) << adopted.body;
    const json a = Body(adopted);
    EXPECT_EQ(a["from"], (json{{"quantile", "p95"}, {"unmet_budget", 0.005}}));
    EXPECT_EQ(a["to"], (json{{"quantile", named}, {"unmet_budget", 0.005}}));
    EXPECT_EQ(a["changed"], json::array({"loop.quantile"}));
    EXPECT_EQ(loop_->engine_options().quantile, *ParseQuantileLevel(named));
    const std::string evidence = a["adopted"]["evidence"].get<std::string>();
    EXPECT_EQ(json::parse(testing::ReadFile(config_.data_dir + "/" + evidence)), sweep) << "the sweep's whole JSON";
    EXPECT_NE(testing::ReadFile(config_.data_dir + "/adopted.yaml").find("quantile: " + named), std::string::npos);

    // Another of its points, named explicitly: from is what the first adoption set.
    auto explicit_point = client_->Post("/api/settings/adopt",
                                        json{{"job_id", job}, {"quantile", "p99"}, {"unmet_budget", 0.005}}.dump());
    ASSERT_EQ(explicit_point.status, 200) << explicit_point.body;
    EXPECT_EQ(Body(explicit_point)["from"]["quantile"], named);
    EXPECT_EQ(Body(explicit_point)["to"]["quantile"], "p99");
    EXPECT_EQ(loop_->engine_options().quantile, QuantileLevel::kP99);

    auto now = client_->Get("/api/settings/adopt");
    const json shown = Body(now);
    EXPECT_EQ(shown["quantile"], "p99");
    EXPECT_EQ(shown["source"], "adopted");
    EXPECT_EQ(shown["adopted"]["quantile"], "p99");
    EXPECT_NE(shown["adopted"]["reason"].get<std::string>().find("sweep job " + std::to_string(job)), std::string::npos)
        << shown.dump();
    EXPECT_NE(shown["adopted"]["reason"].get<std::string>().find("user:admin"), std::string::npos);
    EXPECT_EQ(shown["adopted"]["evidence_summary"]["source"], "uploaded CSV");

    // Audited with what changed.
    auto audit = store_->Identity().ListAudit({0, 100, 0, "adopt loop settings"});
    ASSERT_TRUE(audit.ok());
    ASSERT_EQ(audit->size(), 2u);
    EXPECT_EQ(audit->front().actor, "user:admin");
    EXPECT_NE(audit->front().detail.find("loop.quantile " + named + " -> p99"), std::string::npos)
        << audit->front().detail;

    // A restart applies it as the start applies `--adopt`'s file, and the new loop plans at it.
    Config restarted;
    restarted.data_dir = config_.data_dir;
    auto applied = ApplyAdoptedSettings(restarted);
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    ASSERT_TRUE(applied->has_value());
    EXPECT_EQ(restarted.quantile, "p99");
    ControlLoop after(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_,
                      LoopOptionsFrom(restarted));
    EXPECT_EQ(after.engine_options().quantile, QuantileLevel::kP99);
}

// The dashboard's frontier lets the user type another unmet budget after the sweep ran, and names the cheapest setting
// within it: Adopt then sends that budget as max_unmet (the sweep's own budget, without it, would adopt another
// point). The service picks by the same rule over the same points; a budget nothing predictive meets is a 422.
TEST_F(SettingsAdoptTest, AnotherUnmetBudgetAdoptsTheCheapestPredictivePointWithinIt) {
    const std::int64_t job = CannedSweep(ThreePredictivePoints());
    ASSERT_GT(job, 0);
    auto within_2pct = client_->Post("/api/settings/adopt", json{{"job_id", job}, {"max_unmet", 0.02}}.dump());
    ASSERT_EQ(within_2pct.status, 200) << within_2pct.body;
    EXPECT_EQ(Body(within_2pct)["to"], (json{{"quantile", "p90"}, {"unmet_budget", 0.005}})) << within_2pct.body;
    EXPECT_EQ(loop_->engine_options().quantile, QuantileLevel::kP90);
    EXPECT_NE(Body(within_2pct)["adopted"]["reason"].get<std::string>().find("unmet <= 0.02 in sweep job"),
              std::string::npos)
        << within_2pct.body;
    auto within_5pct = client_->Post("/api/settings/adopt", json{{"job_id", job}, {"max_unmet", 0.05}}.dump());
    ASSERT_EQ(within_5pct.status, 200) << within_5pct.body;
    EXPECT_EQ(Body(within_5pct)["to"]["quantile"], "p50") << "the reactive point is cheaper, but not cloudopt's";
    auto own_budget = client_->Post("/api/settings/adopt", json{{"job_id", job}}.dump());
    ASSERT_EQ(own_budget.status, 200) << own_budget.body;
    EXPECT_EQ(Body(own_budget)["to"]["quantile"], "p99");

    const std::vector<json> bad = {
        {{"job_id", job}, {"max_unmet", 0.001}},  // only the reactive point is within it
        {{"job_id", job}, {"max_unmet", -0.1}},
        {{"job_id", job}, {"max_unmet", "2%"}},
        {{"job_id", job}, {"max_unmet", 0.02}, {"quantile", 0.9}, {"unmet_budget", 0.005}},
    };
    for (const json& body : bad) {
        auto r = client_->Post("/api/settings/adopt", body.dump());
        EXPECT_EQ(r.status, 422) << body.dump() << " -> " << r.body;
        EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find("max_unmet"), std::string::npos) << r.body;
    }
    EXPECT_EQ(loop_->engine_options().quantile, QuantileLevel::kP99);
}

// Keeping the adoption fails on the service's side: a 500 with the usual error body naming the path, never a 400 (the
// request was valid), and nothing applied. Tests run as root, whom a read-only mode does not stop, so the data
// directory cannot be written because a file stands where it should be, then because a directory stands where
// adopted.yaml goes (the evidence was written, the setting was not).
TEST_F(SettingsAdoptTest, ADataDirectoryItCannotWriteIsAServerErrorNamingThePathAndNothingIsApplied) {
    const std::int64_t job = CannedSweep(ThreePredictivePoints());
    ASSERT_GT(job, 0);
    std::ofstream(config_.data_dir) << "not a directory\n";
    auto blocked = client_->Post("/api/settings/adopt", json{{"job_id", job}}.dump());
    EXPECT_EQ(blocked.status, 500) << blocked.body;
    EXPECT_EQ(Body(blocked)["error"]["code"], "internal") << blocked.body;
    EXPECT_NE(Body(blocked)["error"]["message"].get<std::string>().find(config_.data_dir + "/evidence"),
              std::string::npos)
        << blocked.body;
    EXPECT_EQ(loop_->engine_options().quantile, QuantileLevel::kP95);
    EXPECT_EQ(client_->Get("/api/settings/adopt").status, 200);

    std::filesystem::remove(config_.data_dir);
    std::filesystem::create_directories(config_.data_dir + "/adopted.yaml");
    auto unreplaceable = client_->Post("/api/settings/adopt", json{{"job_id", job}}.dump());
    EXPECT_EQ(unreplaceable.status, 500) << unreplaceable.body;
    EXPECT_NE(Body(unreplaceable)["error"]["message"].get<std::string>().find(config_.data_dir + "/adopted.yaml"),
              std::string::npos)
        << unreplaceable.body;
    EXPECT_EQ(loop_->engine_options().quantile, QuantileLevel::kP95);
    // Reading it back fails on the service's side too.
    auto shown = client_->Get("/api/settings/adopt");
    EXPECT_EQ(shown.status, 500) << shown.body;
    EXPECT_NE(Body(shown)["error"]["message"].get<std::string>().find("adopted.yaml"), std::string::npos) << shown.body;
}

// The shared store of replicas as far as adoptions go (the PostgreSQL one is tested in tests/cluster): rows in
// memory, the newest in force. Everything else is out of this test's scope and says so.
class AdoptionRows final : public Coordination {
  public:
    Result<SharedAdoption> RecordAdoption(const SharedAdoption& a) override {
        SharedAdoption row = a;
        row.id = static_cast<std::int64_t>(rows.size()) + 1;
        row.adopted_at = 1'700'000'000 + row.id;
        rows.push_back(row);
        return row;
    }
    Result<std::optional<SharedAdoption>> LatestAdoption() override {
        if (rows.empty()) return std::optional<SharedAdoption>();
        return std::optional<SharedAdoption>(rows.back());
    }
    std::vector<SharedAdoption> rows;

    Result<LeaseRoundResult> RunLeaseRound(const LeaseRound&) override { return Unused(); }
    Status Leave(const std::string&) override { return Unused(); }
    Status RecordPlan(ResourceId, std::int64_t, UnixSeconds, const std::string&, std::int64_t) override {
        return Unused();
    }
    Result<std::vector<MemberInfo>> ListMembers() override { return Unused(); }
    Result<std::vector<LeaseInfo>> ListLeases() override { return Unused(); }
    Result<QueuedJob> EnqueueJob(const QueuedJob&) override { return Unused(); }
    Result<std::optional<QueuedJob>> ClaimJob(const std::string&, const std::vector<std::string>&,
                                              UnixSeconds) override {
        return Unused();
    }
    Result<QueuedJob> UpdateJob(const QueuedJob&, const std::string&) override { return Unused(); }
    Result<std::optional<QueuedJob>> GetJob(std::int64_t) override { return Unused(); }
    Result<std::vector<QueuedJob>> ListJobs(std::size_t) override { return Unused(); }
    Result<QueuedJob> CancelJob(std::int64_t, UnixSeconds) override { return Unused(); }
    Result<std::int64_t> PruneHistory(std::chrono::seconds, UnixSeconds) override { return Unused(); }
    Result<std::string> AgreeOnKey(const std::string&, const std::string&, const std::vector<std::string>&) override {
        return Unused();
    }
    Status Notify(const std::string&) override { return Unused(); }
    Result<std::vector<std::string>> AwaitNotifications(std::chrono::milliseconds) override { return Unused(); }

  private:
    static Error Unused() { return MakeError(ErrorCode::kInternal, "not used by adoptions"); }
};

// With replicas (cluster.enabled on PostgreSQL) the adoption goes to the shared store, where every replica reads it
// (GET shows the newest, whoever adopted it), not to this replica's adopted.yaml; the sweep's JSON stays with this
// replica, named in the row. Each replica's loop takes it at its lease rounds (app/cluster_setup.cpp FollowAdoptions;
// Cluster.AdoptionOnReplicas runs that end to end on PostgreSQL).
TEST_F(SettingsAdoptTest, ReplicasKeepItInTheSharedStoreForEveryReplica) {
    Config cluster = config_;
    cluster.store_driver = "postgres";
    cluster.cluster_enabled = true;
    AdoptionRows shared;
    context_->adoption = SettingsAdoptionFor(cluster, &shared, "replica-a");
    const std::int64_t job = CannedSweep(ThreePredictivePoints());
    ASSERT_GT(job, 0);
    EXPECT_TRUE(Body(client_->Get("/api/settings/adopt"))["can_adopt"].get<bool>());
    auto r = client_->Post("/api/settings/adopt", json{{"job_id", job}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(loop_->engine_options().quantile, QuantileLevel::kP99) << "the adopting replica applies it at once";
    ASSERT_EQ(shared.rows.size(), 1u);
    const SharedAdoption& row = shared.rows[0];
    EXPECT_EQ(row.quantile, QuantileLevel::kP99);
    EXPECT_DOUBLE_EQ(row.unmet_budget, 0.005);
    EXPECT_EQ(row.member, "replica-a");
    EXPECT_NE(row.reason.find("adopted by user:admin"), std::string::npos) << row.reason;
    EXPECT_EQ(json::parse(row.evidence_summary)["source"], "canned") << row.evidence_summary;
    EXPECT_EQ(json::parse(testing::ReadFile(config_.data_dir + "/" + row.evidence))["source"], "canned");
    EXPECT_FALSE(std::filesystem::exists(config_.data_dir + "/adopted.yaml"));
    const json adopted = Body(r)["adopted"];
    EXPECT_EQ(adopted["kept_in"], "shared store");
    EXPECT_TRUE(adopted["file"].is_null());
    EXPECT_EQ(adopted["replica"], "replica-a");
    EXPECT_EQ(adopted["adoption_id"], 1);

    // Another replica adopted p50 since: GET shows it (the loop takes it at this replica's next lease round).
    SharedAdoption other = row;
    other.quantile = QuantileLevel::kP50;
    other.member = "replica-b";
    ASSERT_TRUE(shared.RecordAdoption(other).ok());
    const json shown = Body(client_->Get("/api/settings/adopt"));
    EXPECT_EQ(shown["source"], "adopted");
    EXPECT_EQ(shown["adopted"]["quantile"], "p50");
    EXPECT_EQ(shown["adopted"]["replica"], "replica-b");
    EXPECT_EQ(shown["adopted"]["evidence_summary"]["source"], "canned");
}

}  // namespace
}  // namespace cloudopt
