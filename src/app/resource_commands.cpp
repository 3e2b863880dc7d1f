#include "app/resource_commands.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli_common.hpp"
#include "app/files.hpp"
#include "providers/http_client.hpp"
#include "providers/json_fields.hpp"

namespace cloudopt {

namespace {

using nlohmann::json;

struct Endpoint {
    std::string server;
    std::string token;
};

Endpoint Resolve(const ResourceCommand& c) {
    Endpoint e{c.server, c.token};
    if (e.server.empty()) e.server = std::getenv("CLOUDOPT_SERVER") ? std::getenv("CLOUDOPT_SERVER") : "http://localhost:8080";
    if (e.token.empty() && std::getenv("CLOUDOPT_TOKEN")) e.token = std::getenv("CLOUDOPT_TOKEN");
    while (!e.server.empty() && e.server.back() == '/') e.server.pop_back();
    return e;
}

// The API's answer (its body as it came), or the exit code to return: 1 when the service cannot be reached, 2 when
// it refused the input.
std::optional<std::string> Exchange(const Endpoint& e, const std::string& method, const std::string& path,
                                    const std::string& body, const std::string& content_type, int& exit_code) {
    providers::HttpClientOptions options;
    options.retry.max_attempts = 1;  // a person is waiting; they can run it again
    providers::HttpClient http(options);
    providers::OutboundRequest request;
    request.method = method;
    request.url = e.server + path;
    request.headers = {{"Accept", "application/json, application/octet-stream"}};
    if (!body.empty()) request.headers.emplace_back("Content-Type", content_type);
    if (!e.token.empty()) request.headers.emplace_back("Authorization", "Bearer " + e.token);
    request.body = body;
    auto response = http.Send(std::move(request));
    if (!response) {
        std::cerr << "cloudopt: cannot reach the service at " << e.server << ": " << response.error().message
                  << " (start it with cloudopt serve, or pass --server)\n";
        exit_code = 1;
        return std::nullopt;
    }
    if (response->status >= 400) {
        const json answer = json::parse(response->body, nullptr, false);
        std::string message = "HTTP " + std::to_string(response->status);
        message = providers::jsonf::Str(providers::jsonf::At(answer, "/error/message"), message);
        if (response->status == 401) message += " (pass --token or set CLOUDOPT_TOKEN: cloudopt token create NAME --scope operator)";
        std::cerr << "cloudopt: " << message << "\n";
        exit_code = response->status < 500 ? kUsageError : 1;
        return std::nullopt;
    }
    return std::move(response->body);
}

std::optional<json> Call(const Endpoint& e, const std::string& method, const std::string& path, const std::string& body,
                         int& exit_code) {
    auto answer = Exchange(e, method, path, body, "application/json", exit_code);
    if (!answer) return std::nullopt;
    return json::parse(*answer, nullptr, false);
}

// The resource's path segment: names may hold characters a URL path does not.
std::string ResourcePath(const std::string& name) { return "/api/resources/" + providers::PercentEncode(name); }

}  // namespace

int RunResourceAdd(const ResourceCommand& c) {
    json body = {{"name", c.name}, {"provider", c.provider}, {"provider_ref", c.ref}, {"instance_type", c.instance_type}};
    if (c.min_capacity) body["min_capacity"] = *c.min_capacity;
    if (c.max_capacity) body["max_capacity"] = *c.max_capacity;
    if (c.mode) body["mode"] = *c.mode;
    if (c.capacity_per_instance) body["capacity_per_instance"] = *c.capacity_per_instance;
    if (c.load_metric) body["load_metric"] = *c.load_metric;
    if (c.load_query) body["load_query"] = *c.load_query;
    if (c.boot_delay_s) body["boot_delay_s"] = *c.boot_delay_s;
    int exit_code = 0;
    auto created = Call(Resolve(c), "POST", "/api/resources", body.dump(), exit_code);
    if (!created) return exit_code;
    std::printf("added resource %d '%s' (%s %s, %s mode)\n", providers::jsonf::Int(*created, "id").value_or(0),
                c.name.c_str(), c.provider.c_str(), c.ref.c_str(), providers::jsonf::Str(*created, "mode").c_str());
    return 0;
}

int RunResourceExportModel(const ResourceCommand& c) {
    int exit_code = 0;
    auto bytes = Exchange(Resolve(c), "GET", ResourcePath(c.name) + "/model", "", "", exit_code);
    if (!bytes) return exit_code;
    if (Status s = WriteWholeFile(c.model_file, *bytes, "model file"); !s) {
        std::cerr << "cloudopt: " << s.error().message << "\n";
        return kUsageError;
    }
    std::printf("saved the model of '%s' to %s (%zu bytes)\n", c.name.c_str(), c.model_file.c_str(), bytes->size());
    return 0;
}

int RunResourceImportModel(const ResourceCommand& c) {
    auto bytes = ReadWholeFile(c.model_file, "model file");
    if (!bytes) {
        std::cerr << "cloudopt: " << bytes.error().message << "\n";
        return kUsageError;
    }
    std::string path = ResourcePath(c.name) + "/model";
    if (!c.model_series.empty()) path += "?series=" + providers::PercentEncode(c.model_series);
    int exit_code = 0;
    auto answer = Exchange(Resolve(c), "PUT", path, *bytes, "application/octet-stream", exit_code);
    if (!answer) return exit_code;
    const json installed = json::parse(*answer, nullptr, false);
    std::printf("'%s' now forecasts with %s\n", c.name.c_str(), providers::jsonf::Str(installed, "model").c_str());
    return 0;
}

int RunResourceList(const ResourceCommand& c) {
    int exit_code = 0;
    auto listed = Call(Resolve(c), "GET", "/api/resources", "", exit_code);
    if (!listed) return exit_code;
    namespace jsonf = providers::jsonf;
    std::printf("%-6s %-24s %-12s %-40s %-10s %s\n", "ID", "NAME", "PROVIDER", "REFERENCE", "MODE", "MIN-MAX");
    for (const json& r : jsonf::Arr(*listed, "resources")) {
        std::printf("%-6d %-24s %-12s %-40s %-10s %d-%d\n", jsonf::Int(r, "id").value_or(0), jsonf::Str(r, "name").c_str(),
                    jsonf::Str(r, "provider").c_str(), jsonf::Str(r, "provider_ref").c_str(), jsonf::Str(r, "mode").c_str(),
                    jsonf::Int(r, "min_capacity").value_or(0), jsonf::Int(r, "max_capacity").value_or(0));
    }
    return 0;
}

}  // namespace cloudopt
