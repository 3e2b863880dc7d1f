#include "core/catalog.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace cloudopt {
namespace {

TEST(Catalog, ParsesAndFindsByProvider) {
    auto c = ParseCatalogCsv(
        "# comment\nprovider,name,vcpu,memory_gib,price_per_hour,region\n"
        "aws,m5.large,2,8,0.096,us-east-1\nkubernetes,m5.large,2,8,0.5,any\n");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->types().size(), 2u);
    EXPECT_DOUBLE_EQ(c->Find("kubernetes", "m5.large")->price_per_hour, 0.5);
    EXPECT_DOUBLE_EQ(c->Find("aws", "m5.large")->price_per_hour, 0.096);
    EXPECT_DOUBLE_EQ(c->Find("gcp", "m5.large")->price_per_hour, 0.096);  // falls back to any provider's entry
    EXPECT_FALSE(c->Find("aws", "nope"));
}

TEST(Catalog, ErrorsNameTheLine) {
    auto c = ParseCatalogCsv("provider,name,vcpu,memory_gib,price_per_hour\naws,x,2,8,cheap\n");
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message.find("line 2"), std::string::npos);
    EXPECT_NE(c.error().message.find("price_per_hour"), std::string::npos);
    EXPECT_FALSE(ParseCatalogCsv("provider,name\naws,x\n").ok());
    EXPECT_FALSE(ParseCatalogCsv("").ok());
}

TEST(Catalog, BundledFileParses) {
    std::ifstream in(std::string(CLOUDOPT_REPO_DATA) + "/catalog/instances.csv");
    ASSERT_TRUE(in);
    std::stringstream text;
    text << in.rdbuf();
    auto c = ParseCatalogCsv(text.str());
    ASSERT_TRUE(c.ok()) << c.error().message;
    for (const char* provider : {"aws", "azure", "gcp", "kubernetes"}) {
        bool found = false;
        for (const InstanceType& t : c->types()) found |= t.provider == provider && t.price_per_hour > 0;
        EXPECT_TRUE(found) << provider;
    }
    // The optimizer issue's floor: at least 10 types per public cloud, across general, compute and memory
    // families (memory per vCPU of 2, 4 and 8 GiB), each with a spot price below its on-demand price.
    for (const char* provider : {"aws", "azure", "gcp"}) {
        int types = 0;
        bool compute = false, general = false, memory = false;
        for (const InstanceType& t : c->types()) {
            if (t.provider != provider) continue;
            ++types;
            EXPECT_GT(t.spot_price_per_hour, 0.0) << t.name;
            EXPECT_LT(t.spot_price_per_hour, t.price_per_hour) << t.name;
            const double ratio = t.memory_gib / t.vcpu;
            compute |= ratio <= 2.0;
            general |= ratio == 4.0;
            memory |= ratio >= 8.0;
        }
        EXPECT_GE(types, 10) << provider;
        EXPECT_TRUE(compute && general && memory) << provider;
    }
    // Serverless warm capacity: a unit per hour from each cloud's published per-second rate, no spot.
    const auto lambda = c->Find("aws_lambda", "lambda.pc.x86.1024mb");
    ASSERT_TRUE(lambda);
    EXPECT_NEAR(lambda->price_per_hour, 0.0000041667 * 1.0 * 3600, 1e-4);
    const auto run = c->Find("gcp_cloud_run", "cloudrun.min.1vcpu.512mi");
    ASSERT_TRUE(run);
    EXPECT_NEAR(run->price_per_hour, (0.0000025 * 1 + 0.0000025 * 0.5) * 3600, 1e-4);
    const auto ep1 = c->Find("azure_functions", "EP1");
    ASSERT_TRUE(ep1);
    EXPECT_NEAR(ep1->price_per_hour, 0.173 * 1 + 0.0123 * 3.5, 1e-4);
    for (const char* provider : {"aws_lambda", "gcp_cloud_run", "azure_functions"}) {
        int units = 0;
        for (const InstanceType& t : c->types()) {
            if (t.provider != provider) continue;
            ++units;
            EXPECT_GT(t.price_per_hour, 0.0) << t.name;
            EXPECT_EQ(t.spot_price_per_hour, 0.0) << t.name;
        }
        EXPECT_GE(units, 3) << provider;
    }
}

}  // namespace
}  // namespace cloudopt
