// The web dashboard (dashboard/, built by Vite) served at / from the API's own port. Files are read once at
// start-up; hashed assets are cached by browsers for a year, index.html is revalidated every time, and a
// precompressed .gz (written by the dashboard build) is sent to clients that accept gzip. Without a built
// dashboard, / shows a short page that points to the API.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>

#include "api/json_io.hpp"
#include "api/routes.hpp"

namespace cloudopt::api::detail {

namespace {

namespace fs = std::filesystem;

constexpr const char* kLandingPage = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cloudopt</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
code{background:#f2f4f7;padding:0 .25rem;border-radius:3px}li{margin:.2rem 0}</style></head>
<body><h1>cloudopt is running</h1>
<p>Forecast-driven capacity for cloud workloads. The web dashboard was not built (run <code>make demo</code>, or
<code>npm ci &amp;&amp; npm run build</code> in <code>dashboard/</code>); the API is:</p>
<ul>
<li><a href="/api/dashboard/stats">/api/dashboard/stats</a>: cost per hour now against static allocation, utilization, alerts</li>
<li><a href="/api/resources">/api/resources</a>: the managed resources</li>
<li><a href="/api/actions?limit=20">/api/actions</a>: recent scaling actions, each with its reason</li>
<li><a href="/api/resources/recommendations">/api/resources/recommendations</a>: what recommend mode proposes</li>
<li><a href="/api/openapi.json">/api/openapi.json</a>: every endpoint (OpenAPI 3)</li>
<li><a href="/metrics">/metrics</a>: Prometheus metrics of the service itself</li>
</ul>
<p>The API needs a token: get one with <code>POST /api/auth/login</code> ({"username","password"}; the first
admin's password is printed when cloudopt first starts) and send it as <code>Authorization: Bearer ...</code>.
The README has a walkthrough.</p>
</body></html>
)html";

struct StaticFile {
    std::string content_type;
    std::string body;
    std::string gzipped;  // empty when the build wrote no .gz
};

std::string ContentType(const fs::path& path) {
    static const std::map<std::string, std::string> kTypes = {{".html", "text/html; charset=utf-8"},
                                                              {".js", "text/javascript; charset=utf-8"},
                                                              {".css", "text/css; charset=utf-8"},
                                                              {".svg", "image/svg+xml"},
                                                              {".png", "image/png"},
                                                              {".ico", "image/x-icon"},
                                                              {".json", "application/json"},
                                                              {".txt", "text/plain; charset=utf-8"},
                                                              {".webmanifest", "application/manifest+json"},
                                                              {".woff2", "font/woff2"},
                                                              {".map", "application/json"}};
    auto it = kTypes.find(path.extension().string());
    return it == kTypes.end() ? "application/octet-stream" : it->second;
}

std::string Slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Every file under `dir`, keyed by its path relative to it ("index.html", "assets/index-3f2a.js").
std::map<std::string, StaticFile> LoadFiles(const std::string& dir) {
    std::map<std::string, StaticFile> files;
    std::error_code ec;
    if (dir.empty() || !fs::is_directory(dir, ec)) return files;
    for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
        if (!entry.is_regular_file() || entry.path().extension() == ".gz") continue;
        const std::string rel = fs::relative(entry.path(), dir, ec).generic_string();
        StaticFile f{ContentType(entry.path()), Slurp(entry.path()), ""};
        fs::path gz = entry.path();
        gz += ".gz";
        if (fs::exists(gz, ec)) f.gzipped = Slurp(gz);
        files.emplace(rel, std::move(f));
    }
    return files;
}

bool AcceptsGzip(const std::string& accept_encoding) { return accept_encoding.find("gzip") != std::string::npos; }

HttpResponse Serve(const StaticFile& f, const HttpRequest& req, bool immutable) {
    HttpResponse r;
    r.content_type = f.content_type;
    r.headers.emplace_back("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
    r.headers.emplace_back("Vary", "Accept-Encoding");
    if (!f.gzipped.empty() && AcceptsGzip(req.accept_encoding)) {
        r.body = f.gzipped;
        r.headers.emplace_back("Content-Encoding", "gzip");
    } else {
        r.body = f.body;
    }
    return r;
}

// Built once: copying a long literal into a response's string made GCC 12 at -O2 warn of a memcpy out of bounds.
const std::string& LandingPage() {
    static const std::string page(kLandingPage);
    return page;
}

}  // namespace

void AddStaticRoutes(Router& router, ApiContext& ctx) {
    auto files = std::make_shared<const std::map<std::string, StaticFile>>(LoadFiles(ctx.dashboard_dir));

    router.Add("GET", "/", [files](const HttpRequest& req) {
        auto it = files->find("index.html");
        if (it != files->end()) return Serve(it->second, req, false);
        HttpResponse r;
        r.content_type = "text/html; charset=utf-8";
        r.body = LandingPage();
        return r;
    });

    // Vite puts a content hash in every asset name, so an asset never changes under its name.
    router.Add("GET", "/assets/{file}", [files](const HttpRequest& req) {
        auto it = files->find("assets/" + req.path_params.at("file"));
        if (it == files->end()) return ErrorResponse(MakeError(ErrorCode::kNotFound, "no such dashboard asset"));
        return Serve(it->second, req, true);
    });

    // The favicon and what makes the dashboard installable on a phone (dashboard/public): the web app manifest,
    // its icons and the service worker, which must sit at the root to control the whole page. Revalidated like
    // index.html, since their names carry no hash.
    for (const char* name : {"favicon.svg", "manifest.webmanifest", "sw.js"}) {
        router.Add("GET", std::string("/") + name, [files, name](const HttpRequest& req) {
            auto it = files->find(name);
            if (it == files->end())
                return ErrorResponse(
                    MakeError(ErrorCode::kNotFound, std::string("no ") + name + " in the dashboard build"));
            return Serve(it->second, req, false);
        });
    }
    router.Add("GET", "/icons/{file}", [files](const HttpRequest& req) {
        auto it = files->find("icons/" + req.path_params.at("file"));
        if (it == files->end()) return ErrorResponse(MakeError(ErrorCode::kNotFound, "no such dashboard icon"));
        return Serve(it->second, req, false);
    });
}

}  // namespace cloudopt::api::detail
