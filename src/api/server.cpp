// Beast session/listener, shaped like Beast's http_server_async example: the session does I/O only and hands
// each request to the router (a plain function), so routing is tested without sockets.

#include "api/server.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <array>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/json_io.hpp"

namespace cloudopt::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Per-request counters and histograms, looked up once per (route, method, status) and then reused: rendering
// label sets and locking the registry on every request cost more than the rest of a small GET.
class ServerMetrics {
public:
    explicit ServerMetrics(MetricsRegistry& registry)
        : open_connections(registry.GetGauge("cloudopt_http_open_connections", "HTTP connections open now")),
          registry_(registry) {}

    Gauge& open_connections;

    // `route` is a route pattern or a fixed word, and unknown methods are folded into "other", so a client cannot
    // create unbounded label sets.
    void Record(const std::string& route, const std::string& raw_method, int status, double seconds) {
        static const std::array<std::string, 7> kMethods = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};
        const bool known = std::find(kMethods.begin(), kMethods.end(), raw_method) != kMethods.end();
        const std::string& method = known || raw_method.empty() ? raw_method : kOtherMethod;
        Slot* slot = nullptr;
        {
            std::string key = route;
            key.append(1, '\n').append(method).append(1, '\n').append(std::to_string(status));
            std::lock_guard lock(mutex_);
            auto it = slots_.find(key);
            if (it == slots_.end()) {
                Slot fresh{&registry_.GetCounter("cloudopt_http_requests_total",
                                                 "HTTP requests by route, method and status",
                                                 {{"route", route}, {"method", method}, {"status", std::to_string(status)}}),
                           &registry_.GetHistogram("cloudopt_http_request_seconds",
                                                   "Time from a parsed request to its response", {{"route", route}},
                                                   MetricsRegistry::LatencyBuckets())};
                it = slots_.emplace(std::move(key), fresh).first;
            }
            slot = &it->second;
        }
        slot->requests->Inc();
        slot->latency->Observe(seconds);
    }

private:
    struct Slot {
        Counter* requests;
        Histogram* latency;
    };
    inline static const std::string kOtherMethod = "other";
    MetricsRegistry& registry_;
    std::mutex mutex_;
    std::unordered_map<std::string, Slot> slots_;
};

http::response<http::string_body> ToBeast(HttpResponse&& r, unsigned version, bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "cloudopt");
    if (r.status != 204) res.set(http::field::content_type, r.content_type);
    for (auto& [name, value] : r.headers) res.set(name, value);
    res.keep_alive(keep_alive);
    res.body() = std::move(r.body);
    res.prepare_payload();
    return res;
}

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket&& socket, const Router& router, ServerMetrics& metrics, const ServerOptions& options)
        : stream_(std::move(socket)), router_(router), metrics_(metrics), options_(options) {
        metrics_.open_connections.Add(1);
    }
    ~Session() { metrics_.open_connections.Add(-1); }

    void Run() { net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::DoRead, shared_from_this())); }

private:
    void DoRead() {
        parser_.emplace();
        parser_->body_limit(options_.max_body_bytes);
        parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
        stream_.expires_after(options_.request_timeout);
        http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnRead, shared_from_this()));
    }

    void OnRead(beast::error_code ec, std::size_t) {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
            ec == net::error::connection_reset || ec == net::error::eof)
            return Close();
        if (ec == http::error::body_limit) {
            return SendError(MakeError(ErrorCode::kPayloadTooLarge, "request body exceeds " +
                                                                        std::to_string(options_.max_body_bytes) +
                                                                        " bytes; split it into smaller batches"));
        }
        if (ec == http::error::header_limit)
            return SendError(MakeError(ErrorCode::kInvalidArgument, "request headers are too large"));
        if (ec) return SendError(MakeError(ErrorCode::kInvalidArgument, "malformed HTTP request: " + ec.message()));

        const auto started = std::chrono::steady_clock::now();
        http::request<http::string_body> req = parser_->release();
        HttpRequest request;
        request.method = std::string(req.method_string());
        if (!ParseTarget(std::string(req.target()), request.path, request.query)) {
            return Respond(ErrorResponse(MakeError(ErrorCode::kInvalidArgument, "malformed percent-encoding in URL")),
                           req.version(), req.keep_alive(), "unmatched", request.method, started);
        }
        request.content_type = std::string(req[http::field::content_type]);
        request.body = std::move(req.body());
        Router::Dispatch dispatch = router_.Handle(std::move(request));
        Respond(std::move(dispatch.response), req.version(), req.keep_alive(), dispatch.route,
                std::string(req.method_string()), started);
    }

    void Respond(HttpResponse&& response, unsigned version, bool keep_alive, const std::string& route,
                 const std::string& method, std::chrono::steady_clock::time_point started) {
        const int status = response.status;
        auto res = std::make_shared<http::response<http::string_body>>(ToBeast(std::move(response), version, keep_alive));
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        metrics_.Record(route, method, status, seconds);
        Write(std::move(res));
    }

    // Errors found before a request could be parsed: answer once, then close the connection.
    void SendError(const Error& error) {
        auto res = std::make_shared<http::response<http::string_body>>(ToBeast(ErrorResponse(error), 11, false));
        metrics_.Record("unparsed", "", static_cast<int>(res->result_int()), 0.0);
        Write(std::move(res));
    }

    void Write(std::shared_ptr<http::response<http::string_body>> res) {
        stream_.expires_after(options_.request_timeout);
        http::async_write(stream_, *res,
                          [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                              if (ec || !res->keep_alive()) return self->Close();
                              self->DoRead();
                          });
    }

    void Close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    const Router& router_;
    ServerMetrics& metrics_;
    const ServerOptions& options_;
};

// Accepts on the first io_context and hands each connection to the next one in turn. One io_context per
// thread, each run by exactly one thread: no handler ever migrates between threads, so Asio needs no strands
// and the threads do not contend on one shared reactor (that contention cost a third of the CPU time).
class Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(std::vector<std::unique_ptr<net::io_context>>& contexts, tcp::acceptor acceptor, const Router& router,
             ServerMetrics& metrics, const ServerOptions& options)
        : contexts_(contexts), acceptor_(std::move(acceptor)), router_(router), metrics_(metrics), options_(options) {}

    void Run() { DoAccept(); }
    void Stop() {
        net::post(acceptor_.get_executor(), [self = shared_from_this()] {
            beast::error_code ec;
            self->acceptor_.close(ec);
        });
    }

private:
    void DoAccept() {
        net::io_context& target = *contexts_[next_++ % contexts_.size()];
        acceptor_.async_accept(target, beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
    }
    void OnAccept(beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
        if (ec) {
            spdlog::warn("accept failed: {}", ec.message());
        } else {
            beast::error_code opt_ec;
            socket.set_option(tcp::no_delay(true), opt_ec);
            std::make_shared<Session>(std::move(socket), router_, metrics_, options_)->Run();
        }
        DoAccept();
    }

    std::vector<std::unique_ptr<net::io_context>>& contexts_;
    tcp::acceptor acceptor_;
    const Router& router_;
    ServerMetrics& metrics_;
    const ServerOptions& options_;
    std::size_t next_ = 0;
};

int ThreadCount(const ServerOptions& options) {
    return options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

struct HttpServer::Impl {
    Impl(const Router& r, MetricsRegistry& m, ServerOptions o) : router(r), metrics(m), options(std::move(o)) {
        for (int i = 0; i < ThreadCount(options); ++i) contexts.push_back(std::make_unique<net::io_context>(1));
    }

    const Router& router;
    ServerMetrics metrics;
    ServerOptions options;
    std::vector<std::unique_ptr<net::io_context>> contexts;
    std::shared_ptr<Listener> listener;
    std::vector<std::thread> threads;
};

HttpServer::HttpServer(const Router& router, MetricsRegistry& metrics, ServerOptions options)
    : impl_(std::make_unique<Impl>(router, metrics, std::move(options))) {}

HttpServer::~HttpServer() { Stop(); }

Result<unsigned short> HttpServer::Start() {
    beast::error_code ec;
    const auto address = net::ip::make_address(impl_->options.bind_address, ec);
    if (ec) return MakeError(ErrorCode::kInvalidArgument, "bind address '" + impl_->options.bind_address + "' is invalid");
    tcp::acceptor acceptor(*impl_->contexts.front());
    const tcp::endpoint endpoint(address, impl_->options.port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
        return MakeError(ErrorCode::kUnavailable, "cannot listen on " + impl_->options.bind_address + ":" +
                                                      std::to_string(impl_->options.port) + ": " + ec.message() +
                                                      " (is another server using the port? try --port)");
    const unsigned short port = acceptor.local_endpoint().port();
    impl_->listener = std::make_shared<Listener>(impl_->contexts, std::move(acceptor), impl_->router, impl_->metrics,
                                                 impl_->options);
    impl_->listener->Run();
    for (auto& context : impl_->contexts) {
        net::io_context* ioc = context.get();
        impl_->threads.emplace_back([ioc] {
            // Keep running while idle: connections arrive on other threads' acceptor and are posted here.
            auto guard = net::make_work_guard(*ioc);
            ioc->run();
        });
    }
    return port;
}

void HttpServer::Stop() {
    if (!impl_ || impl_->threads.empty()) return;
    if (impl_->listener) impl_->listener->Stop();
    for (auto& context : impl_->contexts) context->stop();
    for (std::thread& t : impl_->threads) t.join();
    impl_->threads.clear();
}

}  // namespace cloudopt::api
