// The control loop under an Ownership (cluster/ownership.hpp): it plans only what this replica leases, records each
// pass under the lease before acting, and neither applies nor records a change once the lease is gone.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <mutex>

#include "allocate/capacity_planner.hpp"
#include "control/control_loop.hpp"
#include "core/call_deadline.hpp"
#include "forecast/seasonal_naive.hpp"
#include "providers/http_client.hpp"
#include "simulate/simulated_cloud.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

constexpr UnixSeconds kStart = 1'700'006'400;

// Grants what `granted` holds, records plans, and fails them or the apply check on command.
class FakeOwnership final : public cluster::Ownership {
  public:
    std::optional<cluster::LeaseGrant> Grant(ResourceId id, UnixSeconds) override {
        std::lock_guard lock(mutex);
        if (!granted.count(id)) return std::nullopt;
        return cluster::LeaseGrant{id, "replica-a", granted[id], nullptr, deadline};
    }
    std::optional<cluster::LeaseGrant> GrantNow(ResourceId id) override { return Grant(id, 0); }
    Status RecordPlan(const cluster::LeaseGrant& grant, std::int64_t tick, UnixSeconds) override {
        std::lock_guard lock(mutex);
        if (fence_plans) return MakeError(ErrorCode::kConflict, "the lease moved on");
        plans.push_back({grant.resource_id, tick});
        return Status::Ok();
    }
    bool StillHeld(const cluster::LeaseGrant&) const override { return still_held; }
    std::string PlannerOf(ResourceId) const override { return planner; }

    std::mutex mutex;
    std::map<ResourceId, std::int64_t> granted;
    std::vector<std::pair<ResourceId, std::int64_t>> plans;
    bool fence_plans = false;
    bool still_held = true;
    std::optional<std::chrono::steady_clock::time_point> deadline;  // of the leases granted
    std::string planner = "replica-b";
};

// Accepts connections (the kernel's backlog: nobody calls accept) and never answers: a cloud API that hangs.
class HangingEndpoint {
  public:
    HangingEndpoint() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        socklen_t len = sizeof addr;
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
            ADD_FAILURE() << "cannot listen on the loopback";
        port_ = ntohs(addr.sin_port);
    }
    ~HangingEndpoint() { ::close(fd_); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/scale"; }

  private:
    int fd_ = -1;
    int port_ = 0;
};

// Describes from memory; applies through the outbound HTTP client (a 20 s timeout, as a slow cloud's) to `url`.
class HttpProvider final : public Provider {
  public:
    explicit HttpProvider(std::string url) : url_(std::move(url)) {}
    Result<CapacityState> Describe(const Resource&) override {
        CapacityState s;
        s.desired = s.ready = 3;
        s.instance_type = "m5.large";
        return s;
    }
    Status SetDesiredCapacity(const Resource&, int n) override {
        providers::HttpClientOptions options;
        options.timeout = std::chrono::seconds(20);
        options.retry.max_attempts = 3;
        providers::HttpClient client(options);
        auto sent = client.Send({"POST", url_, {}, "{\"desired\":" + std::to_string(n) + "}"});
        if (!sent) return sent.error();
        return Status::Ok();
    }

  private:
    std::string url_;
};

// Counts applies; always 3 running until told otherwise.
class CountingProvider final : public Provider {
  public:
    Result<CapacityState> Describe(const Resource&) override {
        CapacityState s;
        s.desired = s.ready = desired;
        s.instance_type = "m5.large";
        return s;
    }
    Status SetDesiredCapacity(const Resource&, int n) override {
        ++applies;
        desired = n;
        return Status::Ok();
    }
    int desired = 3;
    int applies = 0;
};

class LoopOwnership : public ::testing::Test {
  protected:
    void SetUp() override {
        auto s = OpenSqliteStore(dir_.File("t.db"), clock_);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
        adapters_.providers["aws"] = &provider_;
        loop_ = std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_,
                                              ControlLoopOptions{});
        loop_->SetOwnership(&ownership_);
        for (const char* name : {"mine", "theirs"}) {
            Resource r;
            r.name = name;
            r.provider = "aws";
            r.provider_ref = std::string("asg-") + name;
            r.instance_type = "m5.large";
            r.capacity_per_instance = 10;
            r.min_capacity = 1;
            r.max_capacity = 20;
            r.mode = Mode::kAuto;
            auto created = store_->CreateResource(r);
            ASSERT_TRUE(created.ok());
            // Load 80 now on 3 instances of 10: the reactive floor scales out at once.
            SeriesSamples load{{created->id, r.load_metric}, {{clock_.Now() - 30, 80.0}}};
            ASSERT_TRUE(store_->AppendSamples({&load, 1}).ok());
            ids_[name] = created->id;
        }
        ownership_.granted[ids_["mine"]] = 7;
    }
    std::map<std::string, PassOutcome> Pass() {
        auto outcomes = loop_->RunPass();
        EXPECT_TRUE(outcomes.ok());
        std::map<std::string, PassOutcome> by_name;
        for (PassOutcome& o : *outcomes) by_name[o.resource_name] = o;
        return by_name;
    }

    testing::TempDir dir_;
    ManualClock clock_{kStart};
    std::unique_ptr<Store> store_;
    CountingProvider provider_;
    Adapters adapters_;
    SeasonalNaiveForecaster forecaster_;
    CapacityPlanner planner_;
    Catalog catalog_;
    MetricsRegistry metrics_;
    FakeOwnership ownership_;
    std::unique_ptr<ControlLoop> loop_;
    std::map<std::string, ResourceId> ids_;
};

TEST_F(LoopOwnership, PlansOnlyWhatItLeasesAndRecordsEachPassUnderTheLease) {
    auto outcomes = Pass();
    ASSERT_EQ(outcomes.size(), 2u);
    EXPECT_NE(outcomes["theirs"].error.find("planned by another replica (replica-b)"), std::string::npos)
        << outcomes["theirs"].error;
    EXPECT_FALSE(outcomes["theirs"].decision.has_value());
    ASSERT_TRUE(outcomes["mine"].error.empty()) << outcomes["mine"].error;
    ASSERT_TRUE(outcomes["mine"].action.has_value());
    EXPECT_EQ(outcomes["mine"].action->lease_holder, "replica-a");
    EXPECT_EQ(outcomes["mine"].action->lease_epoch, 7);
    EXPECT_EQ(provider_.applies, 1);
    ASSERT_EQ(ownership_.plans.size(), 1u);
    EXPECT_EQ(ownership_.plans[0].first, ids_["mine"]);
    EXPECT_EQ(ownership_.plans[0].second, kStart / ControlLoopOptions{}.engine.tick_seconds);
}

TEST_F(LoopOwnership, APassWhoseLeaseMovedOnChangesNothing) {
    ownership_.fence_plans = true;
    auto outcomes = Pass();
    EXPECT_NE(outcomes["mine"].error.find("lease: the lease moved on"), std::string::npos) << outcomes["mine"].error;
    EXPECT_EQ(provider_.applies, 0);
    auto actions = store_->ListActions({});
    ASSERT_TRUE(actions.ok());
    EXPECT_TRUE(actions->empty());
}

TEST_F(LoopOwnership, ALeaseThatRunsOutBeforeTheCloudCallIsNotApplied) {
    ownership_.still_held = false;
    auto outcomes = Pass();
    EXPECT_NE(outcomes["mine"].error.find("ran out before the change was applied"), std::string::npos)
        << outcomes["mine"].error;
    EXPECT_EQ(provider_.applies, 0);
    auto actions = store_->ListActions({});
    ASSERT_TRUE(actions.ok());
    EXPECT_TRUE(actions->empty());
}

TEST_F(LoopOwnership, ACloudCallThatHangsEndsWithTheLeaseInsteadOfLandingAfterIt) {
    HangingEndpoint cloud;
    HttpProvider hanging(cloud.url());
    adapters_.providers["aws"] = &hanging;
    loop_ = std::make_unique<ControlLoop>(*store_, clock_, adapters_, forecaster_, planner_, catalog_, metrics_,
                                          ControlLoopOptions{});
    loop_->SetOwnership(&ownership_);
    ownership_.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    const auto started = std::chrono::steady_clock::now();
    auto outcomes = Pass();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // The client's own timeout (20 s, three attempts) would let the call run for a minute; the lease's deadline
    // ends it after 1.5 s, before the lease could be another replica's.
    EXPECT_LT(seconds, 5.0);
    ASSERT_TRUE(outcomes["mine"].action.has_value()) << outcomes["mine"].error;
    EXPECT_EQ(outcomes["mine"].action->status, ActionStatus::kFailed);
    EXPECT_FALSE(outcomes["mine"].action->error.empty());
    // Once the deadline passed, no call starts at all.
    CallDeadline::Scope past(std::chrono::steady_clock::now() - std::chrono::milliseconds(1));
    providers::HttpClient client;
    auto refused = client.Send({"POST", cloud.url(), {}, "{}"});
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("deadline"), std::string::npos) << refused.error().message;
}

TEST_F(LoopOwnership, AResourceBackFromAnotherReplicaIsPlannedFromTheStoreNotFromWhatThisOneRemembered) {
    const ResourceId mine = ids_["mine"];
    auto changes_per_day = [&] {
        return metrics_
            .GetGauge("cloudopt_loop_actions_per_day", "Capacity changes applied over the last 24 hours",
                      {{"resource", "mine"}})
            .Value();
    };
    // Epoch 7: this replica scales out 3 -> 8.
    auto first = Pass();
    ASSERT_TRUE(first["mine"].action.has_value()) << first["mine"].error;
    EXPECT_EQ(changes_per_day(), 1.0);
    // Epoch 8 was another replica's: it scaled 8 -> 12 (the store has its action).
    AllocationAction theirs;
    theirs.resource_id = mine;
    theirs.ts = kStart + 30;
    theirs.from_capacity = provider_.desired;
    theirs.to_capacity = 12;
    theirs.status = ActionStatus::kApplied;
    theirs.reason = "planned by replica-b";
    theirs.lease_holder = "replica-b";
    theirs.lease_epoch = 8;
    ASSERT_TRUE(store_->RecordAction(theirs).ok());
    provider_.desired = 12;
    // Epoch 9: back here, with load for more. The engine knows both earlier changes, not only its own.
    clock_.Advance(120);
    ownership_.granted[mine] = 9;
    SeriesSamples load{{mine, Resource{}.load_metric}, {{clock_.Now() - 10, 190.0}}};
    ASSERT_TRUE(store_->AppendSamples({&load, 1}).ok());
    auto second = Pass();
    ASSERT_TRUE(second["mine"].action.has_value()) << second["mine"].error;
    EXPECT_EQ(second["mine"].action->status, ActionStatus::kApplied);
    EXPECT_EQ(changes_per_day(), 3.0) << "this replica's, the other's and this one's again";
}

TEST_F(LoopOwnership, AResourceThisReplicaIsTakingOverIsNotSaidToBePlannedByAnother) {
    ownership_.planner.clear();  // the assignment names this replica: nobody else plans it
    auto outcomes = Pass();
    EXPECT_EQ(outcomes["theirs"].error.find("planned by another replica"), std::string::npos)
        << outcomes["theirs"].error;
    EXPECT_NE(outcomes["theirs"].error.find("not planned by this replica"), std::string::npos)
        << outcomes["theirs"].error;
}

}  // namespace
}  // namespace cloudopt
