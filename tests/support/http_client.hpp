#pragma once
// A blocking HTTP/1.1 client for tests: one keep-alive connection to 127.0.0.1:port.

#include <map>
#include <memory>
#include <string>

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

}  // namespace cloudopt::testing
