#pragma once
// A real Prometheus server (Debian's `prometheus` package) for tests, on a loopback port with its data in a
// temporary directory: it scrapes the given targets every second and can remote-write to a receiver.

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt::testing {

inline constexpr const char* kPrometheusBinary = "/usr/bin/prometheus";

class PrometheusServer {
public:
    // `targets` are host:port pairs; `metrics_path` is where they expose metrics; `bearer` is sent when scraping;
    // `remote_write` is the YAML of one remote_write entry (url, authorization, write_relabel_configs), if any.
    PrometheusServer(const std::vector<std::string>& targets, const std::string& metrics_path = "/metrics",
                     const std::string& bearer = "", const std::string& remote_write = "")
        : port_(FreePort()) {
        std::ofstream config(dir_.File("prometheus.yml"));
        config << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
               << "scrape_configs:\n  - job_name: test\n    metrics_path: " << metrics_path << "\n";
        if (!bearer.empty()) config << "    authorization: {credentials: '" << bearer << "'}\n";
        config << "    static_configs:\n      - targets: [";
        for (std::size_t i = 0; i < targets.size(); ++i) config << (i ? ", " : "") << "'" << targets[i] << "'";
        config << "]\n";
        if (!remote_write.empty()) config << "remote_write:\n" << remote_write;
        config.close();
        process_ = std::make_unique<ChildProcess>(
            std::vector<std::string>{kPrometheusBinary, "--config.file=" + dir_.File("prometheus.yml"),
                                     "--storage.tsdb.path=" + dir_.File("data"),
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"},
            dir_.File("log"));
    }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    unsigned short port() const { return port_; }
    std::string log() const { return ReadFile(dir_.File("log")); }

    bool WaitReady(std::chrono::seconds limit = std::chrono::seconds(30)) {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < until) {
            try {
                HttpClient c(port_);
                if (c.Get("/-/ready").status == 200) return true;
            } catch (const std::exception&) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return false;
    }

    // Waits until an instant query for `expr` returns at least one sample.
    bool WaitForData(const std::string& expr, std::chrono::seconds limit = std::chrono::seconds(30)) {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < until) {
            try {
                HttpClient c(port_);
                auto r = c.Get("/api/v1/query?query=" + Encode(expr));
                if (r.status == 200 && r.body.find("\"result\":[]") == std::string::npos) return true;
            } catch (const std::exception&) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        return false;
    }

private:
    static std::string Encode(const std::string& s) {
        std::string out;
        for (unsigned char c : s) {
            if (std::isalnum(c) || c == '_' || c == '-' || c == '.') {
                out += static_cast<char>(c);
            } else {
                char buf[4];
                std::snprintf(buf, sizeof buf, "%%%02X", c);
                out += buf;
            }
        }
        return out;
    }
    TempDir dir_;
    unsigned short port_;
    std::unique_ptr<ChildProcess> process_;
};

}  // namespace cloudopt::testing
