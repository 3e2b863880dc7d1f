#include "core/telemetry.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace cloudopt {
namespace {

TEST(Telemetry, RendersPrometheusText) {
    MetricsRegistry m;
    m.GetCounter("requests_total", "Requests", {{"route", "/a\"b"}}).Inc(2);
    m.GetGauge("open", "Open").Set(3);
    Histogram& h = m.GetHistogram("latency_seconds", "Latency", {}, {0.1, 1});
    h.Observe(0.05);
    h.Observe(0.5);
    h.Observe(5);
    const std::string text = m.RenderPrometheus();
    EXPECT_NE(text.find("# TYPE requests_total counter\nrequests_total{route=\"/a\\\"b\"} 2\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("open 3\n"), std::string::npos);
    EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("latency_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
    EXPECT_NE(text.find("latency_seconds_count 3\n"), std::string::npos);
}

TEST(Telemetry, SameNameAndLabelsIsTheSameCounterAcrossThreads) {
    MetricsRegistry m;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) m.GetCounter("c", "C", {{"k", "v"}}).Inc();
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(m.GetCounter("c", "C", {{"k", "v"}}).Value(), 4000);
}

}  // namespace
}  // namespace cloudopt
