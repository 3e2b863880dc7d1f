#pragma once
// Transport-free HTTP request/response values. The Beast session converts to and from these, so routing and
// handlers are plain functions that tests call without a socket.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cloudopt::api {

struct HttpRequest {
    std::string method;  // upper case: GET, POST, ...
    std::string path;    // percent-decoded, without the query string
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> path_params;  // filled by the router: {id} -> "42"
    std::string content_type;
    std::string body;

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
};

// Splits "/a/b?x=1&y=%20" into a decoded path and query map. False when the percent-encoding is malformed.
bool ParseTarget(const std::string& target, std::string& path, std::map<std::string, std::string>& query);

}  // namespace cloudopt::api
