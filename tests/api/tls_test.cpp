// HTTPS: a real TLS handshake against the server, TLS 1.2+ only, HSTS, and the plain-HTTP redirect.

#include <gtest/gtest.h>

#include <utility>  // before Asio (Boost 1.74, g++ 12)

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>

#include "api/security_fixture.hpp"

namespace cloudopt {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

// A self-signed certificate for 127.0.0.1 made with the openssl tool.
struct Certificate {
    explicit Certificate(const testing::TempDir& dir) : cert(dir.File("cert.pem")), key(dir.File("key.pem")) {
        const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "
                                "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
                                key + " -out " + cert + " >/dev/null 2>&1";
        ok = std::system(cmd.c_str()) == 0;
    }
    std::string cert, key;
    bool ok = false;
};

struct TlsResult {
    bool handshake = false;
    std::string protocol;
    int status = 0;
    std::string hsts;
};

TlsResult GetOverTls(unsigned short port, const std::string& ca_file, int max_version) {
    TlsResult out;
    net::io_context ioc;
    ssl::context ctx(ssl::context::tls_client);
    ctx.load_verify_file(ca_file);
    ctx.set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), 0);
    SSL_CTX_set_security_level(ctx.native_handle(), 0);  // let the client offer old versions; the server must refuse
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    beast::get_lowest_layer(stream).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    beast::error_code ec;
    stream.handshake(ssl::stream_base::client, ec);
    if (ec) return out;
    out.handshake = true;
    out.protocol = SSL_get_version(stream.native_handle());
    http::request<http::empty_body> req{http::verb::get, "/healthz", 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    out.status = res.result_int();
    out.hsts = std::string(res[http::field::strict_transport_security]);
    stream.shutdown(ec);
    return out;
}

TEST(Tls, ServesHttpsWithModernProtocolsAndHsts) {
    testing::TempDir dir;
    Certificate cert(dir);
    ASSERT_TRUE(cert.ok) << "openssl could not make a test certificate";
    api::ServerOptions options;
    options.tls_cert_file = cert.cert;
    options.tls_key_file = cert.key;
    options.http_redirect_port = 0;
    testing::SecureApi api(testing::SecureApi::NoLimits(), options);
    ASSERT_NE(api.port, 0);

    TlsResult modern = GetOverTls(api.port, cert.cert, TLS1_3_VERSION);
    ASSERT_TRUE(modern.handshake);
    EXPECT_EQ(modern.protocol, "TLSv1.3");
    EXPECT_EQ(modern.status, 200);
    EXPECT_EQ(modern.hsts, "max-age=31536000; includeSubDomains");
    TlsResult tls12 = GetOverTls(api.port, cert.cert, TLS1_2_VERSION);
    EXPECT_TRUE(tls12.handshake);
    EXPECT_EQ(tls12.protocol, "TLSv1.2");
    EXPECT_FALSE(GetOverTls(api.port, cert.cert, TLS1_1_VERSION).handshake) << "TLS 1.1 must be refused";

    // Plain HTTP on the TLS port gets nowhere; on the redirect port it is sent to https.
    const std::string plain = testing::HttpClient::SendRaw(api.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(plain.find("200 OK"), std::string::npos);
    ASSERT_NE(api.server->redirect_port(), 0);
    testing::HttpClient redirect(api.server->redirect_port());
    auto r = redirect.Get("/api/resources?x=1");
    EXPECT_EQ(r.status, 308);
    EXPECT_EQ(r.headers["location"], "https://127.0.0.1:" + std::to_string(api.port) + "/api/resources?x=1");
}

TEST(Tls, ABadCertificateStopsStartWithAClearError) {
    testing::TempDir dir;
    api::ServerOptions options;
    options.tls_cert_file = dir.File("missing.pem");
    options.tls_key_file = dir.File("missing-key.pem");
    testing::SecureApi unused;  // the fixture's store etc.
    api::HttpServer server(unused.router, unused.metrics, options);
    auto started = server.Start();
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.error().message.find("TLS certificate"), std::string::npos) << started.error().message;
}

}  // namespace
}  // namespace cloudopt
