#include "providers/kubernetes.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "core/timestamp.hpp"
#include "providers/json_fields.hpp"

namespace cloudopt::providers {

namespace {

using nlohmann::json;

std::optional<std::string> ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string Trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    std::size_t b = 0;
    while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    return s.substr(b);
}

std::optional<std::string> Base64Decode(const std::string& in) {
    static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    int bits = 0, value = 0;
    for (char c : in) {
        if (c == '=' || std::isspace(static_cast<unsigned char>(c))) continue;
        const std::size_t pos = kAlphabet.find(c);
        if (pos == std::string::npos) return std::nullopt;
        value = (value << 6) | static_cast<int>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((value >> bits) & 0xff);
        }
    }
    return out;
}

// Writes key material for libcurl, readable by the owner only.
Result<std::string> WriteSecretFile(const std::string& dir, const std::string& name, const std::string& bytes) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const std::string path = (std::filesystem::path(dir) / name).string();
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return MakeError(ErrorCode::kUnavailable, "cannot write " + path);
    const bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
    ::close(fd);
    if (!ok) return MakeError(ErrorCode::kUnavailable, "cannot write " + path);
    return path;
}

// A kubeconfig field given either as a file path or inline as base64 "-data".
Result<std::string> FileOrData(const YAML::Node& node, const std::string& field, const std::string& scratch_dir,
                               const std::string& scratch_name) {
    if (node[field + "-data"]) {
        auto decoded = Base64Decode(node[field + "-data"].as<std::string>());
        if (!decoded) return MakeError(ErrorCode::kInvalidArgument, "kubeconfig: " + field + "-data is not base64");
        return WriteSecretFile(scratch_dir, scratch_name, *decoded);
    }
    if (node[field]) return node[field].as<std::string>();
    return std::string();
}

YAML::Node Named(const YAML::Node& list, const std::string& name) {
    if (list && list.IsSequence()) {
        for (const YAML::Node& item : list)
            if (item["name"] && item["name"].as<std::string>() == name) return item;
    }
    return YAML::Node();
}

Error ApiError(const OutboundResponse& r, const std::string& what) {
    std::string message = what + ": HTTP " + std::to_string(r.status);
    const json body = jsonf::Parse(r.body);
    if (body.is_object() && body.contains("message") && body["message"].is_string())
        message += ": " + body["message"].get<std::string>();
    if (r.status == 404) return MakeError(ErrorCode::kNotFound, message);
    if (r.status == 401 || r.status == 403)
        return MakeError(ErrorCode::kUnavailable,
                         message + " (check the service account's RBAC: get and patch on the scale subresource)");
    if (r.status == 409 || r.status == 422) return MakeError(ErrorCode::kConflict, message);
    return MakeError(ErrorCode::kUnavailable, message);
}

}  // namespace

Result<KubernetesConnection> InClusterConnection(const std::map<std::string, std::string>& env,
                                                 const std::string& dir) {
    auto host = env.find("KUBERNETES_SERVICE_HOST");
    auto port = env.find("KUBERNETES_SERVICE_PORT");
    if (host == env.end() || port == env.end())
        return MakeError(ErrorCode::kUnavailable,
                         "not in a Kubernetes pod: KUBERNETES_SERVICE_HOST/PORT are not set (use a kubeconfig)");
    auto token = ReadFile(dir + "/token");
    if (!token) return MakeError(ErrorCode::kUnavailable, "no service-account token at " + dir + "/token");
    KubernetesConnection c;
    const bool ipv6 = host->second.find(':') != std::string::npos;
    c.server = "https://" + (ipv6 ? "[" + host->second + "]" : host->second) + ":" + port->second;
    c.token = Trim(*token);
    c.ca_file = dir + "/ca.crt";
    if (auto ns = ReadFile(dir + "/namespace")) c.default_namespace = Trim(*ns);
    return c;
}

Result<KubernetesConnection> KubeconfigConnection(const std::string& text, const std::string& context_name,
                                                  const std::string& scratch_dir) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        return MakeError(ErrorCode::kInvalidArgument, std::string("kubeconfig is not YAML: ") + e.what());
    }
    try {
        const std::string name = !context_name.empty()     ? context_name
                                 : root["current-context"] ? root["current-context"].as<std::string>()
                                                           : "";
        const YAML::Node context = Named(root["contexts"], name)["context"];
        if (!context) return MakeError(ErrorCode::kInvalidArgument, "kubeconfig: no context '" + name + "'");
        const std::string cluster_name = context["cluster"] ? context["cluster"].as<std::string>() : "";
        const std::string user_name = context["user"] ? context["user"].as<std::string>() : "";
        const YAML::Node cluster = Named(root["clusters"], cluster_name)["cluster"];
        if (!cluster || !cluster["server"])
            return MakeError(ErrorCode::kInvalidArgument, "kubeconfig: cluster '" + cluster_name + "' has no server");
        KubernetesConnection c;
        c.server = cluster["server"].as<std::string>();
        while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
        if (context["namespace"]) c.default_namespace = context["namespace"].as<std::string>();
        auto ca = FileOrData(cluster, "certificate-authority", scratch_dir, "ca.crt");
        if (!ca) return ca.error();
        c.ca_file = *ca;
        const YAML::Node user = Named(root["users"], user_name)["user"];
        if (user) {
            if (user["token"]) c.token = user["token"].as<std::string>();
            auto cert = FileOrData(user, "client-certificate", scratch_dir, "client.crt");
            if (!cert) return cert.error();
            auto key = FileOrData(user, "client-key", scratch_dir, "client.key");
            if (!key) return key.error();
            c.client_certificate_file = *cert;
            c.client_key_file = *key;
        }
        if (c.token.empty() && c.client_certificate_file.empty())
            return MakeError(ErrorCode::kInvalidArgument,
                             "kubeconfig: user '" + user_name +
                                 "' has neither a token nor a client certificate "
                                 "(exec and auth-provider plugins are not supported; use a service-account token)");
        return c;
    } catch (const YAML::Exception& e) {
        return MakeError(ErrorCode::kInvalidArgument, std::string("kubeconfig: ") + e.what());
    }
}

Result<KubernetesConnection> TokenConnection(const std::string& server, const std::string& token,
                                             const std::string& ca_pem, const std::string& scratch_dir) {
    if (server.empty() || token.empty())
        return MakeError(ErrorCode::kInvalidArgument,
                         "a Kubernetes credential needs server and token (or a whole kubeconfig)");
    KubernetesConnection c;
    c.server = server;
    while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
    c.token = token;
    if (!ca_pem.empty()) {
        auto ca = WriteSecretFile(scratch_dir, "ca.crt", ca_pem);
        if (!ca) return ca.error();
        c.ca_file = *ca;
    }
    return c;
}

Result<WorkloadRef> ParseWorkloadRef(const std::string& ref, const std::string& default_namespace) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= ref.size()) {
        const std::size_t slash = std::min(ref.find('/', start), ref.size());
        parts.push_back(ref.substr(start, slash - start));
        start = slash + 1;
    }
    // DNS-1123 names: lower-case alphanumerics, '-' and '.', starting and ending alphanumeric (so no "..").
    auto alnum = [](char c) {
        return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
    };
    auto valid = [&](const std::string& s) {
        return !s.empty() && s.size() <= 253 && alnum(s.front()) && alnum(s.back()) &&
               std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '-' || c == '.'; });
    };
    WorkloadRef w;
    if (parts.size() == 1) {
        w = {default_namespace, "deployments", parts[0]};
    } else if (parts.size() == 2) {
        w = {parts[0], "deployments", parts[1]};
    } else if (parts.size() == 3 && (parts[1] == "deployment" || parts[1] == "statefulset")) {
        w = {parts[0], parts[1] + "s", parts[2]};
    } else {
        return MakeError(
            ErrorCode::kInvalidArgument,
            "provider_ref '" + ref + "': use NAMESPACE/NAME, NAMESPACE/deployment/NAME or NAMESPACE/statefulset/NAME");
    }
    if (!valid(w.ns) || !valid(w.name))
        return MakeError(ErrorCode::kInvalidArgument, "provider_ref '" + ref + "': names are lower-case DNS labels");
    return w;
}

KubernetesProvider::KubernetesProvider(KubernetesConnection connection, HttpClientOptions http)
    : connection_(std::move(connection)), http_([&] {
          http.ca_file = connection_.ca_file;
          http.client_certificate_file = connection_.client_certificate_file;
          http.client_key_file = connection_.client_key_file;
          return http;
      }()) {}

Result<OutboundResponse> KubernetesProvider::Call(const std::string& method, const std::string& path,
                                                  const std::string& content_type, const std::string& body) {
    OutboundRequest request;
    request.method = method;
    request.url = connection_.server + path;
    request.headers.emplace_back("Accept", "application/json");
    if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
    if (!connection_.token.empty()) request.headers.emplace_back("Authorization", "Bearer " + connection_.token);
    request.body = body;
    return http_.Send(std::move(request));
}

Result<CapacityState> KubernetesProvider::Describe(const Resource& resource) {
    auto ref = ParseWorkloadRef(resource.provider_ref, connection_.default_namespace);
    if (!ref) return ref.error();
    const std::string base = "/apis/apps/v1/namespaces/" + ref->ns + "/" + ref->kind + "/" + ref->name;
    // The scale subresource: spec.replicas is what was asked for, status.replicas what exists.
    auto response = Call("GET", base + "/scale", "", "");
    if (!response) return response.error();
    if (response->status != 200) return ApiError(*response, "GET " + base + "/scale");
    const json scale = jsonf::Parse(response->body);
    if (!scale.is_object() || !scale.contains("spec"))
        return MakeError(ErrorCode::kUnavailable, "GET " + base + "/scale: the answer is not a Scale object");
    CapacityState state;
    state.desired = jsonf::Int(jsonf::At(scale, "/spec/replicas")).value_or(0);
    state.ready = jsonf::Int(jsonf::At(scale, "/status/replicas")).value_or(0);
    state.instance_type = resource.instance_type;  // pods have no instance type; the resource says what one pod is
    // Serving is narrower than existing: status.readyReplicas of the workload, when RBAC lets us read it (a role
    // limited to the scale subresource still works, counting existing pods as serving).
    auto workload = Call("GET", base, "", "");
    if (workload && workload->status == 200) {
        const json w = jsonf::Parse(workload->body);
        state.ready = jsonf::Int(jsonf::At(w, "/status/readyReplicas")).value_or(0);
    }
    return state;
}

Status KubernetesProvider::SetDesiredCapacity(const Resource& resource, int desired) {
    auto ref = ParseWorkloadRef(resource.provider_ref, connection_.default_namespace);
    if (!ref) return ref.error();
    if (desired < 0) return MakeError(ErrorCode::kInvalidArgument, "replicas cannot be negative");
    const std::string path = "/apis/apps/v1/namespaces/" + ref->ns + "/" + ref->kind + "/" + ref->name + "/scale";
    // A merge patch of spec.replicas alone: idempotent, and it leaves everything else of the object untouched.
    auto response = Call("PATCH", path, "application/merge-patch+json", json{{"spec", {{"replicas", desired}}}}.dump());
    if (!response) return response.error();
    if (response->status != 200) return ApiError(*response, "PATCH " + path);
    return Status::Ok();
}

Status KubernetesProvider::RestartWorkload(const Resource& resource) {
    auto ref = ParseWorkloadRef(resource.provider_ref, connection_.default_namespace);
    if (!ref) return ref.error();
    const std::string path = "/apis/apps/v1/namespaces/" + ref->ns + "/" + ref->kind + "/" + ref->name;
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const json patch = {
        {"spec",
         {{"template",
           {{"metadata", {{"annotations", {{"kubectl.kubernetes.io/restartedAt", FormatRfc3339(now)}}}}}}}}}};
    auto response =
        Call("PATCH", path + "?fieldManager=cloudopt-rollout", "application/strategic-merge-patch+json", patch.dump());
    if (!response) return response.error();
    if (response->status != 200) return ApiError(*response, "PATCH " + path);
    return Status::Ok();
}

}  // namespace cloudopt::providers
