// The Prometheus source against a real Prometheus server (Debian's package) that scrapes a local exporter every
// second: range queries of a resource's PromQL, summed series, NaN, query errors, timeouts and a server that is
// down.

#include "monitor/prometheus_source.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "providers/fake_cloud_server.hpp"
#include "support/prometheus.hpp"

namespace cloudopt::monitor {
namespace {

using namespace std::chrono_literals;
using testing::RawRequest;
using testing::RawResponse;

UnixSeconds Now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Two pods' CPU in cores, as an exporter would show them.
RawResponse Exposition(const RawRequest&) {
    RawResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = "# HELP demo_cpu_cores CPU cores in use.\n# TYPE demo_cpu_cores gauge\n"
             "demo_cpu_cores{pod=\"web-1\"} 3\ndemo_cpu_cores{pod=\"web-2\"} 4.5\n";
    return r;
}

Resource WithQuery(const std::string& promql) {
    Resource r;
    r.id = 1;
    r.name = "web";
    r.load_metric = "cpu_cores";
    r.load_query = promql;
    return r;
}

class PrometheusSourceTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        exporter_ = new testing::FakeCloudServer(Exposition);
        prometheus_ = new testing::PrometheusServer({exporter_->host()});
        ASSERT_TRUE(prometheus_->WaitReady()) << prometheus_->log();
        ASSERT_TRUE(prometheus_->WaitForData("demo_cpu_cores")) << prometheus_->log();
        std::this_thread::sleep_for(3s);  // a few scrapes, so that whole seconds of data exist
    }
    static void TearDownTestSuite() {
        delete prometheus_;
        delete exporter_;
    }
    static PrometheusOptions Options() {
        PrometheusOptions o;
        o.url = prometheus_->url() + "/";
        o.step_seconds = 1;
        o.backfill_seconds = 60;
        o.http.retry.max_attempts = 1;
        return o;
    }
    static testing::FakeCloudServer* exporter_;
    static testing::PrometheusServer* prometheus_;
};
testing::FakeCloudServer* PrometheusSourceTest::exporter_ = nullptr;
testing::PrometheusServer* PrometheusSourceTest::prometheus_ = nullptr;

TEST_F(PrometheusSourceTest, ReadsTheLoadOfAResourceFromItsQuery) {
    PrometheusSource source(Options());
    const UnixSeconds now = Now();
    auto readings = source.Collect(WithQuery("sum(demo_cpu_cores)"), now);
    ASSERT_TRUE(readings.ok()) << readings.error().message;
    ASSERT_GE(readings->size(), 2u);
    for (const MetricReading& r : *readings) {
        EXPECT_EQ(r.metric, "cpu_cores");
        EXPECT_DOUBLE_EQ(r.sample.value, 7.5);
        EXPECT_LE(r.sample.ts, now);
    }
    // Several series are summed per timestamp, as sum() would.
    PrometheusSource per_pod(Options());
    auto summed = per_pod.Collect(WithQuery("demo_cpu_cores"), now);
    ASSERT_TRUE(summed.ok());
    ASSERT_FALSE(summed->empty());
    EXPECT_DOUBLE_EQ(summed->back().sample.value, 7.5);

    // The next call continues after the last point it saw.
    std::this_thread::sleep_for(2s);
    auto more = source.Collect(WithQuery("sum(demo_cpu_cores)"), Now());
    ASSERT_TRUE(more.ok());
    ASSERT_FALSE(more->empty());
    EXPECT_GT(more->front().sample.ts, readings->back().sample.ts);
}

TEST_F(PrometheusSourceTest, NaNPointsAreSkippedAndErrorsSayWhatPrometheusSaid) {
    PrometheusSource source(Options());
    // 0/0 is NaN at every step: no load, no readings, no error.
    auto nan = source.Collect(WithQuery("(sum(demo_cpu_cores) - sum(demo_cpu_cores)) / 0"), Now());
    ASSERT_TRUE(nan.ok()) << nan.error().message;
    EXPECT_TRUE(nan->empty());

    auto bad = source.Collect(WithQuery("sum(demo_cpu_cores"), Now());
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(bad.error().message.find("bad_data"), std::string::npos) << bad.error().message;
    Status check = source.Check(WithQuery("sum(demo_cpu_cores"));
    EXPECT_EQ(check.error().code, ErrorCode::kUnprocessable);
    EXPECT_TRUE(source.Check(WithQuery("sum(demo_cpu_cores)")).ok());

    auto none = source.Collect(WithQuery(""), Now());
    EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);
}

TEST(PrometheusSource, TimeoutsMalformedAnswersAndADownServerAreUnavailable) {
    testing::FakeCloudServer slow([](const RawRequest&) {
        RawResponse r;
        r.body = R"({"status":"success","data":{"resultType":"matrix","result":[]}})";
        r.delay = 1500ms;
        return r;
    });
    PrometheusOptions o;
    o.url = slow.url();
    o.http.timeout = 300ms;
    o.http.retry.max_attempts = 1;
    auto timed_out = PrometheusSource(o).Collect(WithQuery("up"), Now());
    ASSERT_FALSE(timed_out.ok());
    EXPECT_EQ(timed_out.error().code, ErrorCode::kUnavailable);

    for (const std::string& body : {std::string(R"({"status":"success","data":{"resultType":"vector","result":[]}})"),
                                    std::string(R"({"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,"x"]]}]}})"),
                                    std::string(R"({"status":"success","data":{"resultType":"matrix","result":[{"values":[["1","2"]]}]}})"),
                                    std::string("<html>proxy error</html>")}) {
        testing::FakeCloudServer odd([&](const RawRequest&) {
            RawResponse r;
            r.body = body;
            return r;
        });
        o.url = odd.url();
        o.http.timeout = 5s;
        auto r = PrometheusSource(o).Collect(WithQuery("up"), Now());
        ASSERT_FALSE(r.ok()) << body;
        EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
    }

    o.url = "http://127.0.0.1:" + std::to_string(testing::FreePort());
    auto down = PrometheusSource(o).Collect(WithQuery("up"), Now());
    ASSERT_FALSE(down.ok());
    EXPECT_NE(down.error().message.find("Prometheus"), std::string::npos);
}

}  // namespace
}  // namespace cloudopt::monitor
