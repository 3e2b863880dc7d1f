#pragma once
// A tiny Kubernetes apps/v1 API on a loopback port for provider tests: one Deployment "shop/web" with 3 replicas,
// 2 ready. It records every request (method, path, content type, body, bearer token) for exact checks.

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/router.hpp"
#include "api/server.hpp"
#include "core/telemetry.hpp"

namespace cloudopt::testing {

class FakeKubernetesApi {
public:
    FakeKubernetesApi() {
        router_.Add("GET", "/apis/apps/v1/namespaces/{ns}/deployments/{name}", [this](const api::HttpRequest& req) {
            std::lock_guard lock(mutex_);
            seen_.push_back("GET " + req.path + " " + req.authorization);
            if (req.path_params.at("ns") != "shop" || req.path_params.at("name") != "web") return NotFound(req);
            return Json({{"kind", "Deployment"}, {"spec", {{"replicas", replicas_}}}, {"status", {{"readyReplicas", 2}}}});
        });
        router_.Add("GET", "/apis/apps/v1/namespaces/{ns}/deployments/{name}/scale", [this](const api::HttpRequest& req) {
            std::lock_guard lock(mutex_);
            seen_.push_back("GET " + req.path + " " + req.authorization);
            if (req.path_params.at("ns") != "shop" || req.path_params.at("name") != "web") return NotFound(req);
            return Json({{"kind", "Scale"}, {"spec", {{"replicas", replicas_}}}, {"status", {{"replicas", replicas_}}}});
        });
        router_.Add("PATCH", "/apis/apps/v1/namespaces/{ns}/deployments/{name}/scale", [this](const api::HttpRequest& req) {
            std::lock_guard lock(mutex_);
            seen_.push_back("PATCH " + req.path + " " + req.content_type + " " + req.body + " " + req.authorization);
            if (req.path_params.at("name") != "web") return NotFound(req);
            const nlohmann::json patch = nlohmann::json::parse(req.body, nullptr, false);
            replicas_ = patch["spec"]["replicas"].get<int>();
            return Json({{"kind", "Scale"}, {"spec", {{"replicas", replicas_}}}});
        });
        api::ServerOptions options;
        options.port = 0;
        options.threads = 1;
        server_ = std::make_unique<api::HttpServer>(router_, metrics_, options);
        port_ = *server_->Start();
    }
    ~FakeKubernetesApi() { server_->Stop(); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::vector<std::string> seen() {
        std::lock_guard lock(mutex_);
        return seen_;
    }

private:
    static api::HttpResponse Json(const nlohmann::json& body) {
        api::HttpResponse r;
        r.body = body.dump();
        return r;
    }
    static api::HttpResponse NotFound(const api::HttpRequest& req) {
        api::HttpResponse r = Json({{"kind", "Status"}, {"message", "deployments.apps \"" + req.path_params.at("name") + "\" not found"}});
        r.status = 404;
        return r;
    }
    std::mutex mutex_;
    int replicas_ = 3;
    std::vector<std::string> seen_;
    api::Router router_;
    MetricsRegistry metrics_;
    std::unique_ptr<api::HttpServer> server_;
    unsigned short port_ = 0;
};

}  // namespace cloudopt::testing
