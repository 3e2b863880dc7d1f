#pragma once
// A blocking HTTP/1.1 client for tests: one keep-alive connection to 127.0.0.1:port.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

namespace cloudopt::testing {

struct HttpResult {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // lower-case names; repeated ones joined by '\n'
};

class HttpClient {
  public:
    explicit HttpClient(unsigned short port);
    ~HttpClient();
    HttpResult Request(const std::string& method, const std::string& target, const std::string& body = "",
                       const std::string& content_type = "application/json");
    HttpResult Get(const std::string& target) { return Request("GET", target); }
    HttpResult Post(const std::string& target, const std::string& body) { return Request("POST", target, body); }
    // A header sent with every later request (e.g. Authorization); an empty value removes it.
    void SetHeader(const std::string& name, const std::string& value);
    // Sends raw bytes and returns whatever the server answers before closing (for malformed-request tests).
    static std::string SendRaw(unsigned short port, const std::string& bytes);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// A plain TCP connection for tests of the server's limits: sends raw bytes from a chosen loopback address (every
// 127.x.y.z is this machine, so tests can act as several clients) and reads with a time limit.
class RawConnection {
  public:
    // Throws when the connection cannot be made.
    RawConnection(unsigned short port, const std::string& from_address = "127.0.0.1");
    ~RawConnection();
    // False when the server closed the connection or refused the bytes.
    bool Send(const std::string& bytes);
    // What arrives until the server closes the connection, `complete` says the answer is whole, or `limit` passes.
    std::string Read(std::chrono::milliseconds limit, const std::function<bool(const std::string&)>& complete = {});
    // Reads one whole HTTP response head (and the body its Content-Length announces), within `limit`.
    std::string ReadResponse(std::chrono::milliseconds limit);
    // The status of a response text ("HTTP/1.1 429 ..." -> 429), 0 when there is none.
    static int StatusOf(const std::string& response);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// GETs `path` on a loopback port until it answers `status` or `seconds` pass (a server starting, a database coming
// back); returns the last answer, status 0 when nothing answered.
inline HttpResult PollFor(unsigned short port, const std::string& path, int status, int seconds,
                          const std::string& bearer = "") {
    HttpResult last;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            HttpClient c(port);
            if (!bearer.empty()) c.SetHeader("Authorization", bearer);
            last = c.Get(path);
            if (last.status == status) return last;
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return last;
}

}  // namespace cloudopt::testing
