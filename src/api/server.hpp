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
    // Bodies of requests that carry no valid credentials (the login, the refresh): small, and read only after the
    // headers passed the rate limit. Every other body is read only after its sender was authenticated.
    std::size_t max_anonymous_body_bytes = 64 * 1024;
    // Request bodies held in memory at once, across all connections and per client address. A request whose
    // declared body does not fit is answered 503 (all) or 429 (its address) with Retry-After before it is read.
    std::size_t max_buffered_body_bytes = 256u * 1024 * 1024;
    std::size_t max_buffered_body_bytes_per_address = 64u * 1024 * 1024;
    // Open connections: 0 derives the cap from the descriptor limit, leaving a quarter of it (at least 64) for the
    // store, the clouds and the log. A connection over a cap is answered 503 and closed at once.
    std::size_t max_connections = 0;
    std::size_t max_connections_per_address = 512;
    // The worker pool of RouteCost::kBlocking handlers (password hashing) and how many requests may wait for it.
    int blocking_threads = 4;
    std::size_t max_blocking_queue = 64;
    // The pool of RouteCost::kStoreWrite handlers (POST /api/metrics): how many batches are stored at once (each
    // holds one store connection while it runs), and how many may wait for it.
    int store_write_threads = 4;
    std::size_t max_store_write_queue = 64;
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
    // Raises this process's soft descriptor limit to its hard limit (a server needs descriptors for connections).
    Result<unsigned short> Start();
    // The connection cap in force (options.max_connections, or the one derived at Start).
    std::size_t max_connections() const;
    // The bound port of the HTTP-to-HTTPS redirect listener (0 when there is none).
    unsigned short redirect_port() const;
    // Stops accepting, closes connections and joins the threads. Idempotent.
    void Stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace cloudopt::api
