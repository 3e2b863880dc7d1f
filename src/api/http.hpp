#pragma once
// Transport-free HTTP request/response values. The Beast session converts to and from these, so routing and
// handlers are plain functions that tests call without a socket.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/identity.hpp"

namespace cloudopt::api {

struct HttpRequest {
    std::string method;  // upper case: GET, POST, ...
    std::string path;    // percent-decoded, without the query string
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> path_params;  // filled by the router: {id} -> "42"
    std::string content_type;
    std::string body;
    // Set by the server from the connection and headers; read by access control.
    std::string authorization;    // the Authorization header
    std::string cookie;           // the Cookie header
    std::string accept_encoding;  // the Accept-Encoding header
    std::string remote_address;   // the peer's IP address
    bool secure = false;          // arrived over TLS
    // Set by access control once the caller is authenticated (nullopt on public routes without credentials).
    std::optional<Principal> principal;

    std::optional<std::string> Query(const std::string& name) const {
        auto it = query.find(name);
        if (it == query.end()) return std::nullopt;
        return it->second;
    }
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    // Server-Sent Events: when set, the connection stays open after the headers and `next_events` is called about
    // twice a second on the connection's thread; what it returns ("" for nothing) is sent as is. The stream ends
    // when the client goes away, the server stops, or it returns a chunk that starts with kEndOfEvents (sent, then
    // the connection is closed).
    std::function<std::string()> next_events;
};

// The start of the last event of a stream (HttpResponse::next_events): e.g. the reader's credentials stopped working.
inline constexpr std::string_view kEndOfEvents = "event: end\n";

// Splits "/a/b?x=1&y=%20" into a decoded path and query map. False when the percent-encoding is malformed.
bool ParseTarget(const std::string& target, std::string& path, std::map<std::string, std::string>& query);

}  // namespace cloudopt::api
