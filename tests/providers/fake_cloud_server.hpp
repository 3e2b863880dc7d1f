#pragma once
// A loopback HTTP/1.1 server for cloud-adapter tests that sees requests exactly as they went over the wire: the
// request line, every header in order, and the body, so a test can check a signature or a token byte for byte.
// Each connection carries one request and is closed after the answer. A handler can also stall (to test
// timeouts) or answer with any status, headers and body (throttling, 4xx, 5xx, malformed bodies).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace cloudopt::testing {

struct RawRequest {
    std::string method;
    std::string target;  // path and query, as sent
    std::vector<std::pair<std::string, std::string>> headers;  // as sent (names keep their case)
    std::string body;
    std::string raw;  // the whole request text

    std::string Header(const std::string& name) const {
        for (const auto& [n, v] : headers) {
            if (n.size() == name.size() &&
                std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
                return v;
        }
        return "";
    }
    std::string Path() const { return target.substr(0, target.find('?')); }
};

struct RawResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::milliseconds delay{0};  // stall before answering (timeouts)
};

class FakeCloudServer {
public:
    using Handler = std::function<RawResponse(const RawRequest&)>;

    explicit FakeCloudServer(Handler handler) : handler_(std::move(handler)) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
        ::listen(listener_, 16);
        socklen_t length = sizeof address;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { Serve(); });
    }
    ~FakeCloudServer() {
        stopping_ = true;
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        thread_.join();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
    std::vector<RawRequest> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    void SetHandler(Handler handler) {
        std::lock_guard lock(mutex_);
        handler_ = std::move(handler);
    }

private:
    void Serve() {
        while (!stopping_) {
            const int fd = ::accept(listener_, nullptr, nullptr);
            if (fd < 0) return;
            Answer(fd);
            ::close(fd);
        }
    }

    void Answer(int fd) {
        std::string data;
        char buffer[4096];
        std::size_t header_end = std::string::npos;
        while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0) return;
            data.append(buffer, static_cast<std::size_t>(n));
        }
        RawRequest request;
        const std::string head = data.substr(0, header_end);
        std::size_t line_end = head.find("\r\n");
        const std::string request_line = head.substr(0, line_end);
        const std::size_t sp1 = request_line.find(' '), sp2 = request_line.rfind(' ');
        request.method = request_line.substr(0, sp1);
        request.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
        while (line_end != std::string::npos && line_end < head.size()) {
            const std::size_t next = head.find("\r\n", line_end + 2);
            const std::string line = head.substr(line_end + 2, (next == std::string::npos ? head.size() : next) - line_end - 2);
            const std::size_t colon = line.find(':');
            if (colon != std::string::npos) {
                std::string value = line.substr(colon + 1);
                value.erase(0, value.find_first_not_of(' '));
                request.headers.emplace_back(line.substr(0, colon), value);
            }
            line_end = next;
        }
        const std::string length = request.Header("Content-Length");
        const std::size_t want = length.empty() ? 0 : std::stoul(length);
        request.body = data.substr(header_end + 4);
        while (request.body.size() < want) {
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0) return;
            request.body.append(buffer, static_cast<std::size_t>(n));
        }
        request.raw = head + "\r\n\r\n" + request.body;
        Handler handler;
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(request);
            handler = handler_;
        }
        const RawResponse response = handler(request);
        if (response.delay.count() > 0) std::this_thread::sleep_for(response.delay);
        std::string out = "HTTP/1.1 " + std::to_string(response.status) + " Status\r\nContent-Type: " +
                          response.content_type + "\r\nContent-Length: " + std::to_string(response.body.size()) +
                          "\r\nConnection: close\r\n";
        for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
        out += "\r\n" + response.body;
        std::size_t sent = 0;
        while (sent < out.size()) {
            const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return;
            sent += static_cast<std::size_t>(n);
        }
    }

    Handler handler_;
    int listener_ = -1;
    unsigned short port_ = 0;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::vector<RawRequest> requests_;
    std::thread thread_;
};

}  // namespace cloudopt::testing
