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
    if (e.server.empty())
        e.server = std::getenv("CLOUDOPT_SERVER") ? std::getenv("CLOUDOPT_SERVER") : "http://localhost:8080";
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
        if (response->status == 401)
            message += " (pass --token or set CLOUDOPT_TOKEN: cloudopt token create NAME --scope operator)";
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

// "k=v" flags as the API's labels object; kUsageError with the message printed on a malformed one.
std::optional<json> LabelsFromFlags(const std::vector<std::string>& flags, json labels) {
    for (const std::string& flag : flags) {
        const std::size_t eq = flag.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::cerr << "cloudopt: --label " << flag << ": must be key=value, e.g. --label team=payments\n";
            return std::nullopt;
        }
        labels[flag.substr(0, eq)] = flag.substr(eq + 1);
    }
    return labels;
}

}  // namespace

std::optional<json> CallServiceApi(const std::string& server, const std::string& token, const std::string& method,
                                   const std::string& path, const std::string& body, int& exit_code) {
    ResourceCommand c;
    c.server = server;
    c.token = token;
    return Call(Resolve(c), method, path, body, exit_code);
}

int RunResourceAdd(const ResourceCommand& c) {
    json body = {
        {"name", c.name}, {"provider", c.provider}, {"provider_ref", c.ref}, {"instance_type", c.instance_type}};
    if (c.min_capacity) body["min_capacity"] = *c.min_capacity;
    if (c.max_capacity) body["max_capacity"] = *c.max_capacity;
    if (c.mode) body["mode"] = *c.mode;
    if (c.capacity_per_instance) body["capacity_per_instance"] = *c.capacity_per_instance;
    if (c.load_metric) body["load_metric"] = *c.load_metric;
    if (c.load_query) body["load_query"] = *c.load_query;
    if (c.boot_delay_s) body["boot_delay_s"] = *c.boot_delay_s;
    if (!c.labels.empty()) {
        auto labels = LabelsFromFlags(c.labels, json::object());
        if (!labels) return kUsageError;
        body["labels"] = *labels;
    }
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
    const std::string path =
        "/api/resources" + (c.label_selector.empty() ? "" : "?label=" + providers::PercentEncode(c.label_selector));
    auto listed = Call(Resolve(c), "GET", path, "", exit_code);
    if (!listed) return exit_code;
    namespace jsonf = providers::jsonf;
    std::printf("%-6s %-24s %-12s %-40s %-10s %-8s %s\n", "ID", "NAME", "PROVIDER", "REFERENCE", "MODE", "MIN-MAX",
                "LABELS");
    for (const json& r : jsonf::Arr(*listed, "resources")) {
        std::string labels;
        if (r.contains("labels") && r["labels"].is_object())
            for (const auto& [key, value] : r["labels"].items())
                labels += (labels.empty() ? "" : ",") + key + "=" + (value.is_string() ? value.get<std::string>() : "");
        const std::string range = std::to_string(jsonf::Int(r, "min_capacity").value_or(0)) + "-" +
                                  std::to_string(jsonf::Int(r, "max_capacity").value_or(0));
        std::printf("%-6d %-24s %-12s %-40s %-10s %-8s %s\n", jsonf::Int(r, "id").value_or(0),
                    jsonf::Str(r, "name").c_str(), jsonf::Str(r, "provider").c_str(),
                    jsonf::Str(r, "provider_ref").c_str(), jsonf::Str(r, "mode").c_str(), range.c_str(),
                    labels.c_str());
    }
    return 0;
}

int RunResourceUpdate(const ResourceCommand& c) {
    const Endpoint e = Resolve(c);
    int exit_code = 0;
    auto listed = Call(e, "GET", "/api/resources", "", exit_code);
    if (!listed) return exit_code;
    namespace jsonf = providers::jsonf;
    std::optional<json> found;
    for (const json& r : jsonf::Arr(*listed, "resources"))
        if (jsonf::Str(r, "name") == c.name || std::to_string(jsonf::Int(r, "id").value_or(0)) == c.name) found = r;
    if (!found) {
        std::cerr << "cloudopt: no resource is named '" << c.name << "' (cloudopt resource list shows them)\n";
        return kUsageError;
    }
    json body = json::object();
    if (c.min_capacity) body["min_capacity"] = *c.min_capacity;
    if (c.max_capacity) body["max_capacity"] = *c.max_capacity;
    if (c.mode) body["mode"] = *c.mode;
    if (!c.labels.empty() || !c.remove_labels.empty()) {
        json current =
            found->contains("labels") && (*found)["labels"].is_object() ? (*found)["labels"] : json::object();
        for (const std::string& key : c.remove_labels) current.erase(key);
        auto labels = LabelsFromFlags(c.labels, current);
        if (!labels) return kUsageError;
        body["labels"] = *labels;
    }
    if (body.empty()) {
        std::cerr << "cloudopt: nothing to change: pass --label k=v, --remove-label k, --mode, --min or --max\n";
        return kUsageError;
    }
    const std::string id = std::to_string(jsonf::Int(*found, "id").value_or(0));
    auto updated = Call(e, "PUT", "/api/resources/" + id, body.dump(), exit_code);
    if (!updated) return exit_code;
    std::printf("updated resource %s '%s'\n", id.c_str(), jsonf::Str(*updated, "name").c_str());
    return 0;
}

}  // namespace cloudopt
