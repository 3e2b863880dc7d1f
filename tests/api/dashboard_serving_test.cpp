// Serving the web dashboard (static files with caching and gzip) and the live event stream it listens to.

#include <gtest/gtest.h>

#include <utility>  // before Asio (Boost 1.74, g++ 12)

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

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

}  // namespace
}  // namespace cloudopt
