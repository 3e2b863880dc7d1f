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
}

}  // namespace
}  // namespace cloudopt
