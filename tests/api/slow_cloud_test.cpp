// A cloud whose API hangs (a dead network path until its timeout) holds up nothing but its own resources: the
// health check answers, the event stream keeps streaming, and another cloud's resources are planned every tick.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/api_fixture.hpp"

namespace cloudopt {
namespace {

using namespace std::chrono_literals;
using testing::RawConnection;

// Describe blocks while armed, until released (at most 60 s).
class HangingProvider final : public Provider {
  public:
    Result<CapacityState> Describe(const Resource&) override {
        std::unique_lock lock(mutex_);
        if (armed_) {
            ++blocked_;
            changed_.notify_all();
            changed_.wait_for(lock, 60s, [this] { return !armed_; });
            --blocked_;
        }
        CapacityState s;
        s.desired = s.ready = 3;
        s.instance_type = "m5.large";
        return s;
    }
    Status SetDesiredCapacity(const Resource&, int) override { return Status::Ok(); }
    void Arm() {
        std::lock_guard lock(mutex_);
        armed_ = true;
    }
    void Release() {
        std::lock_guard lock(mutex_);
        armed_ = false;
        changed_.notify_all();
    }
    bool WaitUntilBlocked(int calls = 1) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, 30s, [this, calls] { return blocked_ >= calls; });
    }
    bool Blocked() {
        std::lock_guard lock(mutex_);
        return blocked_ > 0;
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool armed_ = false;
    int blocked_ = 0;
};

class SlowCloudTest : public ApiTest {
  protected:
    void SetUp() override {
        adapters_.providers["slow"] = &hanging_;
        adapters_.sources["slow"] = &cloud_;
        ApiTest::SetUp();
    }
    void TearDown() override {
        hanging_.Release();
        loop_->Stop();
        ApiTest::TearDown();
    }
    HangingProvider hanging_;
};

TEST_F(SlowCloudTest, AHangingCloudDelaysNeitherHealthNorEventsNorAnotherCloudsResources) {
    const int fast = CreateResource("web", "sim/a");
    json slow_body = {{"name", "batch"},
                      {"provider", "slow"},
                      {"provider_ref", "sim/b"},
                      {"instance_type", "m5.large"},
                      {"capacity_per_instance", 10},
                      {"mode", "auto"}};
    ASSERT_EQ(client_->Post("/api/resources", slow_body.dump()).status, 201);
    hanging_.Arm();
    loop_->Start();
    ASSERT_TRUE(hanging_.WaitUntilBlocked()) << "the slow cloud's lane never asked it";

    // The health check answers while the slow cloud still hangs, even with the server's two I/O threads' worth of
    // dashboard requests waiting on that cloud (they ask each resource's cloud, on the worker pool).
    std::vector<std::thread> dashboards;
    for (int i = 0; i < 2; ++i)
        dashboards.emplace_back([this] {
            HttpClient reader(port_);
            reader.SetHeader("Authorization", auth_->BearerFor("admin", Role::kAdmin));
            (void)reader.Get("/api/dashboard/stats");
        });
    ASSERT_TRUE(hanging_.WaitUntilBlocked(3)) << "the dashboard requests never reached the slow cloud";
    EXPECT_EQ(client_->Get("/healthz").status, 200);
    EXPECT_TRUE(hanging_.Blocked());

    // The event stream streams: each pass of the other cloud's lane is an event.
    RawConnection events(port_);
    events.Send("GET /api/events HTTP/1.1\r\nHost: t\r\nAuthorization: " + auth_->BearerFor("admin", Role::kAdmin) +
                "\r\n\r\n");
    std::string streamed;
    for (int i = 0; i < 100 && streamed.find("data:") == std::string::npos; ++i) {
        clock_.Advance(60);
        streamed += events.Read(100ms);
    }
    EXPECT_NE(streamed.find("data:"), std::string::npos) << streamed;
    EXPECT_TRUE(hanging_.Blocked());

    // The other cloud's resource is planned every tick.
    std::size_t passes = 0;
    for (int i = 0; i < 200 && passes < 5; ++i) {
        clock_.Advance(60);
        std::this_thread::sleep_for(20ms);
        passes = store_->QuerySamples({fast, "capacity"}, kNow, clock_.Now() + 1)->size();
    }
    EXPECT_GE(passes, 5u);
    EXPECT_TRUE(hanging_.Blocked()) << "the slow cloud was released early: the test proves nothing";
    hanging_.Release();
    for (std::thread& t : dashboards) t.join();
}

}  // namespace
}  // namespace cloudopt
