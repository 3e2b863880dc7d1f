#pragma once
// The HTTP server: Boost.Beast over Asio, asynchronous, keep-alive, a thread pool, body/header/time limits.
// Beast stays inside server.cpp; this header is free of it so the rest of the build stays fast.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "api/router.hpp"
#include "core/error.hpp"
#include "core/telemetry.hpp"

namespace cloudopt::api {

struct ServerOptions {
    std::string bind_address = "127.0.0.1";
    unsigned short port = 8080;  // 0 picks a free port (tests)
    int threads = 0;             // 0: one per core
    std::size_t max_body_bytes = 8 * 1024 * 1024;
    std::size_t max_header_bytes = 16 * 1024;
    std::chrono::seconds request_timeout{30};  // to read a whole request, and to write a response
    // TLS: both set to serve HTTPS (TLS 1.2+) with this PEM certificate chain and key.
    std::string tls_cert_file;
    std::string tls_key_file;
    // With TLS: also listen for plain HTTP on this port (0: any free one) and redirect it to https.
    std::optional<unsigned short> http_redirect_port;
    bool hsts = true;  // with TLS: Strict-Transport-Security on every response
    // The one origin allowed to call the API from a browser page served elsewhere (e.g. the dashboard's dev
    // server, "http://localhost:5173"). Empty: same-origin only.
    std::string cors_origin;
};

class HttpServer {
public:
    HttpServer(const Router& router, MetricsRegistry& metrics, ServerOptions options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and starts the worker threads; returns the bound port. kUnavailable when the port is taken.
    Result<unsigned short> Start();
    // The bound port of the HTTP-to-HTTPS redirect listener (0 when there is none).
    unsigned short redirect_port() const;
    // Stops accepting, closes connections and joins the threads. Idempotent.
    void Stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace cloudopt::api
