#include "providers/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "core/call_deadline.hpp"

namespace cloudopt::providers {

namespace {

void GlobalInit() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t AppendBody(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

std::size_t AppendHeader(char* data, std::size_t size, std::size_t n, void* out) {
    auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(out);
    std::string line(data, size * n);
    const std::size_t colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        const auto not_space = [](unsigned char c) { return !std::isspace(c); };
        value.erase(value.begin(), std::find_if(value.begin(), value.end(), not_space));
        value.erase(std::find_if(value.rbegin(), value.rend(), not_space).base(), value.end());
        headers->emplace_back(std::move(name), std::move(value));
    } else if (line.rfind("HTTP/", 0) == 0) {
        headers->clear();  // a new response (after 100 Continue): keep only the final one's headers
    }
    return size * n;
}

bool Retryable(int status) { return status == 429 || status >= 500; }

std::optional<std::chrono::seconds> RetryAfter(const OutboundResponse& r) {
    auto v = r.Header("retry-after");
    if (!v || v->empty() || !std::all_of(v->begin(), v->end(), [](unsigned char c) { return std::isdigit(c); }))
        return std::nullopt;  // an HTTP-date form is rare from these APIs; the backoff covers it
    return std::chrono::seconds(std::min(3600L, std::stol(*v)));
}

}  // namespace

std::optional<std::string> OutboundResponse::Header(const std::string& lower_case_name) const {
    for (const auto& [name, value] : headers)
        if (name == lower_case_name) return value;
    return std::nullopt;
}

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), sleeper_([](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }) {
    GlobalInit();
}

std::chrono::milliseconds HttpClient::Backoff(const RetryPolicy& policy, int retry, double unit,
                                              std::optional<std::chrono::seconds> retry_after) {
    const double cap = std::min(static_cast<double>(policy.max_delay.count()),
                                static_cast<double>(policy.base_delay.count()) * std::pow(2.0, retry - 1));
    auto wait = std::chrono::milliseconds(static_cast<long long>(unit * cap));
    if (retry_after) wait = std::max<std::chrono::milliseconds>(wait, *retry_after);
    return wait;
}

std::string PercentEncode(const std::string& value) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : value) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

Result<OutboundResponse> HttpClient::Once(const OutboundRequest& request) const {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) return MakeError(ErrorCode::kInternal, "cannot start an HTTP request (libcurl)");
    OutboundResponse response;
    curl_slist* raw_headers = nullptr;
    for (const auto& [name, value] : request.headers)
        raw_headers = curl_slist_append(raw_headers, (name + ": " + value).c_str());
    // Without this libcurl adds "Expect: 100-continue" to larger bodies, which signed requests must not carry.
    raw_headers = curl_slist_append(raw_headers, "Expect:");
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(raw_headers, curl_slist_free_all);
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, AppendBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, AppendHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &response.headers);
    // A deadline set by the caller (a lease's, core/call_deadline.hpp) bounds the exchange too.
    std::chrono::milliseconds timeout = options_.timeout;
    std::chrono::milliseconds connect_timeout = options_.connect_timeout;
    if (auto left = CallDeadline::Remaining()) {
        timeout = std::max(std::chrono::milliseconds(1), std::min(timeout, *left));
        connect_timeout = std::min(connect_timeout, timeout);
    }
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: safe in a threaded service
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
    if (!options_.client_certificate_file.empty())
        curl_easy_setopt(c, CURLOPT_SSLCERT, options_.client_certificate_file.c_str());
    if (!options_.client_key_file.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, options_.client_key_file.c_str());
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        return MakeError(
            ErrorCode::kUnavailable,
            request.method + " " + request.url + " failed: " + curl_easy_strerror(rc) +
                (rc == CURLE_OPERATION_TIMEDOUT ? " (raise the provider's timeout if the endpoint is slow)" : ""));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    return response;
}

Result<OutboundResponse> HttpClient::Send(OutboundRequest request, const Prepare& prepare,
                                          const Throttled& throttled) const {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const int attempts = std::max(1, options_.retry.max_attempts);
    for (int attempt = 1;; ++attempt) {
        // Past the caller's deadline (a lease that may be another replica's by now) no call starts.
        if (CallDeadline::Expired())
            return MakeError(ErrorCode::kUnavailable, request.method + " " + request.url +
                                                          " not sent: the call's deadline (this replica's lease "
                                                          "of the resource) has passed" +
                                                          (attempt > 1 ? " before a retry" : ""));
        OutboundRequest prepared = request;
        if (prepare) prepare(prepared);
        Result<OutboundResponse> result = Once(prepared);
        const bool retry = !result || Retryable(result->status) || (throttled && throttled(*result));
        if (!retry || attempt >= attempts) return result;
        const std::optional<std::chrono::seconds> after = result ? RetryAfter(*result) : std::nullopt;
        std::chrono::milliseconds wait = Backoff(options_.retry, attempt, unit(rng), after);
        if (auto left = CallDeadline::Remaining()) {
            if (*left <= wait) return result;  // the retry would start after the deadline: the last answer stands
        }
        sleeper_(wait);
    }
}

}  // namespace cloudopt::providers
