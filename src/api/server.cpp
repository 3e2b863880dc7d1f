// Beast session/listener, shaped like Beast's http_server_async example: the session does I/O only and hands
// each request to the router (a plain function), so routing is tested without sockets.

#include "api/server.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <chrono>
#include <limits>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it
#include <vector>

#include "api/access_control.hpp"
#include "api/client_allowance.hpp"
#include "api/json_io.hpp"
#include "api/worker_pool.hpp"

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
          buffered_body_bytes(registry.GetGauge("cloudopt_http_buffered_body_bytes",
                                                "Request body bytes held in memory now (reserved as declared)")),
          registry_(registry) {}

    Gauge& open_connections;
    Gauge& buffered_body_bytes;

    // Connections and requests turned away before routing, by why: a bounded label set.
    void Refused(const char* reason) {
        registry_
            .GetCounter("cloudopt_http_refused_total",
                        "Connections or requests refused by the server's limits before routing", {{"reason", reason}})
            .Inc();
    }

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
                Slot fresh{
                    &registry_.GetCounter("cloudopt_http_requests_total", "HTTP requests by route, method and status",
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

// Headers every response carries. The dashboard is served from this origin, so a strict policy costs nothing.
template <typename Body>
void AddSecurityHeaders(http::response<Body>& res, const ServerOptions& options, bool tls) {
    res.set("X-Content-Type-Options", "nosniff");
    res.set("X-Frame-Options", "DENY");
    res.set("Referrer-Policy", "no-referrer");
    res.set("Cross-Origin-Opener-Policy", "same-origin");
    res.set("Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'");
    if (tls && options.hsts) res.set(http::field::strict_transport_security, "max-age=31536000; includeSubDomains");
}

// The same headers as one block of header lines, for RenderResponse.
std::string SecurityHeaderLines(const ServerOptions& options, bool tls) {
    http::response<http::empty_body> res;
    AddSecurityHeaders(res, options, tls);
    std::string lines;
    for (const auto& field : res) {
        const beast::string_view name = field.name_string(), value = field.value();
        lines.append(name.data(), name.size());
        lines += ": ";
        lines.append(value.data(), value.size());
        lines += "\r\n";
    }
    return lines;
}

// A response on the wire: the status line and headers in `head`, then `body`, written with one writev. Rendered
// here rather than through Beast's serializer: building Beast's header fields and walking its buffer views was a
// tenth of the CPU time of the cheapest requests. Header names and values come from our own code.
struct WireResponse {
    std::string head;
    std::string body;
    bool keep_alive = false;
};

// `head`: the answer to a HEAD request, with the headers (Content-Length included) of the GET answer but no body.
WireResponse RenderResponse(HttpResponse&& r, unsigned version, bool keep_alive, const std::string& security_lines,
                            bool head = false) {
    WireResponse wire;
    wire.keep_alive = keep_alive;
    const bool has_body = r.status >= 200 && r.status != 204 && r.status != 304;
    std::string& h = wire.head;
    h.reserve(384);
    h += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    char number[24];
    h.append(number, std::to_chars(number, number + sizeof number, r.status).ptr);
    h += ' ';
    const beast::string_view reason = http::obsolete_reason(static_cast<http::status>(r.status));
    h.append(reason.data(), reason.size());
    h += "\r\nServer: cloudopt\r\n";
    if (has_body) {
        h += "Content-Type: ";
        h += r.content_type;
        h += "\r\nContent-Length: ";
        h.append(number, std::to_chars(number, number + sizeof number, r.body.size()).ptr);
        h += "\r\n";
    }
    for (const auto& [name, value] : r.headers) {
        h += name;
        h += ": ";
        h += value;
        h += "\r\n";
    }
    if (version == 10 && keep_alive) h += "Connection: keep-alive\r\n";
    if (version != 10 && !keep_alive) h += "Connection: close\r\n";
    h += security_lines;
    h += "\r\n";
    if (has_body && !head) wire.body = std::move(r.body);
    return wire;
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// What every connection of one server shares. Owned by HttpServer::Impl, which outlives its sessions' handlers
// (Stop joins the I/O threads and the worker pool before the parts go).
struct ServerParts {
    const Router& router;
    ServerMetrics& metrics;
    const ServerOptions& options;
    ClientAllowance& connections;
    ClientAllowance& body_bytes;
    WorkerPool& blocking;
    WorkerPool& store_writes;
};

// Gives a connection's slot back when the session ends, however it ends.
class ConnectionSlot {
  public:
    ConnectionSlot(ClientAllowance& connections, std::string address)
        : connections_(connections), address_(std::move(address)) {}
    ~ConnectionSlot() { connections_.Give(address_, 1); }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;
    const std::string& address() const { return address_; }

  private:
    ClientAllowance& connections_;
    std::string address_;
};

bool IsDisconnect(const beast::error_code& ec) {
    return ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
           ec == net::error::connection_reset || ec == net::error::eof || ec == net::ssl::error::stream_truncated;
}

// One connection: plain TCP or TLS. With `redirect_port` set (the plain listener beside a TLS one), every
// request is answered with a redirect to https instead of being routed.
//
// A request is read in two steps: the headers, which the router admits or refuses (rate limits, authentication,
// permission) before a byte of the body is read; then the body, within the sender's limit and only once the
// server-wide budget of buffered bytes had room for it. An unauthenticated client therefore never makes the
// server hold more than max_anonymous_body_bytes for it.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
    static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  public:
    template <typename... StreamArgs>
    Session(ServerParts& parts, std::unique_ptr<ConnectionSlot> slot, unsigned short redirect_port,
            StreamArgs&&... stream_args)
        : stream_(std::forward<StreamArgs>(stream_args)...),
          parts_(parts),
          router_(parts.router),
          metrics_(parts.metrics),
          options_(parts.options),
          slot_(std::move(slot)),
          redirect_port_(redirect_port),
          security_lines_(SecurityHeaderLines(parts.options, kTls)) {
        metrics_.open_connections.Add(1);
    }
    ~Session() {
        ReleaseBody();
        metrics_.open_connections.Add(-1);
    }

    void Run() {
        net::dispatch(beast::get_lowest_layer(stream_).get_executor(), [self = this->shared_from_this()] {
            if constexpr (kTls) {
                beast::get_lowest_layer(self->stream_).expires_after(self->options_.request_timeout);
                self->stream_.async_handshake(net::ssl::stream_base::server, [self](beast::error_code ec) {
                    if (ec) return;  // not TLS, or a failed handshake: just drop it
                    self->DoRead();
                });
            } else {
                self->DoRead();
            }
        });
    }

  private:
    const std::string& remote_address() const { return slot_->address(); }

    void DoRead() {
        parser_.emplace();
        // No body limit while the headers are read: the limit depends on who sends (OnHeader sets it), and Beast
        // would otherwise refuse a large Content-Length before the sender could be told 401.
        parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
        parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
        // A large body of the previous request must not stay allocated while the connection idles.
        if (buffer_.capacity() > 64 * 1024) buffer_.shrink_to_fit();
        beast::get_lowest_layer(stream_).expires_after(options_.request_timeout);
        http::async_read_header(
            stream_, buffer_, *parser_,
            [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->OnHeader(ec); });
    }

    void OnHeader(beast::error_code ec) {
        if (IsDisconnect(ec)) return Close();
        if (ec == http::error::header_limit)
            return SendError(MakeError(ErrorCode::kInvalidArgument, "request headers are too large"));
        if (ec) return SendError(MakeError(ErrorCode::kInvalidArgument, "malformed HTTP request: " + ec.message()));

        started_ = std::chrono::steady_clock::now();
        const auto& req = parser_->get();
        // A Transfer-Encoding that does not end in chunked leaves the end of the body unknown. Beast would read such
        // a request as bodiless and its body as the next request: behind a proxy that frames it otherwise, a way to
        // smuggle a request past the proxy. Refuse it and close (RFC 9112 6.3).
        if (req.count(http::field::transfer_encoding) != 0 && !parser_->chunked())
            return SendError(MakeError(ErrorCode::kInvalidArgument,
                                       "Transfer-Encoding must end in 'chunked' (or send Content-Length instead)"));
        // Whether the body is still to come: a refusal sent now must then close the connection.
        body_pending_ = !parser_->is_done();
        if (redirect_port_ != 0) return Respond(RedirectToHttps(req), "redirect");
        origin_ = std::string(req[http::field::origin]);
        if (req.method() == http::verb::options) return Respond(Preflight(origin_), "preflight");

        request_ = HttpRequest{};
        request_.method = std::string(req.method_string());
        if (!ParseTarget(std::string(req.target()), request_.path, request_.query)) {
            return Respond(ErrorResponse(MakeError(ErrorCode::kInvalidArgument, "malformed percent-encoding in URL")),
                           "unmatched");
        }
        request_.content_type = std::string(req[http::field::content_type]);
        request_.authorization = std::string(req[http::field::authorization]);
        request_.cookie = std::string(req[http::field::cookie]);
        request_.accept_encoding = std::string(req[http::field::accept_encoding]);
        request_.remote_address = remote_address();
        request_.secure = kTls;

        auto admission = router_.Admit(request_);
        if (auto* refused = std::get_if<Router::Dispatch>(&admission)) return Finish(std::move(*refused));
        admitted_ = std::get<Router::Admitted>(admission);
        if (!body_pending_) return Dispatch();

        const std::size_t limit = request_.principal
                                      ? options_.max_body_bytes
                                      : std::min(options_.max_body_bytes, options_.max_anonymous_body_bytes);
        const auto declared = parser_->content_length();
        if (declared && *declared > limit) return RefuseBody(TooLarge(limit, request_.principal.has_value()));
        // A chunked body may grow to the limit: it is reserved whole.
        const std::size_t wanted = declared ? static_cast<std::size_t>(*declared) : limit;
        const std::size_t budget =
            std::min(parts_.body_bytes.total_cap() ? parts_.body_bytes.total_cap() : wanted,
                     parts_.body_bytes.per_address_cap() ? parts_.body_bytes.per_address_cap() : wanted);
        if (wanted > budget) {  // could never fit: a retry would not help
            return RefuseBody(ErrorResponse(MakeError(
                ErrorCode::kPayloadTooLarge,
                "request body of " + std::to_string(wanted) + " bytes exceeds the server's buffer budget of " +
                    std::to_string(budget) + " bytes (server.max_buffered_body_mb_per_address); send less at once")));
        }
        switch (parts_.body_bytes.Take(remote_address(), wanted)) {
            case ClientAllowance::Grant::kGranted:
                break;
            case ClientAllowance::Grant::kTotalExhausted:
                metrics_.Refused("body_budget");
                return RefuseBody(Busy("the server holds as many request bodies as it may; retry shortly"));
            case ClientAllowance::Grant::kAddressExhausted:
                metrics_.Refused("body_budget_address");
                return RefuseBody(
                    TooManyRequests("too many request bodies in flight from " + remote_address() + "; slow down", 1));
        }
        reserved_body_ = wanted;
        body_limit_ = limit;
        metrics_.buffered_body_bytes.Add(static_cast<double>(wanted));
        parser_->body_limit(limit);
        http::async_read(
            stream_, buffer_, *parser_,
            [self = this->shared_from_this()](beast::error_code read_ec, std::size_t) { self->OnBody(read_ec); });
    }

    void OnBody(beast::error_code ec) {
        if (ec == http::error::body_limit) {
            ReleaseBody();
            body_pending_ = true;
            return Finish({TooLarge(body_limit_, request_.principal.has_value()), admitted_.pattern});
        }
        if (ec) {
            ReleaseBody();
            if (IsDisconnect(ec)) return Close();
            return SendError(MakeError(ErrorCode::kInvalidArgument, "malformed HTTP request: " + ec.message()));
        }
        body_pending_ = false;
        request_.body = std::move(parser_->get().body());
        Dispatch();
    }

    // Runs the admitted route: on this thread, or on the worker pool for a blocking one (the answer comes back
    // to this connection's thread).
    void Dispatch() {
        if (admitted_.cost == RouteCost::kCheap) return Finish(router_.Serve(admitted_, request_));
        auto self = this->shared_from_this();
        const bool store_write = admitted_.cost == RouteCost::kStoreWrite;
        WorkerPool& pool = store_write ? parts_.store_writes : parts_.blocking;
        const bool queued = pool.Submit([self] {
            Router::Dispatch done = self->router_.Serve(self->admitted_, self->request_);
            net::post(beast::get_lowest_layer(self->stream_).get_executor(),
                      [self, done = std::move(done)]() mutable { self->Finish(std::move(done)); });
        });
        if (!queued && store_write) {
            metrics_.Refused("store_write_queue");
            Finish({Busy("the server is busy storing other metric batches (server queue full); nothing of this one "
                         "was stored: retry it after the Retry-After seconds"),
                    admitted_.pattern});
        } else if (!queued) {
            metrics_.Refused("worker_queue");
            Finish({Busy("the server is busy with other logins; retry shortly"), admitted_.pattern});
        }
    }

    void Finish(Router::Dispatch dispatch) {
        ReleaseBody();
        if (!origin_.empty() && origin_ == options_.cors_origin) AllowOrigin(dispatch.response, origin_);
        if (dispatch.response.next_events && !body_pending_ && request_.method != "HEAD")
            return StartEvents(std::move(dispatch.response), dispatch.route);
        dispatch.response.next_events = nullptr;
        Respond(std::move(dispatch.response), dispatch.route);
    }

    void ReleaseBody() {
        request_.body = std::string();
        if (reserved_body_ == 0) return;
        parts_.body_bytes.Give(remote_address(), reserved_body_);
        metrics_.buffered_body_bytes.Add(-static_cast<double>(reserved_body_));
        reserved_body_ = 0;
    }

    // An answer sent instead of reading the body: the connection closes after it.
    void RefuseBody(HttpResponse response) { Finish({std::move(response), admitted_.pattern}); }

    static HttpResponse TooLarge(std::size_t limit, bool authenticated) {
        return ErrorResponse(MakeError(
            ErrorCode::kPayloadTooLarge,
            authenticated ? "request body exceeds " + std::to_string(limit) + " bytes; split it into smaller batches"
                          : "request body exceeds " + std::to_string(limit) +
                                " bytes, the limit before authentication; send the Authorization header"));
    }

    static HttpResponse Busy(const std::string& message) {
        HttpResponse r = ErrorResponse(MakeError(ErrorCode::kUnavailable, message));
        r.headers.emplace_back("Retry-After", "1");
        return r;
    }

    // CORS: only the configured dashboard origin may call the API from a browser; credentials allowed for it.
    static void AllowOrigin(HttpResponse& r, const std::string& origin) {
        r.headers.emplace_back("Access-Control-Allow-Origin", origin);
        r.headers.emplace_back("Access-Control-Allow-Credentials", "true");
        r.headers.emplace_back("Vary", "Origin");
    }

    HttpResponse Preflight(const std::string& origin) const {
        if (origin.empty() || origin != options_.cors_origin) {
            HttpResponse r = ErrorResponse(MakeError(
                ErrorCode::kPermissionDenied, "cross-origin requests from '" + origin +
                                                  "' are not allowed (security.cors_origin names the allowed origin)"));
            r.headers.emplace_back("Allow", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
            return r;
        }
        HttpResponse r;
        r.status = 204;
        AllowOrigin(r, origin);
        r.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE");
        r.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
        r.headers.emplace_back("Access-Control-Max-Age", "600");
        return r;
    }

    HttpResponse RedirectToHttps(const http::request<http::string_body>& req) const {
        std::string host(req[http::field::host]);
        if (host.empty() || host.find_first_of("/\\@ \t") != std::string::npos) host = options_.bind_address;
        // Strip a port (keeping IPv6 brackets) and put the TLS port in its place.
        const std::size_t bracket = host.rfind(']');
        const std::size_t colon = host.rfind(':');
        if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) host.resize(colon);
        HttpResponse r;
        r.status = 308;
        r.content_type = "text/plain";
        r.headers.emplace_back("Location",
                               "https://" + host + ":" + std::to_string(options_.port) + std::string(req.target()));
        r.body = "use https\n";
        return r;
    }

    // Answers the request whose headers parser_ holds. A body still unread closes the connection afterwards.
    void Respond(HttpResponse&& response, const std::string& route) {
        const auto& req = parser_->get();
        const int status = response.status;
        const bool keep_alive = req.keep_alive() && !body_pending_;
        auto wire = std::make_shared<WireResponse>(RenderResponse(std::move(response), req.version(), keep_alive,
                                                                  security_lines_, req.method() == http::verb::head));
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
        metrics_.Record(route, std::string(req.method_string()), status, seconds);
        Write(std::move(wire));
    }

    // Server-Sent Events: the headers now, then whatever next_events() has every half second, and a comment every
    // 15 s so proxies and the client notice a dead connection. The connection is not reused afterwards.
    void StartEvents(HttpResponse&& response, const std::string& route) {
        const auto& req = parser_->get();
        next_events_ = std::move(response.next_events);
        auto head = std::make_shared<http::response<http::empty_body>>(static_cast<http::status>(response.status),
                                                                       req.version());
        head->set(http::field::server, "cloudopt");
        head->set(http::field::content_type, "text/event-stream");
        head->set(http::field::cache_control, "no-cache");
        for (auto& [name, value] : response.headers) head->set(name, value);
        head->keep_alive(false);
        AddSecurityHeaders(*head, options_, kTls);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
        metrics_.Record(route, std::string(req.method_string()), response.status, seconds);
        auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*head);
        beast::get_lowest_layer(stream_).expires_never();
        http::async_write_header(
            stream_, *serializer,
            [self = this->shared_from_this(), head, serializer](beast::error_code ec, std::size_t) {
                if (ec) return self->Close();
                self->timer_.emplace(beast::get_lowest_layer(self->stream_).get_executor());
                self->WatchForClose();
                self->WaitForEvents();
            });
    }

    // An event stream only writes; a read that ends tells at once that the client went away, so the stream (and
    // its place among the user's streams) is released then, not at the next failed write.
    void WatchForClose() {
        if (!linger_buffer_) linger_buffer_ = std::make_unique<std::array<char, 16 * 1024>>();
        stream_.async_read_some(net::buffer(*linger_buffer_),
                                [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                                    if (!ec) return self->WatchForClose();  // whatever the client sends is ignored
                                    self->stream_closed_ = true;
                                    if (self->timer_) self->timer_->cancel();
                                });
    }

    void WaitForEvents() {
        timer_->expires_after(std::chrono::milliseconds(500));
        timer_->async_wait([self = this->shared_from_this()](beast::error_code ec) {
            if (ec || self->stream_closed_) return;
            std::string chunk = self->next_events_();
            if (chunk.empty() && ++self->idle_ticks_ >= 30) chunk = ": keep-alive\n\n";
            if (chunk.empty()) return self->WaitForEvents();
            self->idle_ticks_ = 0;
            const bool last = chunk.rfind(kEndOfEvents, 0) == 0;
            auto text = std::make_shared<std::string>(std::move(chunk));
            beast::get_lowest_layer(self->stream_).expires_after(self->options_.request_timeout);
            net::async_write(self->stream_, net::buffer(*text),
                             [self, text, last](beast::error_code write_ec, std::size_t) {
                                 if (write_ec || last) return self->Close();
                                 beast::get_lowest_layer(self->stream_).expires_never();
                                 self->WaitForEvents();
                             });
        });
    }

    // Errors found before a request could be parsed: answer once, then close the connection.
    void SendError(const Error& error) {
        HttpResponse response = ErrorResponse(error);
        metrics_.Record("unparsed", "", response.status, 0.0);
        Write(std::make_shared<WireResponse>(RenderResponse(std::move(response), 11, false, security_lines_)));
    }

    void Write(std::shared_ptr<WireResponse> wire) {
        beast::get_lowest_layer(stream_).expires_after(options_.request_timeout);
        const std::array<net::const_buffer, 2> buffers{net::buffer(wire->head), net::buffer(wire->body)};
        net::async_write(stream_, buffers, [self = this->shared_from_this(), wire](beast::error_code ec, std::size_t) {
            if (ec || !wire->keep_alive) return self->Close();
            self->DoRead();
        });
    }

    void Close() {
        if (next_events_) {
            // An event stream has its WatchForClose read pending: close the socket, which ends that read, instead
            // of starting a second one to linger.
            beast::get_lowest_layer(stream_).close();
            return;
        }
        if constexpr (kTls) {
            beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
            stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
        } else {
            beast::error_code ec;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
            // Lingering close: a client still sending (a body over the limit that got its 413 early) would otherwise
            // meet a reset when the socket closes with its bytes unread, and a reset may discard the answer before
            // the client reads it. Read and drop what still comes, for a short while, before closing.
            beast::get_lowest_layer(stream_).expires_after(kLingerTime);
            linger_buffer_ = std::make_unique<std::array<char, 16 * 1024>>();  // only while closing
            Drain(0);
        }
    }

    void Drain(std::size_t drained) {
        stream_.async_read_some(net::buffer(*linger_buffer_),
                                [self = this->shared_from_this(), drained](beast::error_code ec, std::size_t n) {
                                    if (ec || drained + n > kLingerBytes)
                                        return;  // end of stream, timeout or enough: the socket closes
                                    self->Drain(drained + n);
                                });
    }

    static constexpr std::chrono::seconds kLingerTime{2};
    static constexpr std::size_t kLingerBytes = 64 * 1024 * 1024;
    std::unique_ptr<std::array<char, 16 * 1024>> linger_buffer_;

    Stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    ServerParts& parts_;
    const Router& router_;
    ServerMetrics& metrics_;
    const ServerOptions& options_;
    std::unique_ptr<ConnectionSlot> slot_;
    unsigned short redirect_port_;
    const std::string security_lines_;
    // The request in progress: read, admitted, then served.
    HttpRequest request_;
    Router::Admitted admitted_;
    std::string origin_;
    bool body_pending_ = false;
    std::size_t reserved_body_ = 0;  // taken from parts_.body_bytes for this request's body
    std::size_t body_limit_ = 0;
    std::chrono::steady_clock::time_point started_;
    std::function<std::string()> next_events_;
    std::optional<net::steady_timer> timer_;
    bool stream_closed_ = false;  // the event stream's client went away
    int idle_ticks_ = 0;
};

// Accepts on the first io_context and hands each connection to the next one in turn. One io_context per
// thread, each run by exactly one thread: no handler ever migrates between threads, so Asio needs no strands
// and the threads do not contend on one shared reactor (that contention cost a third of the CPU time).
//
// A connection over the caps is answered 503 at once and closed, so descriptors never run out for the store and
// the clouds. When accepting itself fails (out of descriptors anyway, out of memory), the listener waits before
// it tries again (10 ms, doubling to 1 s) and logs at most once every 10 s, instead of spinning on the error.
class Listener : public std::enable_shared_from_this<Listener> {
  public:
    // `tls`: serve TLS with it (null: plain). `redirect_port`: answer every request with a redirect to https on
    // that port (the plain listener beside a TLS one), else 0.
    Listener(std::vector<std::unique_ptr<net::io_context>>& contexts, tcp::acceptor acceptor, ServerParts& parts,
             net::ssl::context* tls, unsigned short redirect_port)
        : contexts_(contexts),
          acceptor_(std::move(acceptor)),
          parts_(parts),
          tls_(tls),
          redirect_port_(redirect_port),
          backoff_timer_(acceptor_.get_executor()) {}

    void Run() { DoAccept(); }
    void Stop() {
        net::post(acceptor_.get_executor(), [self = shared_from_this()] {
            beast::error_code ec;
            self->acceptor_.close(ec);
            self->backoff_timer_.cancel();
        });
    }

  private:
    void DoAccept() {
        net::io_context& target = *contexts_[next_++ % contexts_.size()];
        acceptor_.async_accept(target, beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
    }

    void OnAccept(beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
        if (ec) return BackOff(ec);
        backoff_ = std::chrono::milliseconds(0);
        beast::error_code opt_ec;
        const auto peer = socket.remote_endpoint(opt_ec);
        std::string address = opt_ec ? std::string("unknown") : peer.address().to_string();
        switch (parts_.connections.Take(address, 1)) {
            case ClientAllowance::Grant::kGranted:
                break;
            case ClientAllowance::Grant::kTotalExhausted:
                parts_.metrics.Refused("connections");
                TurnAway(socket, "the server has as many connections open as it may; retry shortly");
                return DoAccept();
            case ClientAllowance::Grant::kAddressExhausted:
                parts_.metrics.Refused("connections_address");
                TurnAway(socket, "too many connections from " + address + "; close some or retry shortly");
                return DoAccept();
        }
        auto slot = std::make_unique<ConnectionSlot>(parts_.connections, std::move(address));
        socket.set_option(tcp::no_delay(true), opt_ec);
        if (tls_)
            std::make_shared<Session<TlsStream>>(parts_, std::move(slot), 0, std::move(socket), *tls_)->Run();
        else
            std::make_shared<Session<beast::tcp_stream>>(parts_, std::move(slot), redirect_port_, std::move(socket))
                ->Run();
        DoAccept();
    }

    // A 503 written once without waiting (it fits an empty socket buffer), then the descriptor is closed.
    static void TurnAway(tcp::socket& socket, const std::string& message) {
        const std::string body = R"({"error":{"code":"unavailable","message":")" + message + "\"}}";
        const std::string wire =
            "HTTP/1.1 503 Service Unavailable\r\nServer: cloudopt\r\nContent-Type: "
            "application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body;
        beast::error_code ec;
        socket.non_blocking(true, ec);
        socket.write_some(net::buffer(wire), ec);
        socket.shutdown(tcp::socket::shutdown_both, ec);
        socket.close(ec);
    }

    void BackOff(const beast::error_code& ec) {
        backoff_ = std::min<std::chrono::milliseconds>(std::max(backoff_ * 2, std::chrono::milliseconds(10)),
                                                       std::chrono::milliseconds(1000));
        ++failed_accepts_;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_accept_log_ >= std::chrono::seconds(10)) {
            spdlog::warn(
                "accept failed {} time(s) since the last report: {} (retrying in {} ms; raise the descriptor "
                "limit, ulimit -n, or lower server.max_connections)",
                failed_accepts_, ec.message(), backoff_.count());
            failed_accepts_ = 0;
            last_accept_log_ = now;
        }
        parts_.metrics.Refused("accept_error");
        backoff_timer_.expires_after(backoff_);
        backoff_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
            if (wait_ec || !self->acceptor_.is_open()) return;
            self->DoAccept();
        });
    }

    std::vector<std::unique_ptr<net::io_context>>& contexts_;
    tcp::acceptor acceptor_;
    ServerParts& parts_;
    net::ssl::context* tls_;
    unsigned short redirect_port_;
    std::size_t next_ = 0;
    net::steady_timer backoff_timer_;
    std::chrono::milliseconds backoff_{0};
    std::size_t failed_accepts_ = 0;
    std::chrono::steady_clock::time_point last_accept_log_{};
};

// TLS 1.2 and 1.3 only, forward-secret AEAD suites only (Mozilla's "intermediate" profile).
Result<std::unique_ptr<net::ssl::context>> MakeTlsContext(const ServerOptions& options) {
    auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                     net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1 |
                     net::ssl::context::single_dh_use);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx->native_handle(),
                            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                            "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
    beast::error_code ec;
    ctx->use_certificate_chain_file(options.tls_cert_file, ec);
    if (ec)
        return MakeError(ErrorCode::kInvalidArgument, "cannot load the TLS certificate '" + options.tls_cert_file +
                                                          "': " + ec.message() + " (tls.cert_file: a PEM chain)");
    ctx->use_private_key_file(options.tls_key_file, net::ssl::context::pem, ec);
    if (ec)
        return MakeError(ErrorCode::kInvalidArgument, "cannot load the TLS key '" + options.tls_key_file +
                                                          "': " + ec.message() + " (tls.key_file: a PEM private key)");
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
        return MakeError(ErrorCode::kInvalidArgument, "the TLS key does not match the certificate");
    return ctx;
}

// The connection cap: the configured one, or what the descriptor limit leaves after a quarter of it (at least 64)
// is kept for the store's files, the clouds' connections and the log. Raises the soft limit to the hard one first.
std::size_t ConnectionCap(const ServerOptions& options) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return options.max_connections ? options.max_connections : 256;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? std::max<rlim_t>(limit.rlim_cur, 65536) : limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    const std::size_t descriptors = limit.rlim_cur == RLIM_INFINITY ? 65536 : static_cast<std::size_t>(limit.rlim_cur);
    const std::size_t headroom = std::max<std::size_t>(64, descriptors / 4);
    const std::size_t derived = descriptors > headroom + 16 ? descriptors - headroom : 16;
    if (options.max_connections == 0) return derived;
    if (options.max_connections > derived)
        spdlog::warn(
            "server.max_connections {} leaves too few of the {} descriptors for the store and the clouds; "
            "using {} (raise ulimit -n to allow more)",
            options.max_connections, descriptors, derived);
    return std::min(options.max_connections, derived);
}

int ThreadCount(const ServerOptions& options) {
    return options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

struct HttpServer::Impl {
    Impl(const Router& r, MetricsRegistry& m, ServerOptions o)
        : router(r),
          metrics(m),
          options(std::move(o)),
          body_bytes(options.max_buffered_body_bytes, options.max_buffered_body_bytes_per_address),
          blocking(options.blocking_threads, options.max_blocking_queue),
          store_writes(options.store_write_threads, options.max_store_write_queue) {
        for (int i = 0; i < ThreadCount(options); ++i) contexts.push_back(std::make_unique<net::io_context>(1));
    }

    const Router& router;
    ServerMetrics metrics;
    ServerOptions options;
    // Declared before the contexts: sessions still queued in a context give their allowances back when the
    // contexts are destroyed, so these must outlive them.
    std::unique_ptr<ClientAllowance> connections;  // made at Start, from the descriptor limit
    ClientAllowance body_bytes;
    WorkerPool blocking;
    WorkerPool store_writes;
    std::unique_ptr<ServerParts> parts;
    std::vector<std::unique_ptr<net::io_context>> contexts;
    std::unique_ptr<net::ssl::context> tls;
    std::shared_ptr<Listener> listener;
    std::shared_ptr<Listener> redirect_listener;
    unsigned short redirect_port = 0;
    std::vector<std::thread> threads;
};

HttpServer::HttpServer(const Router& router, MetricsRegistry& metrics, ServerOptions options)
    : impl_(std::make_unique<Impl>(router, metrics, std::move(options))) {}

HttpServer::~HttpServer() { Stop(); }

namespace {

Result<tcp::acceptor> Listen(net::io_context& context, const std::string& bind_address, unsigned short port) {
    beast::error_code ec;
    const auto address = net::ip::make_address(bind_address, ec);
    if (ec) return MakeError(ErrorCode::kInvalidArgument, "bind address '" + bind_address + "' is invalid");
    tcp::acceptor acceptor(context);
    const tcp::endpoint endpoint(address, port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
        return MakeError(ErrorCode::kUnavailable, "cannot listen on " + bind_address + ":" + std::to_string(port) +
                                                      ": " + ec.message() +
                                                      " (is another server using the port? try --port)");
    return acceptor;
}

}  // namespace

Result<unsigned short> HttpServer::Start() {
    const ServerOptions& options = impl_->options;
    if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
        auto tls = MakeTlsContext(options);
        if (!tls) return tls.error();
        impl_->tls = std::move(*tls);
    }
    impl_->connections = std::make_unique<ClientAllowance>(ConnectionCap(options), options.max_connections_per_address);
    impl_->parts =
        std::make_unique<ServerParts>(ServerParts{impl_->router, impl_->metrics, impl_->options, *impl_->connections,
                                                  impl_->body_bytes, impl_->blocking, impl_->store_writes});
    auto acceptor = Listen(*impl_->contexts.front(), options.bind_address, options.port);
    if (!acceptor) return acceptor.error();
    const unsigned short port = acceptor->local_endpoint().port();
    impl_->options.port = port;  // the redirect points at the port actually bound
    impl_->listener =
        std::make_shared<Listener>(impl_->contexts, std::move(*acceptor), *impl_->parts, impl_->tls.get(), 0);
    if (impl_->tls && options.http_redirect_port) {
        auto plain = Listen(*impl_->contexts.front(), options.bind_address, *options.http_redirect_port);
        if (!plain) return plain.error();
        impl_->redirect_port = plain->local_endpoint().port();
        impl_->redirect_listener =
            std::make_shared<Listener>(impl_->contexts, std::move(*plain), *impl_->parts, nullptr, port);
        impl_->redirect_listener->Run();
    }
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

unsigned short HttpServer::redirect_port() const { return impl_->redirect_port; }

std::size_t HttpServer::max_connections() const {
    return impl_->connections ? impl_->connections->total_cap() : impl_->options.max_connections;
}

void HttpServer::Stop() {
    if (!impl_ || impl_->threads.empty()) return;
    if (impl_->listener) impl_->listener->Stop();
    if (impl_->redirect_listener) impl_->redirect_listener->Stop();
    for (auto& context : impl_->contexts) context->stop();
    for (std::thread& t : impl_->threads) t.join();
    impl_->threads.clear();
    impl_->blocking.Stop();      // a login still hashing finishes; its answer goes nowhere
    impl_->store_writes.Stop();  // a batch being stored commits or rolls back; its answer goes nowhere
}

}  // namespace cloudopt::api
