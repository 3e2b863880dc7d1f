// Load generator for POST /api/metrics: N keep-alive connections each send batches of B samples with new
// timestamps (nothing is an overwrite) for D seconds, and report acknowledged samples per second.
// Bodies are built before the clock starts, so the generator spends its CPU on sockets, not on JSON.
//
// usage: ingest_load PORT RESOURCE [connections=4] [batch=1000] [seconds=10] [series=1]
// With series > 1 each batch holds that many series of batch/series samples each (as a scrape of many metrics
// sends), named ingest_bench_<connection>_s<k>; with 1, one series ingest_bench_<connection>.

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s PORT RESOURCE [connections] [batch] [seconds] [series]\n", argv[0]);
        return 2;
    }
    const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
    const std::string resource = argv[2];
    const int connections = argc > 3 ? std::atoi(argv[3]) : 4;
    const int batch = argc > 4 ? std::atoi(argv[4]) : 1000;
    const double seconds = argc > 5 ? std::atof(argv[5]) : 10.0;
    const int series = argc > 6 ? std::max(1, std::atoi(argv[6])) : 1;
    const int per_series = std::max(1, batch / series);
    // An API token with the metrics:write scope (cloudopt token create NAME --scope metrics:write).
    const char* token = std::getenv("CLOUDOPT_TOKEN");
    const std::string authorization = token ? std::string("Bearer ") + token : "";
    constexpr int kBodiesPerConnection = 400;
    constexpr long long kBase = 1'500'000'000;

    std::atomic<long long> acked{0};
    std::atomic<long long> failed{0};
    std::atomic<bool> stop{false};
    std::vector<std::vector<std::string>> bodies(static_cast<std::size_t>(connections));
    for (int c = 0; c < connections; ++c) {
        for (int b = 0; b < kBodiesPerConnection; ++b) {
            const long long start = kBase + (static_cast<long long>(c) * kBodiesPerConnection + b) * per_series;
            nlohmann::json list = nlohmann::json::array();
            for (int k = 0; k < series; ++k) {
                nlohmann::json points = nlohmann::json::array();
                for (int i = 0; i < per_series; ++i) points.push_back({start + i, 0.5 + (i % 97) * 0.25});
                const std::string metric =
                    "ingest_bench_" + std::to_string(c) + (series > 1 ? "_s" + std::to_string(k) : std::string());
                list.push_back({{"resource", resource}, {"metric", metric}, {"points", points}});
            }
            nlohmann::json body = {{"series", list}};
            bodies[static_cast<std::size_t>(c)].push_back(body.dump());
        }
    }
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < connections; ++c) {
        threads.emplace_back([&, c] {
            net::io_context ioc;
            tcp::socket socket(ioc);
            socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
            beast::flat_buffer buffer;
            // Each connection writes its own series with increasing timestamps; after its prepared bodies it
            // starts over with a new metric name so samples stay new.
            for (int round = 0; !stop; ++round) {
                for (const std::string& body : bodies[static_cast<std::size_t>(c)]) {
                    if (stop) break;
                    std::string text = body;
                    if (round > 0) {
                        // Every metric name of the body gets the round: "ingest_bench_<c>" -> "..._r<round>".
                        const std::string from = "\"ingest_bench_" + std::to_string(c);
                        const std::string to = from + "_r" + std::to_string(round);
                        for (std::size_t at = text.find(from); at != std::string::npos;
                             at = text.find(from, at + to.size()))
                            text.replace(at, from.size(), to);
                    }
                    http::request<http::string_body> req{http::verb::post, "/api/metrics", 11};
                    req.set(http::field::host, "127.0.0.1");
                    req.set(http::field::content_type, "application/json");
                    if (!authorization.empty()) req.set(http::field::authorization, authorization);
                    req.body() = std::move(text);
                    req.prepare_payload();
                    http::write(socket, req);
                    http::response<http::string_body> res;
                    http::read(socket, buffer, res);
                    if (res.result_int() == 200)
                        acked += static_cast<long long>(per_series) * series;
                    else
                        ++failed;
                }
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& t : threads) t.join();
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf(
        "{\"connections\":%d,\"batch\":%d,\"seconds\":%.2f,\"samples\":%lld,\"failed_requests\":%lld,"
        "\"samples_per_second\":%.0f}\n",
        connections, batch, elapsed, acked.load(), failed.load(), static_cast<double>(acked.load()) / elapsed);
    return failed.load() == 0 ? 0 : 1;
}
