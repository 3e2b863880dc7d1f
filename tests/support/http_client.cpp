#include "support/http_client.hpp"

#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <poll.h>

namespace cloudopt::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct HttpClient::Impl {
    explicit Impl(unsigned short p) : port(p), socket(ioc) {}
    void Connect() {
        socket = tcp::socket(ioc);
        socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    }
    unsigned short port;
    net::io_context ioc;
    tcp::socket socket;
    beast::flat_buffer buffer;
    bool connected = false;
    std::map<std::string, std::string> headers;
};

HttpClient::HttpClient(unsigned short port) : impl_(std::make_unique<Impl>(port)) {}
HttpClient::~HttpClient() = default;

void HttpClient::SetHeader(const std::string& name, const std::string& value) {
    if (value.empty())
        impl_->headers.erase(name);
    else
        impl_->headers[name] = value;
}

HttpResult HttpClient::Request(const std::string& method, const std::string& target, const std::string& body,
                               const std::string& content_type) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        try {
            if (!impl_->connected) {
                impl_->Connect();
                impl_->buffer.clear();
                impl_->connected = true;
            }
            http::request<http::string_body> req{http::string_to_verb(method), target, 11};
            req.set(http::field::host, "127.0.0.1");
            for (const auto& [name, value] : impl_->headers) req.set(name, value);
            if (!body.empty() || method == "POST" || method == "PUT") {
                if (!content_type.empty()) req.set(http::field::content_type, content_type);
                req.body() = body;
            }
            req.keep_alive(true);
            req.prepare_payload();
            http::write(impl_->socket, req);
            http::response_parser<http::string_body> parser;
            parser.body_limit(64 * 1024 * 1024);
            http::read(impl_->socket, impl_->buffer, parser);
            auto res = parser.release();
            HttpResult out;
            out.status = res.result_int();
            out.body = res.body();
            for (const auto& field : res) {
                std::string name(field.name_string());
                for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                // A repeated header (Set-Cookie) keeps every value, one per line.
                std::string& slot = out.headers[name];
                slot += (slot.empty() ? "" : "\n") + std::string(field.value());
            }
            if (!res.keep_alive()) impl_->connected = false;
            return out;
        } catch (const std::exception&) {
            impl_->connected = false;  // the server closed an idle connection: reconnect once
            if (attempt == 1) throw;
        }
    }
    return {};
}

std::string HttpClient::SendRaw(unsigned short port, const std::string& bytes) {
    net::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    beast::error_code ec;
    net::write(socket, net::buffer(bytes), ec);
    socket.shutdown(tcp::socket::shutdown_send, ec);
    std::string out;
    char buf[4096];
    while (true) {
        const std::size_t n = socket.read_some(net::buffer(buf), ec);
        if (ec || n == 0) break;
        out.append(buf, n);
    }
    return out;
}

struct RawConnection::Impl {
    net::io_context ioc;
    tcp::socket socket{ioc};
};

RawConnection::RawConnection(unsigned short port, const std::string& from_address) : impl_(std::make_unique<Impl>()) {
    impl_->socket.open(tcp::v4());
    impl_->socket.bind(tcp::endpoint(net::ip::make_address(from_address), 0));
    impl_->socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
}

RawConnection::~RawConnection() = default;

bool RawConnection::Send(const std::string& bytes) {
    beast::error_code ec;
    net::write(impl_->socket, net::buffer(bytes), ec);
    return !ec;
}

std::string RawConnection::Read(std::chrono::milliseconds limit,
                                const std::function<bool(const std::string&)>& complete) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    char buf[16384];
    for (auto now = std::chrono::steady_clock::now(); now < deadline; now = std::chrono::steady_clock::now()) {
        pollfd ready{impl_->socket.native_handle(), POLLIN, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
        if (::poll(&ready, 1, static_cast<int>(left) + 1) <= 0) break;  // the limit passed
        beast::error_code ec;
        const std::size_t n = impl_->socket.read_some(net::buffer(buf), ec);
        if (ec || n == 0) break;
        out.append(buf, n);
        if (complete && complete(out)) break;
    }
    return out;
}

std::string RawConnection::ReadResponse(std::chrono::milliseconds limit) {
    return Read(limit, [](const std::string& text) {
        const std::size_t head_end = text.find("\r\n\r\n");
        if (head_end == std::string::npos) return false;
        std::string head = text.substr(0, head_end);
        for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const std::size_t at = head.find("content-length:");
        if (at == std::string::npos || head.rfind("head ", 0) == 0) return true;
        const std::size_t length = std::stoul(head.substr(at + 15));
        return text.size() >= head_end + 4 + length;
    });
}

int RawConnection::StatusOf(const std::string& response) {
    if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return 0;
    return std::atoi(response.substr(9, 3).c_str());
}

}  // namespace cloudopt::testing
