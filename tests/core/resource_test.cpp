#include "core/resource.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace cloudopt {
namespace {

Resource Valid() {
    Resource r;
    r.name = "web";
    r.provider = "aws";
    r.provider_ref = "asg-web";
    r.instance_type = "m5.large";
    return r;
}

TEST(ValidateResource, AcceptsDefaults) { EXPECT_TRUE(ValidateResource(Valid()).ok()); }

TEST(ValidateResource, NamesTheBrokenField) {
    struct Case {
        void (*mutate)(Resource&);
        const char* field;
    };
    const Case cases[] = {
        {[](Resource& r) { r.name = ""; }, "name"},
        {[](Resource& r) { r.provider_ref = ""; }, "provider_ref"},
        {[](Resource& r) { r.min_capacity = -1; }, "min_capacity"},
        {[](Resource& r) { r.min_capacity = 20; }, "min_capacity"},
        {[](Resource& r) { r.max_capacity = 0; }, "max_capacity"},
        {[](Resource& r) { r.target_low = 0.9; }, "target_low"},
        {[](Resource& r) { r.target_high = 1.5; }, "target_high"},
        {[](Resource& r) { r.boot_delay_s = -5; }, "boot_delay_s"},
        {[](Resource& r) { r.load_metric = "1bad"; }, "load_metric"},
        {[](Resource& r) { r.capacity_per_instance = 0; }, "capacity_per_instance"},
        {[](Resource& r) { r.capacity_per_instance = std::numeric_limits<double>::quiet_NaN(); }, "capacity_per_instance"},
        {[](Resource& r) { r.name = std::string("a\x01", 2); }, "name"},
    };
    for (const Case& c : cases) {
        Resource r = Valid();
        c.mutate(r);
        Status s = ValidateResource(r);
        ASSERT_FALSE(s.ok()) << c.field;
        EXPECT_EQ(s.error().code, ErrorCode::kUnprocessable);
        EXPECT_EQ(s.error().message.rfind(c.field, 0), 0u) << s.error().message;
    }
}

TEST(Mode, RoundTrips) {
    for (Mode m : {Mode::kOff, Mode::kRecommend, Mode::kAuto}) EXPECT_EQ(ParseMode(ModeName(m)), m);
    EXPECT_FALSE(ParseMode("AUTO"));
}

TEST(MetricName, FollowsPrometheusRules) {
    EXPECT_TRUE(IsValidMetricName("cpu_cores"));
    EXPECT_TRUE(IsValidMetricName("http:requests.rate"));
    EXPECT_FALSE(IsValidMetricName(""));
    EXPECT_FALSE(IsValidMetricName("9lives"));
    EXPECT_FALSE(IsValidMetricName("a b"));
    EXPECT_FALSE(IsValidMetricName(std::string(129, 'a')));
}

}  // namespace
}  // namespace cloudopt
