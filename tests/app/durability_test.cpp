// Ingest through the API, kill -9 the server, restart it on the same data, and find every acknowledged sample.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <atomic>
#include <thread>

#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/service.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

using nlohmann::json;

using testing::WaitHealthy;

TEST(Durability, AcknowledgedSamplesSurviveKillMinusNine) {
    testing::TempDir dir;
    setenv("CLOUDOPT_ADMIN_PASSWORD", testing::kTestAdminPassword, 1);  // the first-run admin of the child
    const unsigned short port = testing::FreePort();
    const std::vector<std::string> args = {CLOUDOPT_BINARY, "serve", "--demo", "--speed", "1", "--port",
                                           std::to_string(port), "--data-dir", dir.File("data")};
    constexpr int kBatch = 1000;
    constexpr long long kBase = 1600000000;
    int acknowledged_batches = 0;
    {
        testing::ChildProcess server(args, dir.File("log1"));
        ASSERT_TRUE(server.started());
        ASSERT_TRUE(WaitHealthy(port)) << "server did not come up";
        const std::string bearer = testing::LoginBearer(port);
        ASSERT_FALSE(bearer.empty());
        // A second thread keeps writing while the server is killed mid-stream.
        std::atomic<int> acked{0};
        std::atomic<bool> stop{false};
        std::atomic<bool> writer_done{false};
        std::thread writer([&] {
            testing::HttpClient c(port);
            c.SetHeader("Authorization", bearer);
            for (int b = 0; !stop; ++b) {
                json points = json::array();
                for (int i = 0; i < kBatch; ++i) points.push_back({kBase + b * kBatch + i, b * kBatch + i});
                json body = {{"series", {{{"resource", "web-frontend"}, {"metric", "durability_probe"}, {"points", points}}}}};
                try {
                    auto r = c.Post("/api/metrics", body.dump());
                    if (r.status == 429) {  // the per-caller rate limit: wait as told and go on
                        std::this_thread::sleep_for(std::chrono::seconds(1));
                        --b;
                        continue;
                    }
                    if (r.status != 200) {
                        ADD_FAILURE() << r.status << " " << r.body;
                        break;
                    }
                    acked = b + 1;  // batches are acknowledged in order on one connection
                } catch (const std::exception&) {
                    break;  // the server died under us: this batch was never acknowledged
                }
            }
            writer_done = true;
        });
        while (acked < 20 && !writer_done) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        server.Signal(SIGKILL);
        EXPECT_EQ(server.Wait(), 128 + SIGKILL);
        stop = true;
        writer.join();
        acknowledged_batches = acked;
    }
    ASSERT_GE(acknowledged_batches, 20);

    testing::ChildProcess again(args, dir.File("log2"));
    ASSERT_TRUE(WaitHealthy(port));
    testing::HttpClient c(port);
    c.SetHeader("Authorization", testing::LoginBearer(port));
    auto r = c.Get("/api/metrics?resource=web-frontend&metric=durability_probe&from=" + std::to_string(kBase) +
                   "&to=" + std::to_string(kBase + 10'000'000));
    ASSERT_EQ(r.status, 200) << r.body;
    const json points = json::parse(r.body)["points"];
    ASSERT_GE(points.size(), static_cast<std::size_t>(acknowledged_batches * kBatch));
    // Every acknowledged sample is there with its value (later unacknowledged batches may be too).
    for (int i = 0; i < acknowledged_batches * kBatch; ++i) {
        ASSERT_EQ(points[i][0].get<long long>(), kBase + i);
        ASSERT_EQ(points[i][1].get<double>(), i);
    }
    again.Signal(SIGTERM);
    EXPECT_EQ(again.Wait(), 0);  // a clean shutdown on SIGTERM
}

}  // namespace
}  // namespace cloudopt
