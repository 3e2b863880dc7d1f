// Serving the web dashboard (static files with caching and gzip) and the live event stream it listens to.

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>  // before Asio (Boost 1.74, g++ 12)

#include "api/security_fixture.hpp"

namespace cloudopt {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

void Write(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

// A SecureApi whose dashboard directory holds a small fake build.
class DashboardFiles : public ::testing::Test {
  protected:
    void SetUp() override {
        Write(files_.File("dist/index.html"), "<!doctype html><title>cloudopt</title>");
        Write(files_.File("dist/assets/index-abc123.js"), "console.log('plain')");
        Write(files_.File("dist/assets/index-abc123.js.gz"), "GZIPPED-BYTES");
    }
    testing::TempDir files_;
};

// What makes the dashboard installable (issue 34 item 6): the manifest, its icons and the service worker, served
// without a login (a phone fetches them before anyone logs in) and revalidated, since their names carry no hash.
TEST_F(DashboardFiles, ManifestIconsAndServiceWorkerAreServedPublicly) {
    Write(files_.File("dist/manifest.webmanifest"), R"({"name":"cloudopt"})");
    Write(files_.File("dist/sw.js"), "self.addEventListener('fetch', () => {})");
    Write(files_.File("dist/icons/icon-192.png"), "PNG-BYTES");
    testing::SecureApi api(testing::SecureApi::NoLimits(), {}, files_.File("dist"));
    testing::HttpClient client(api.port);
    auto manifest = client.Get("/manifest.webmanifest");
    EXPECT_EQ(manifest.status, 200);
    EXPECT_EQ(manifest.headers["content-type"], "application/manifest+json");
    EXPECT_EQ(manifest.body, R"({"name":"cloudopt"})");
    auto worker = client.Get("/sw.js");
    EXPECT_EQ(worker.status, 200);
    EXPECT_EQ(worker.headers["content-type"], "text/javascript; charset=utf-8");
    EXPECT_EQ(worker.headers["cache-control"], "no-cache");
    auto icon = client.Get("/icons/icon-192.png");
    EXPECT_EQ(icon.status, 200);
    EXPECT_EQ(icon.headers["content-type"], "image/png");
    EXPECT_EQ(client.Get("/icons/icon-1024.png").status, 404);
}

TEST_F(DashboardFiles, IndexIsRevalidatedAssetsAreImmutableAndGzipIsNegotiated) {
    testing::SecureApi api(testing::SecureApi::NoLimits(), {}, files_.File("dist"));
    testing::HttpClient client(api.port);
    auto index = client.Get("/");
    EXPECT_EQ(index.status, 200);
    EXPECT_EQ(index.body, "<!doctype html><title>cloudopt</title>");
    EXPECT_EQ(index.headers["cache-control"], "no-cache");
    EXPECT_EQ(index.headers["content-type"], "text/html; charset=utf-8");

    auto plain = client.Get("/assets/index-abc123.js");
    EXPECT_EQ(plain.body, "console.log('plain')");
    EXPECT_EQ(plain.headers["cache-control"], "public, max-age=31536000, immutable");
    EXPECT_EQ(plain.headers["content-type"], "text/javascript; charset=utf-8");
    EXPECT_EQ(plain.headers.count("content-encoding"), 0u);

    client.SetHeader("Accept-Encoding", "gzip, deflate, br");
    auto gz = client.Get("/assets/index-abc123.js");
    EXPECT_EQ(gz.headers["content-encoding"], "gzip");
    EXPECT_EQ(gz.body, "GZIPPED-BYTES");
    EXPECT_EQ(gz.headers["vary"], "Accept-Encoding");

    EXPECT_EQ(client.Get("/assets/missing.js").status, 404);
    EXPECT_EQ(client.Get("/assets/..%2Findex.html").status, 404) << "no way out of assets/";
}

TEST(DashboardServing, WithoutABuildTheRootPointsToTheApi) {
    testing::SecureApi api;
    testing::HttpClient client(api.port);
    auto r = client.Get("/");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("dashboard was not built"), std::string::npos);
}

// Reads from a raw connection until `needle` appears or two seconds pass.
std::string ReadUntil(tcp::socket& socket, const std::string& needle) {
    std::string got;
    char buf[1024];
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    socket.non_blocking(true);
    while (got.find(needle) == std::string::npos && std::chrono::steady_clock::now() < until) {
        boost::system::error_code ec;
        const std::size_t n = socket.read_some(net::buffer(buf), ec);
        if (ec == net::error::would_block) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            continue;
        }
        if (ec) break;
        got.append(buf, n);
    }
    return got;
}

TEST(Events, StreamsAPassEventToAReaderAndRefusesAnonymousReaders) {
    testing::SecureApi api;
    const std::string bearer = api.auth->BearerFor("viewer", Role::kViewer);
    net::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), api.port));
    net::write(socket, net::buffer("GET /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer + "\r\n\r\n"));
    const std::string got = ReadUntil(socket, "\n\n");
    EXPECT_NE(got.find("200 OK"), std::string::npos) << got;
    EXPECT_NE(got.find("Content-Type: text/event-stream"), std::string::npos) << got;
    EXPECT_NE(got.find("X-Content-Type-Options: nosniff"), std::string::npos) << got;
    EXPECT_NE(got.find("event: pass\ndata: {\"passes\":0,"), std::string::npos) << got;

    // After a control-loop pass the next event says so.
    ASSERT_TRUE(api.loop->RunPass().ok());
    const std::string next = ReadUntil(socket, "\"passes\":1");
    EXPECT_NE(next.find("event: pass\ndata: {\"passes\":1,"), std::string::npos) << next;

    const std::string anonymous = testing::HttpClient::SendRaw(api.port, "GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_NE(anonymous.find("401"), std::string::npos);
}

// A stream outlives the request that opened it: when its reader is disabled, the stream ends too, saying why.
TEST(Events, AStreamEndsWhenItsReaderIsDisabled) {
    testing::SecureApi api;
    const std::string bearer = api.auth->BearerFor("leaving", Role::kViewer);
    net::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), api.port));
    net::write(socket, net::buffer("GET /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer + "\r\n\r\n"));
    ASSERT_NE(ReadUntil(socket, "\n\n").find("event: pass"), std::string::npos);
    auto user = api.auth->auth().store().FindUser("leaving");
    ASSERT_TRUE(user.ok());
    ASSERT_TRUE(api.auth->auth().UpdateUser(user->id, std::nullopt, std::nullopt, true).ok());
    const std::string ended = ReadUntil(socket, "unauthenticated");
    EXPECT_NE(ended.find("event: end\ndata: {\"error\":{\"code\":\"unauthenticated\""), std::string::npos) << ended;
    // ... and the connection is closed after it.
    char byte;
    boost::system::error_code ec;
    socket.non_blocking(false);
    socket.read_some(net::buffer(&byte, 1), ec);
    EXPECT_TRUE(ec == net::error::eof || ec == net::error::connection_reset) << ec.message();
}

}  // namespace
}  // namespace cloudopt

namespace cloudopt {
namespace {

// Four days of a daily wave every 5 minutes, as the dashboard would upload it.
std::string DailyWaveCsv() {
    std::string csv = "timestamp,series,value\n";
    for (int i = 0; i < 4 * 288; ++i) {
        const double v = 50 + 30 * std::sin(2 * 3.14159265 * (i % 288) / 288.0) + (i % 7);
        csv += std::to_string(1'700'000'000 + i * 300) + ",web," + std::to_string(v) + "\n";
    }
    return csv;
}

TEST(Simulations, ComparePoliciesInTheBackgroundOnAnUploadedCsv) {
    testing::SecureApi api;
    testing::HttpClient operator_client(api.port);
    operator_client.SetHeader("Authorization", api.auth->BearerFor("op", Role::kOperator));
    auto r =
        operator_client.Post("/api/simulations", nlohmann::json{{"csv", DailyWaveCsv()}, {"boot_delay_s", 300}}.dump());
    ASSERT_EQ(r.status, 202) << r.body;
    const int job = nlohmann::json::parse(r.body)["job_id"];
    ASSERT_TRUE(api.jobs.WaitFor(job, std::chrono::seconds(120)));
    auto done = nlohmann::json::parse(operator_client.Get("/api/jobs/" + std::to_string(job)).body);
    ASSERT_EQ(done["status"], "succeeded") << done.dump();
    const auto& result = done["result"];
    EXPECT_EQ(result["source"], "uploaded CSV");
    // The predictive policy ran the service's engine with the service's settings and model setup.
    EXPECT_EQ(result["engine"]["quantile"], "p95");
    EXPECT_EQ(result["engine"]["stabilization_seconds"], api.loop->options().engine.stabilization_seconds);
    EXPECT_EQ(result["engine"]["lstm_epochs"], api.loop->options().train_epochs);
    EXPECT_EQ(result["policies"]["static"]["cost_rel"], 1.0);
    EXPECT_LT(result["policies"]["oracle"]["cost_rel"].get<double>(), 1.0) << "a daily wave leaves room below static";
    EXPECT_LE(result["policies"]["oracle"]["cost_rel"].get<double>(),
              result["policies"]["predictive"]["cost_rel"].get<double>());
    const auto& series = result["series"][0];
    EXPECT_EQ(series["id"], "web");
    EXPECT_EQ(series["ts"].size(), series["demand"].size());
    EXPECT_EQ(series["policies"]["reactive"]["capacity"].size(), series["demand"].size());
    EXPECT_GT(series["demand"].size(), 100u);

    // Bad requests get 422 with the reason; viewers may not run simulations.
    EXPECT_EQ(operator_client.Post("/api/simulations", R"({"dataset":"nope"})").status, 422);
    EXPECT_EQ(operator_client.Post("/api/simulations", R"({"csv":"timestamp,value\nx,1\n"})").status, 422);
    EXPECT_EQ(operator_client.Post("/api/simulations", R"({"csv":"1,1\n2,2\n","dataset":"a"})").status, 422);
    EXPECT_EQ(operator_client
                  .Post("/api/simulations", nlohmann::json{{"csv", DailyWaveCsv()}, {"policies", {"magic"}}}.dump())
                  .status,
              422);
    testing::HttpClient viewer(api.port);
    viewer.SetHeader("Authorization", api.auth->BearerFor("v", Role::kViewer));
    EXPECT_EQ(viewer.Post("/api/simulations", nlohmann::json{{"csv", DailyWaveCsv()}}.dump()).status, 403);
    EXPECT_EQ(viewer.Get("/api/simulations/datasets").status, 200);
}

}  // namespace
}  // namespace cloudopt
